"""SQLite state: organisations, credentials, contacts, vouchers, files, OAuth grants.

One connection behind a lock: the sandbox is small and werkzeug's threads
must never see a half-written voucher.
"""

import json
import sqlite3
import threading
import uuid

from .dates import now_berlin

SCHEMA = """
CREATE TABLE IF NOT EXISTS organizations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL,
    company_name TEXT NOT NULL, tax_type TEXT NOT NULL,
    small_business INTEGER NOT NULL, e_invoice INTEGER NOT NULL,
    distance_sales TEXT NOT NULL DEFAULT 'ORIGIN');
CREATE TABLE IF NOT EXISTS api_keys (key TEXT PRIMARY KEY, organization_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS contacts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL,
    organization_id TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS vouchers (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL,
    organization_id TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL,
    voucher_id TEXT NOT NULL, filename TEXT NOT NULL, checksum TEXT NOT NULL,
    content BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS auth_codes (
    code TEXT PRIMARY KEY, client_id TEXT NOT NULL, redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL, organization_id TEXT NOT NULL, challenge TEXT,
    expires_at REAL NOT NULL, used INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS connections (
    id TEXT PRIMARY KEY, organization_id TEXT NOT NULL, client_id TEXT NOT NULL,
    scope TEXT NOT NULL, refresh_token TEXT UNIQUE, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS access_tokens (
    token TEXT PRIMARY KEY, connection_id TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS event_subscriptions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL,
    organization_id TEXT NOT NULL, event_type TEXT NOT NULL, callback_url TEXT NOT NULL,
    created_date TEXT NOT NULL, UNIQUE (organization_id, event_type, callback_url));
"""


class Store:
    def __init__(self, path):
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.executescript(SCHEMA)
        columns = {row["name"] for row in self._db.execute("PRAGMA table_info(organizations)")}
        if "distance_sales" not in columns:  # a database from before the column
            self._db.execute(
                "ALTER TABLE organizations ADD COLUMN distance_sales TEXT NOT NULL DEFAULT 'ORIGIN'"
            )

    def close(self):
        with self._lock:
            self._db.close()

    def _all(self, sql, params=()):
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _one(self, sql, params=()):
        with self._lock:
            return self._db.execute(sql, params).fetchone()

    def _run(self, sql, params=()):
        with self._lock:
            return self._db.execute(sql, params).rowcount

    # organisations and API keys

    def add_organization(
        self, company_name, tax_type, small_business, e_invoice, distance_sales="ORIGIN"
    ):
        org_id = str(uuid.uuid4())
        self._run(
            "INSERT INTO organizations"
            " (id, company_name, tax_type, small_business, e_invoice, distance_sales)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (org_id, company_name, tax_type, int(small_business), int(e_invoice), distance_sales),
        )
        return org_id

    def organizations(self):
        return [_organization(row) for row in self._all("SELECT * FROM organizations ORDER BY seq")]

    def organization(self, org_id):
        row = self._one("SELECT * FROM organizations WHERE id = ?", (org_id,))
        return _organization(row) if row else None

    def register_api_key(self, key, org_id):
        self._run(
            "INSERT OR IGNORE INTO api_keys (key, organization_id) VALUES (?, ?)", (key, org_id)
        )

    def organization_for_api_key(self, key):
        row = self._one("SELECT organization_id FROM api_keys WHERE key = ?", (key,))
        return row["organization_id"] if row else None

    # documents: contacts and vouchers share one shape (id, organisation, JSON)

    def insert_doc(self, table, org_id, doc):
        """Stores a new document, stamping id, organisation, version and dates."""
        stamp = now_berlin()
        doc = {
            **doc,
            "id": str(uuid.uuid4()),
            "organizationId": org_id,
            "createdDate": stamp,
            "updatedDate": stamp,
        }
        doc["version"] = doc.get("version") or 0
        with self._lock:
            if table == "contacts":
                doc["roles"]["customer"]["number"] = self._next_customer_number(org_id)
            self._db.execute(
                f"INSERT INTO {table} (id, organization_id, doc) VALUES (?, ?, ?)",
                (doc["id"], org_id, json.dumps(doc)),
            )
        return doc

    def _next_customer_number(self, org_id):
        numbers = [
            json.loads(row["doc"])["roles"].get("customer", {}).get("number", 0)
            for row in self._db.execute(
                "SELECT doc FROM contacts WHERE organization_id = ?", (org_id,)
            )
        ]
        return max([9999, *numbers]) + 1

    def get_doc(self, table, doc_id, org_id=None):
        row = self._one(f"SELECT doc, organization_id FROM {table} WHERE id = ?", (doc_id,))
        if row is None or (org_id is not None and row["organization_id"] != org_id):
            return None
        return json.loads(row["doc"])

    def docs(self, table, org_id=None):
        if org_id is None:
            rows = self._all(f"SELECT doc FROM {table} ORDER BY seq")
        else:
            rows = self._all(
                f"SELECT doc FROM {table} WHERE organization_id = ? ORDER BY seq", (org_id,)
            )
        return [json.loads(row["doc"]) for row in rows]

    def replace_doc(self, table, doc, expected_version):
        """Saves doc with the next version if the stored one is still expected_version."""
        with self._lock:
            current = self.get_doc(table, doc["id"])
            if current is None or current["version"] != expected_version:
                return None
            doc = {**doc, "version": expected_version + 1, "updatedDate": now_berlin()}
            self._db.execute(
                f"UPDATE {table} SET doc = ? WHERE id = ?", (json.dumps(doc), doc["id"])
            )
            return doc

    # files

    def file_by_checksum(self, voucher_id, checksum):
        row = self._one(
            "SELECT id FROM files WHERE voucher_id = ? AND checksum = ?", (voucher_id, checksum)
        )
        return row["id"] if row else None

    def add_file(self, voucher_id, filename, checksum, content):
        file_id = str(uuid.uuid4())
        self._run(
            "INSERT INTO files (id, voucher_id, filename, checksum, content)"
            " VALUES (?, ?, ?, ?, ?)",
            (file_id, voucher_id, filename, checksum, content),
        )
        return file_id

    def file_ids(self, voucher_id):
        rows = self._all("SELECT id FROM files WHERE voucher_id = ? ORDER BY seq", (voucher_id,))
        return [row["id"] for row in rows]

    def file(self, file_id):
        row = self._one("SELECT filename, content FROM files WHERE id = ?", (file_id,))
        return (row["filename"], bytes(row["content"])) if row else None

    # OAuth grants

    def save_code(self, code, client_id, redirect_uri, scope, org_id, challenge, expires_at):
        self._run(
            "INSERT INTO auth_codes VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
            (code, client_id, redirect_uri, scope, org_id, challenge, expires_at),
        )

    def take_code(self, code):
        """The code's row, marking it used; a second taker gets the row with used=1."""
        with self._lock:
            row = self._db.execute("SELECT * FROM auth_codes WHERE code = ?", (code,)).fetchone()
            if row is not None:
                self._db.execute("UPDATE auth_codes SET used = 1 WHERE code = ?", (code,))
            return dict(row) if row else None

    def add_connection(self, org_id, client_id, scope):
        connection_id = str(uuid.uuid4())
        self._run(
            "INSERT INTO connections (id, organization_id, client_id, scope) VALUES (?, ?, ?, ?)",
            (connection_id, org_id, client_id, scope),
        )
        return connection_id

    def connection(self, connection_id):
        row = self._one("SELECT * FROM connections WHERE id = ?", (connection_id,))
        return dict(row) if row else None

    def connection_for_refresh_token(self, refresh_token):
        row = self._one("SELECT * FROM connections WHERE refresh_token = ?", (refresh_token,))
        return dict(row) if row else None

    def set_refresh_token(self, connection_id, refresh_token):
        self._run(
            "UPDATE connections SET refresh_token = ? WHERE id = ?", (refresh_token, connection_id)
        )

    def add_access_token(self, token, connection_id, expires_at):
        self._run("INSERT INTO access_tokens VALUES (?, ?, ?)", (token, connection_id, expires_at))

    def access_token(self, token):
        row = self._one("SELECT * FROM access_tokens WHERE token = ?", (token,))
        return dict(row) if row else None

    def expire_access_tokens(self):
        self._run("UPDATE access_tokens SET expires_at = 0")

    def revoke_connection(self, connection_id):
        """Revokes it; answers its organisation when it was live until now, else None."""
        with self._lock:
            row = self._db.execute(
                "SELECT organization_id FROM connections WHERE id = ? AND revoked = 0",
                (connection_id,),
            ).fetchone()
            self._db.execute("UPDATE connections SET revoked = 1 WHERE id = ?", (connection_id,))
        return row["organization_id"] if row else None

    def change_voucher(self, voucher_id, change):
        """Saves `change(doc)` (a dict of changed fields) as the web app would; the version
        moves on. Answers (before, after)."""
        with self._lock:
            doc = self.get_doc("vouchers", voucher_id)
            if doc is None:
                raise KeyError(voucher_id)
            return doc, self.replace_doc("vouchers", {**doc, **change(doc)}, doc["version"])

    def revoke_all(self):
        """Revokes every connection; answers the (id, organisation) of those it revoked."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, organization_id FROM connections WHERE revoked = 0"
            ).fetchall()
            self._db.execute("UPDATE connections SET revoked = 1")
        return [(row["id"], row["organization_id"]) for row in rows]

    # event subscriptions

    def add_event_subscription(self, org_id, event_type, callback_url):
        """The new subscription, or None when the organisation has this pair already."""
        subscription = {
            "subscriptionId": str(uuid.uuid4()),
            "organizationId": org_id,
            "createdDate": now_berlin(),
            "eventType": event_type,
            "callbackUrl": callback_url,
        }
        try:
            self._run(
                "INSERT INTO event_subscriptions"
                " (id, organization_id, event_type, callback_url, created_date)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    subscription["subscriptionId"],
                    org_id,
                    event_type,
                    callback_url,
                    subscription["createdDate"],
                ),
            )
        except sqlite3.IntegrityError:
            return None
        return subscription

    def event_subscriptions(self, org_id=None, event_type=None):
        sql, params = "SELECT * FROM event_subscriptions WHERE 1 = 1", []
        if org_id is not None:
            sql, params = sql + " AND organization_id = ?", [*params, org_id]
        if event_type is not None:
            sql, params = sql + " AND event_type = ?", [*params, event_type]
        return [_subscription(row) for row in self._all(sql + " ORDER BY seq", params)]

    def event_subscription(self, subscription_id, org_id):
        row = self._one(
            "SELECT * FROM event_subscriptions WHERE id = ? AND organization_id = ?",
            (subscription_id, org_id),
        )
        return _subscription(row) if row else None

    def delete_event_subscription(self, subscription_id, org_id=None):
        """True when it existed (in the organisation, if given)."""
        if org_id is None:
            return bool(
                self._run("DELETE FROM event_subscriptions WHERE id = ?", (subscription_id,))
            )
        return bool(
            self._run(
                "DELETE FROM event_subscriptions WHERE id = ? AND organization_id = ?",
                (subscription_id, org_id),
            )
        )


def _subscription(row):
    """A subscription as Lexware's GET answers it."""
    return {
        "subscriptionId": row["id"],
        "organizationId": row["organization_id"],
        "createdDate": row["created_date"],
        "eventType": row["event_type"],
        "callbackUrl": row["callback_url"],
    }


def _organization(row):
    return {
        "id": row["id"],
        "companyName": row["company_name"],
        "taxType": row["tax_type"],
        "smallBusiness": bool(row["small_business"]),
        "eInvoice": bool(row["e_invoice"]),
        "distanceSalesPrinciple": row["distance_sales"],
    }
