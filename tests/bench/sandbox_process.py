"""The sandbox as its own process, for benchmarks and the soak: Lexware is another server,
so its CPU and memory must not count as the connector's."""

import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "setup"))

from odoo_db import ensure_database, free_port  # noqa: E402

API_KEY = "sandbox-api-key"


def bench_database(parser, args, name):
    """--config and --db when given, else the database `name`, made when missing."""
    if bool(args.config) != bool(args.db):
        parser.error("--config and --db go together")
    return (args.config, args.db) if args.db else ensure_database(name)


def odoo_registry(config, db_name):
    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-c", str(config), "--log-level=warn"])
    return Registry(db_name)


def connect_to_sandbox(env, sandbox):
    """Point the connector at `sandbox` and connect the main company with its API key, as an
    admin does; return the company."""
    params = env["ir.config_parameter"]
    for name in ("api_url", "auth_url"):
        params.set_param(f"lexware_connector.{name}", sandbox.url)
    params.set_param("lexware_connector.client_id", False)
    params.set_param("lexware_connector.client_secret", False)
    company = env.ref("base.main_company")
    company.with_user(env.ref("base.user_admin"))._lexware_action_connect(api_key=API_KEY)
    return company


def http_json(url, payload=None, timeout=60):
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json"} if data else {}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (local)
        return json.loads(response.read().decode())


def wait_for(check, timeout, what, pause=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(pause)
    raise SystemExit(f"gave up waiting for {what}")


class SandboxProcess:
    """`python -m lexware_sandbox` on a free port, with its file database in `workdir`."""

    def __init__(self, workdir, fault_rate=0.0, seed=None, rate=2.0, burst=2):
        workdir = Path(workdir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(workdir / "sandbox.log", "w", encoding="utf-8")  # noqa: SIM115
        command = [sys.executable, "-m", "lexware_sandbox", "--port", str(self.port)]
        command += ["--db", str(workdir / "sandbox.sqlite3"), "--fault-rate", str(fault_rate)]
        command += ["--rate", str(rate), "--burst", str(burst), "--api-key", API_KEY]
        if seed is not None:
            command += ["--seed", str(seed)]
        self.process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT
        )
        wait_for(lambda: self.get("/_sandbox/counters") is not None, 30, "the sandbox")

    def get(self, path):
        return http_json(self.url + path)

    def configure(self, **options):
        http_json(self.url + "/_sandbox/config", options)

    def counters(self):
        return self.get("/_sandbox/counters")

    def vouchers(self, number=None):
        query = f"?{urllib.parse.urlencode({'number': number})}" if number is not None else ""
        return self.get("/_sandbox/vouchers" + query)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()
