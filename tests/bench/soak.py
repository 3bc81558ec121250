"""Fault soak: invoices through a real multi-process Odoo and a faulty sandbox, workers killed.

Run: python3 tests/bench/soak.py [--invoices 300] [--kills 3] [--fault-rate 0.2] [--keep]
                                 [--config FILE --db NAME] [--seed N] [--timeout 1800]
                                 [--respawn-only]

Without --config/--db it creates a fresh German database with setup/odoo_db.py (~75 s) and
drops it at the end unless --keep. It starts the sandbox as its own process (file database,
Lexware's 2 requests/s, --fault-rate faults on writes: half 503 before, half 504 after
carrying the request out), points the addon at it, connects the main company with the
sandbox API key and turns auto transfer on. Then it starts `odoo --workers 2
--max-cron-threads 1`, creates and posts the invoices over JSON-RPC in batches of ten
(invoices and credit notes, 19 % and 7 %, several customers) while the cron sends them, and
SIGKILLs the cron worker --kills times mid-attempt (a row in `sending`) once 20 % ... 70 %
of the vouchers have arrived. After each kill the whole server is stopped and started
again while the invoices go on being posted (the poster retries refused connections); with
--respawn-only the Odoo master just spawns a new cron worker.

When every invoice is `sent` in Odoo (or --timeout passes) it compares Odoo with the
sandbox: each number exactly once, the right type, equal gross and tax totals, exactly one
file; and it greps the server log for the API key and any stored token. It prints the
figures and exits non-zero when any of them is wrong.
"""

import argparse
import contextlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(Path(__file__).resolve().parent), str(ROOT / "setup")]

from odoo_db import free_port  # noqa: E402
from sandbox_process import API_KEY, SandboxProcess, http_json, wait_for  # noqa: E402

ADMIN_LOGIN = ADMIN_PASSWORD = "admin"
ADVISORY_LOCK_KEY = 0x4C5857  # lexware_transfer.ADVISORY_LOCK_KEY: "LXW", then the company
BATCH = 10
CREDIT_NOTE_EVERY = 7
CUSTOMERS = (
    ("Bäckerei Korn GmbH", "Mühlenweg 3", "80331", "München"),
    ("Schreinerei Holz & Söhne KG", "Waldstraße 12", "50667", "Köln"),
    ("Elektro Funke OHG", "Am Umspannwerk 7", "20095", "Hamburg"),
    ("Gärtnerei Blüte e.K.", "Rosenallee 21", "01067", "Dresden"),
    ("Dachdecker Ziegel GmbH", "Firstweg 5", "70173", "Stuttgart"),
    ("Malerbetrieb Farbe UG", "Pinselgasse 9", "04109", "Leipzig"),
    ("Sanitär Wasser AG", "Rohrstraße 44", "28195", "Bremen"),
    ("Kfz-Werkstatt Kolben GmbH", "Zündkerzenring 2", "90402", "Nürnberg"),
)


# -- the two processes ------------------------------------------------------------------------


class OdooServer:
    """`odoo --workers 2 --max-cron-threads 1`; knows its cron worker from the log."""

    def __init__(self, config, db, logfile, workers=2, cron_threads=1):
        self.config, self.db, self.logfile = config, db, logfile
        self.workers, self.cron_threads = workers, cron_threads
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.uid = None

    def start(self):
        command = [sys.executable, "-m", "odoo", "-c", str(self.config), "-d", self.db]
        command += ["--workers", str(self.workers), "--max-cron-threads", str(self.cron_threads)]
        command += ["--http-port", str(self.port), "--logfile", str(self.logfile)]
        command += ["--log-level", "info", "--no-database-list"]
        self.process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for(self._logged_in, 120, "the Odoo server", pause=1)

    def _logged_in(self):
        if self.process.poll() is not None:
            raise SystemExit(f"soak: the Odoo server exited; see {self.logfile}")
        self.uid = self.call("common", "login", self.db, ADMIN_LOGIN, ADMIN_PASSWORD)
        return bool(self.uid)

    def call(self, service, method, *args):
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": list(args)},
        }
        answer = http_json(self.url + "/jsonrpc", payload, timeout=300)
        if answer.get("error"):
            error = answer["error"]
            raise RuntimeError(error.get("data", {}).get("message") or error.get("message"))
        return answer["result"]

    def execute(self, model, method, *args, **kwargs):
        return self.call(
            "object", "execute_kw", self.db, self.uid, ADMIN_PASSWORD, model, method, args, kwargs
        )

    def children(self):
        pids = set()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.process.pid:
                    pids.add(int(entry.name))
        return pids

    def cron_workers(self):
        """Living cron workers of this master: 'Worker WorkerCron (pid) alive' in the log."""
        text = Path(self.logfile).read_text(errors="replace")
        logged = {int(pid) for pid in re.findall(r"Worker WorkerCron \((\d+)\) alive", text)}
        return sorted(logged & self.children())

    def stop(self):
        if self.process and self.process.poll() is None:
            children = self.children()
            self.process.terminate()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            for pid in children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


# -- the database -----------------------------------------------------------------------------


def make_database(workdir):
    db = f"lx_soak_{os.getpid()}"
    config = workdir / "odoo.conf"
    script = str(ROOT / "setup" / "odoo_db.py")
    subprocess.run(  # noqa: S603
        [sys.executable, script, "config", str(config), "--db", db]
        + ["--data-dir", str(workdir / "data")],
        check=True,
    )
    print(f"soak: creating database {db} (about a minute) ...", flush=True)
    subprocess.run([sys.executable, script, "create", str(config), db], check=True)  # noqa: S603
    return config, db


def load_registry(config, db):
    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-c", str(config), "--log-level=warn"])
    return Registry(db)


def prepare(registry, sandbox_url, server_url):
    """Point the addon at the sandbox, connect the main company, make customers."""
    from odoo import SUPERUSER_ID, Command, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        params = env["ir.config_parameter"]
        for name in ("lexware_connector.api_url", "lexware_connector.auth_url"):
            params.set_param(name, sandbox_url)
        for name in ("lexware_connector.client_id", "lexware_connector.client_secret"):
            params.set_param(name, False)
        # wkhtmltopdf fetches the report's styles from the running server.
        params.set_param("web.base.url", server_url)
        params.set_param("web.base.url.freeze", True)
        params.set_param("report.url", server_url)
        company = env.ref("base.main_company")
        admin = env.ref("base.user_admin")
        company.with_user(admin)._lexware_action_connect(api_key=API_KEY)
        company.lexware_auto_transfer = True
        chart = env["account.chart.template"].with_company(company)
        taxes = [chart.ref("tax_ust_19_skr03").id, chart.ref("tax_ust_7_skr03").id]
        germany = env.ref("base.de").id
        # Customers of an earlier run on the same database are the same customers.
        partners = env["res.partner"].search([("name", "in", [c[0] for c in CUSTOMERS])])
        partners |= env["res.partner"].create(
            [
                {
                    "name": name,
                    "is_company": True,
                    "street": street,
                    "zip": zip_code,
                    "city": city,
                    "country_id": germany,
                    "email": f"rechnung{n}@kunde{n}.example",
                }
                for n, (name, street, zip_code, city) in enumerate(CUSTOMERS)
                if name not in partners.mapped("name")
            ]
        )
        product = env["product.product"].create(
            {"name": "Soak-Leistung", "type": "service", "taxes_id": [Command.clear()]}
        )
        facts = {
            "company": company.id,
            "taxes": taxes,
            "partners": partners.ids,
            "product": product.id,
            "secrets": company_secrets(company),
        }
        cr.commit()
    return facts


def company_secrets(company):
    """The values of the company's admin-only text fields (key, tokens, verifier...)."""
    values = set()
    for name, field in company._fields.items():
        if name.startswith("lexware_") and field.type == "char" and field.groups:
            value = company.sudo()[name]
            if value and len(value) >= 8:
                values.add(value)
    return values


def invoice_values(facts, number, rng):
    move_type = (
        "out_refund" if number % CREDIT_NOTE_EVERY == CREDIT_NOTE_EVERY - 1 else "out_invoice"
    )
    lines = []
    for line in range(rng.randint(1, 3)):
        tax = facts["taxes"][rng.random() < 0.3]
        lines.append(
            (
                0,
                0,
                {
                    "product_id": facts["product"],
                    "name": f"Soak {number} Position {line + 1}",
                    "quantity": rng.choice((1, 1, 2, 3, 0.5)),
                    "price_unit": round(rng.uniform(5, 2500), 2),
                    "tax_ids": [(6, 0, [tax])],
                },
            )
        )
    return {
        "move_type": move_type,
        "partner_id": rng.choice(facts["partners"]),
        "invoice_date": date.today().isoformat(),
        "invoice_line_ids": lines,
    }


class Poster(threading.Thread):
    """Creates and posts the invoices over JSON-RPC, ten at a time."""

    def __init__(self, server, facts, count, seed):
        super().__init__(daemon=True)
        self.server, self.facts, self.count = server, facts, count
        self.rng = random.Random(seed)
        self.move_ids = []
        self.errors = []
        self.done = threading.Event()

    def run(self):
        try:
            made = 0
            while made < self.count:
                size = min(BATCH, self.count - made)
                values = [invoice_values(self.facts, made + n, self.rng) for n in range(size)]
                ids = self._retry(
                    lambda values=values: self.server.execute("account.move", "create", values)
                )
                self._retry(lambda ids=ids: self._post(ids))
                self.move_ids.extend(ids)
                made += size
        except Exception as error:  # noqa: BLE001
            self.errors.append(error)
        finally:
            self.done.set()

    def _post(self, ids):
        states = self.server.execute("account.move", "read", ids, ["state"])
        drafts = [row["id"] for row in states if row["state"] == "draft"]
        if drafts:
            self.server.execute("account.move", "action_post", drafts)
        return True

    def _retry(self, step):
        """A restarting server refuses connections for a while: try again."""
        for _attempt in range(29):
            try:
                return step()
            except (OSError, urllib.error.URLError):
                time.sleep(2)
        return step()


# -- watching -------------------------------------------------------------------------------


def transfer_states(registry, move_ids):
    if not move_ids:
        return Counter()
    with registry.cursor() as cr:
        cr.execute(
            "SELECT state, count(*) FROM lexware_transfer WHERE move_id IN %s GROUP BY state",
            (tuple(move_ids),),
        )
        return Counter(dict(cr.fetchall()))


def sending_now(registry):
    """Whether a worker is in the middle of an attempt: a row it marked `sending` in the
    last seconds while it holds a company's advisory lock (a dead worker's row stays in
    `sending` without it)."""
    with registry.cursor() as cr:
        cr.execute(
            """
            SELECT count(*) FROM lexware_transfer
             WHERE state = 'sending' AND claimed_at > (now() at time zone 'UTC') - interval '60 s'
               AND EXISTS (SELECT 1 FROM pg_locks
                            WHERE locktype = 'advisory' AND classid = %s AND granted)
            """,
            (ADVISORY_LOCK_KEY,),
        )
        return cr.fetchone()[0]


def kill_thresholds(kills):
    if kills <= 0:
        return []
    if kills == 1:
        return [0.45]
    return [0.20 + (0.70 - 0.20) * n / (kills - 1) for n in range(kills)]


def kill_cron_worker(server, registry):
    """SIGKILL the cron worker while it has a row in `sending`; its pid, or None."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pids = server.cron_workers()
        if pids and sending_now(registry):
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
            return pids
        time.sleep(0.05)
    return None


# -- the verdict ----------------------------------------------------------------------------


def verify(registry, sandbox, move_ids, logfile, secrets):
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        moves = env["account.move"].browse(move_ids)
        odoo_side = {
            move.name: {
                "type": "salescreditnote" if move.move_type == "out_refund" else "salesinvoice",
                "gross": move.amount_total,
                "tax": move.amount_tax,
                "state": move.lexware_state,
                "voucher_id": move.lexware_voucher_id,
            }
            for move in moves
        }
    vouchers = defaultdict(list)
    for voucher in sandbox.get("/_sandbox/vouchers"):
        vouchers[voucher["voucherNumber"]].append(voucher)
    result = Counter()
    problems = []
    for number, move in odoo_side.items():
        found = vouchers.get(number, [])
        if move["state"] != "sent":
            result["not sent in Odoo"] += 1
            problems.append(f"{number}: lexware_state {move['state']}")
        if not found:
            result["lost"] += 1
            problems.append(f"{number}: not in Lexware")
            continue
        if len(found) > 1:
            result["duplicates"] += len(found) - 1
            problems.append(f"{number}: {len(found)} vouchers")
        voucher = found[0]
        if (
            voucher["type"] != move["type"]
            or abs(voucher["totalGrossAmount"] - move["gross"]) > 0.005
            or abs(voucher["totalTaxAmount"] - move["tax"]) > 0.005
        ):
            result["mismatched totals"] += 1
            problems.append(
                f"{number}: Lexware {voucher['type']} {voucher['totalGrossAmount']}"
                f"/{voucher['totalTaxAmount']}, Odoo {move['type']} {move['gross']}/{move['tax']}"
            )
        if move["voucher_id"] and move["voucher_id"] != voucher["id"]:
            result["wrong voucher id"] += 1
            problems.append(f"{number}: Odoo links {move['voucher_id']}, Lexware {voucher['id']}")
        files = len(voucher.get("files") or [])
        if files != 1:
            result["missing PDFs" if files == 0 else "extra PDFs"] += 1
            problems.append(f"{number}: {files} files")
    # An earlier run on the same database may have left rows that went out in this one.
    with registry.cursor() as cr:
        cr.execute("SELECT name FROM account_move WHERE name IN %s", (tuple(vouchers) or ("",),))
        known = {name for (name,) in cr.fetchall()}
    result["unknown vouchers"] = sum(
        len(found) for number, found in vouchers.items() if number not in known
    )
    names = Counter(_contact_name(contact) for contact in sandbox.get("/_sandbox/contacts"))
    result["contacts"] = sum(names.values())
    result["duplicate contacts"] = sum(count - 1 for count in names.values())
    log_text = Path(logfile).read_text(errors="replace")
    result["secrets in log"] = sum(log_text.count(secret) for secret in secrets | {API_KEY})
    result["vouchers"] = sum(len(found) for number, found in vouchers.items())
    return result, problems


def _interrupted(signum, frame):
    raise KeyboardInterrupt


def _contact_name(contact):
    company = contact.get("company") or {}
    person = contact.get("person") or {}
    return company.get("name") or f"{person.get('firstName', '')} {person.get('lastName', '')}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=300)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds for the drain")
    parser.add_argument("--config")
    parser.add_argument("--db")
    parser.add_argument("--keep", action="store_true", help="keep the database and files")
    parser.add_argument(
        "--respawn-only",
        action="store_true",
        help="after a kill, let the Odoo master spawn a new cron worker; no server restart",
    )
    args = parser.parse_args()
    if bool(args.config) != bool(args.db):
        parser.error("--config and --db go together")

    sys.path[:0] = [str(ROOT)]
    # Stopped from outside: still stop both processes (the `finally` below).
    signal.signal(signal.SIGTERM, _interrupted)
    workdir = Path(tempfile.mkdtemp(prefix="lexware_soak_"))
    started = time.monotonic()
    if args.config:
        config, db, own_db = Path(args.config), args.db, False
    else:
        config, db = make_database(workdir)
        own_db = True
    registry = load_registry(config, db)
    sandbox = SandboxProcess(workdir, args.fault_rate, args.seed)
    server = OdooServer(config, db, workdir / "odoo.log")
    server.url = f"http://127.0.0.1:{server.port}"
    facts = prepare(registry, sandbox.url, server.url)
    print(f"soak: sandbox {sandbox.url}, Odoo {server.url}, files in {workdir}", flush=True)
    kills, kill_log, extra_restarts = 0, [], 0
    poster = None
    try:
        server.start()
        soak_started = time.monotonic()
        poster = Poster(server, facts, args.invoices, args.seed)
        poster.start()
        thresholds = kill_thresholds(args.kills)
        last_report = 0.0
        while True:
            elapsed = time.monotonic() - soak_started
            counters = sandbox.get("/_sandbox/counters")
            arrived = counters.get("vouchers_created", 0)
            states = transfer_states(registry, list(poster.move_ids))
            if kills < len(thresholds) and arrived >= thresholds[kills] * args.invoices:
                pids = kill_cron_worker(server, registry)
                if pids:
                    kills += 1
                    kill_log.append(f"{elapsed:.0f}s at {arrived} vouchers: pid {pids}")
                    print(f"soak: SIGKILL cron worker {pids} at {arrived} vouchers", flush=True)
                    if not args.respawn_only:
                        server.stop()
                        server.start()
                    else:
                        try:
                            wait_for(server.cron_workers, 60, "a new cron worker")
                        except SystemExit:
                            print("soak: no new cron worker: restarting the server", flush=True)
                            server.stop()
                            server.start()
                            extra_restarts += 1
            if elapsed - last_report >= 20:
                last_report = elapsed
                print(
                    f"soak: {elapsed:5.0f}s posted {len(poster.move_ids)}/{args.invoices} "
                    f"transfers {dict(states)} vouchers {arrived} "
                    f"faults {counters.get('fault_503', 0)}+{counters.get('fault_504', 0)} "
                    f"kills {kills}",
                    flush=True,
                )
            if poster.done.is_set() and (poster.errors or len(poster.move_ids) >= args.invoices):
                open_rows = states.get("pending", 0) + states.get("sending", 0)
                if sum(states.values()) >= len(poster.move_ids) and not open_rows:
                    break
            if elapsed > args.timeout:
                print("soak: timeout", flush=True)
                break
            if server.process.poll() is not None:
                print("soak: the Odoo master died: restarting it", flush=True)
                server.start()
                extra_restarts += 1
            time.sleep(1)
        drain_time = time.monotonic() - soak_started
        counters = sandbox.get("/_sandbox/counters")
        result, problems = verify(
            registry, sandbox, list(poster.move_ids), server.logfile, facts["secrets"]
        )
    finally:
        server.stop()
        sandbox.stop()
    log_text = Path(server.logfile).read_text(errors="replace")
    figures = [
        ("invoices", len(poster.move_ids)),
        ("posting errors", len(poster.errors)),
        ("vouchers in Lexware", result["vouchers"]),
        ("duplicates", result["duplicates"]),
        ("lost", result["lost"]),
        ("not sent in Odoo", result["not sent in Odoo"]),
        ("mismatched totals", result["mismatched totals"]),
        ("wrong voucher id", result["wrong voucher id"]),
        ("missing PDFs", result["missing PDFs"]),
        ("extra PDFs", result["extra PDFs"]),
        ("unknown vouchers", result["unknown vouchers"]),
        ("contacts in Lexware", result["contacts"]),
        ("duplicate contacts", result["duplicate contacts"]),
        (
            "faults injected (503 + 504)",
            f"{counters['fault_503'] + counters['fault_504']} "
            f"({counters['fault_503']} + {counters['fault_504']})",
        ),
        ("requests to Lexware", counters["requests"]),
        ("rate limited (429)", counters["rate_limited"]),
        ("kills (SIGKILL, cron worker)", f"{kills} of {args.kills}"),
        ("cron watchdog kills", len(re.findall(r"WorkerCron \(\d+\) timeout after", log_text))),
        ("server restarts by the soak", extra_restarts + (0 if args.respawn_only else kills)),
        ("found by number after unknown outcome", log_text.count("was already booked as")),
        ("secrets in log", result["secrets in log"]),
        ("drain time", f"{drain_time:.0f} s"),
        ("total time", f"{time.monotonic() - started:.0f} s"),
    ]
    width = max(len(name) for name, _value in figures)
    print()
    print(f"| {'figure':<{width}} | value |")
    print(f"| {'-' * width} | ----- |")
    for name, value in figures:
        print(f"| {name:<{width}} | {value} |")
    for line in kill_log:
        print(f"kill: {line}")
    for error in poster.errors:
        print(f"posting error: {error}")
    for problem in problems[:40]:
        print(f"problem: {problem}")
    wrong = [
        name
        for name in (
            "duplicates",
            "lost",
            "not sent in Odoo",
            "mismatched totals",
            "wrong voucher id",
            "missing PDFs",
            "extra PDFs",
            "unknown vouchers",
            "duplicate contacts",
            "secrets in log",
        )
        if result[name]
    ]
    if poster.errors or len(poster.move_ids) < args.invoices:
        wrong.append("posting")
    if kills < args.kills:
        wrong.append("kills")
    if not args.keep:
        import odoo

        odoo.sql_db.close_all()
        if own_db:
            subprocess.run(  # noqa: S603
                [sys.executable, str(ROOT / "setup" / "odoo_db.py"), "drop", str(config), db],
                check=False,
            )
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"soak: kept database {db} and files in {workdir}")
    if wrong:
        print(f"soak: FAILED ({', '.join(wrong)})")
        return 1
    print("soak: OK, each invoice in Lexware exactly once")
    return 0


if __name__ == "__main__":
    sys.exit(main())
