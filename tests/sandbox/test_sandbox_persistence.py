"""State in a SQLite file survives a restart; the CLI serves it and says where."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from sandbox_helpers import API_KEY, PDF, Api, company
from voucher_payloads import voucher

from lexware_sandbox import SandboxServer


def test_state_survives_a_restart(tmp_path):
    db = str(tmp_path / "sandbox.sqlite3")
    with SandboxServer(db=db, rate=1000, burst=1000) as first:
        api = Api(first.url, API_KEY)
        org_id = api.get("/v1/profile").json()["organizationId"]
        contact_id = api.post("/v1/contacts", json=company()).json()["id"]
        voucher_id = api.post("/v1/vouchers", json=voucher()).json()["id"]
        file_id = api.post(
            f"/v1/vouchers/{voucher_id}/files", files={"file": ("RE.pdf", PDF)}
        ).json()["id"]
        first.add_organization("Zweite GmbH", api_key="second")
    with SandboxServer(db=db, rate=1000, burst=1000) as second:
        api = Api(second.url, API_KEY)
        assert api.get("/v1/profile").json()["organizationId"] == org_id
        assert api.get(f"/v1/contacts/{contact_id}").status_code == 200
        assert api.get(f"/v1/vouchers/{voucher_id}").json()["files"] == [file_id]
        assert api.get(f"/files/{file_id}").content == PDF
        assert Api(second.url, "second").get("/v1/profile").json()["companyName"] == "Zweite GmbH"
        again = api.post("/v1/contacts", json=company("Nächste GmbH")).json()["id"]
        assert api.get(f"/v1/contacts/{again}").json()["roles"]["customer"]["number"] == 10001


def test_cli_prints_its_url_and_serves(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "lexware_sandbox", "--db", ":memory:", "--api-key", "cli-key"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    try:
        line = process.stdout.readline().strip()
        assert line.startswith("Lexware sandbox listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1]
        assert Api(url, "cli-key").get("/v1/profile").status_code == 200
        assert Api(url, API_KEY).get("/v1/profile").status_code == 401
    finally:
        process.terminate()
        assert process.wait(timeout=5) == 0


def test_a_database_from_before_the_distance_sales_column_opens(tmp_path):
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE organizations (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE"
        " NOT NULL, company_name TEXT NOT NULL, tax_type TEXT NOT NULL,"
        " small_business INTEGER NOT NULL, e_invoice INTEGER NOT NULL)"
    )
    db.execute("INSERT INTO organizations VALUES (1, 'org-1', 'Alt GmbH', 'net', 0, 0)")
    db.commit()
    db.close()
    with SandboxServer(db=str(path), api_keys=("old-key",)) as sandbox:
        profile = Api(sandbox.url, "old-key").get("/v1/profile").json()
    assert profile["organizationId"] == "org-1"
    assert profile["distanceSalesPrinciple"] == "ORIGIN"
