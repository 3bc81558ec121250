"""Paid in Lexware, paid in Odoo: the time from a payment booked in Lexware until Odoo shows
the invoice paid, by the webhook (event -> controller -> cron trigger -> registered).

Run: python tests/bench/bench_webhook.py [--config FILE --db NAME] [--invoices 20]

Without --config/--db it uses its own database (lx_bench_webhook under /tmp, made the
first time). The module is updated first. It starts the sandbox in its own process, limited
like Lexware (2 req/s), delivering to http callbacks, and a real Odoo server
(`--workers 2 --max-cron-threads 1`) that Lexware's events reach. The main company is
connected with the sandbox's API key, auto transfer and payment sync on, the callback base
(`lexware_connector.webhook_url`) the server's URL, the sandbox's public key in place of
Lexware's. --invoices invoices are posted and sent by the server's transfer cron; then each
is paid in full in the sandbox's web app controls, one at a time, and the database is read
every 50 ms until the invoice is paid. Prints median, p95 and max (target p95 <= 10 s).
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "lexware_connector"), str(Path(__file__).parent)]

from sandbox_process import (  # noqa: E402
    SandboxProcess,
    bench_database,
    connect_to_sandbox,
    http_json,
    wait_for,
)
from soak import OdooServer, load_registry  # noqa: E402

BENCH_DB = "lx_bench_webhook"
PAID_STATES = ("paid", "in_payment")


def update_module(config, db):
    print("updating lexware_connector ...", flush=True)
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "odoo", "-c", str(config), "-d", db]
        + ["-u", "lexware_connector", "--stop-after-init", "--log-level", "warn"],
        cwd=ROOT,
        check=True,
    )


def prepare(registry, sandbox, server_url):
    """Connect the main company to the sandbox with the webhook pointed at the server."""
    from odoo import SUPERUSER_ID, api

    with urllib.request.urlopen(sandbox.url + "/_sandbox/webhook-public-key") as answer:  # noqa: S310
        public_key = answer.read().decode()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        params = env["ir.config_parameter"]
        params.set_param("lexware_connector.webhook_url", server_url)
        params.set_param("lexware_connector.webhook_public_key", public_key)
        # wkhtmltopdf fetches the report's styles from the running server.
        for name in ("web.base.url", "report.url"):
            params.set_param(name, server_url)
        params.set_param("web.base.url.freeze", True)
        company = env.ref("base.main_company")
        company.lexware_payment_sync = True
        company = connect_to_sandbox(env, sandbox)
        company.lexware_auto_transfer = True
        subscriptions = company.lexware_connection_id.sudo().subscription_ids
        print(f"subscribed: {sorted(subscriptions.mapped('event_type'))}", flush=True)
        assert len(subscriptions) == 3, company.lexware_connection_id.sudo().webhook_problem
        cr.commit()


def post_invoices(registry, count):
    from odoo import SUPERUSER_ID, Command, api, fields

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        partner = env["res.partner"].search([("name", "=", "Webhook Kunde GmbH")], limit=1)
        partner = partner or env["res.partner"].create(
            {"name": "Webhook Kunde GmbH", "is_company": True, "email": "hook@kunde.example"}
        )
        tax = env["account.chart.template"].with_company(env.company).ref("tax_ust_19_skr03")
        moves = env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": fields.Date.today(),
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "Leistung", "price_unit": 100.0 + n, "tax_ids": tax.ids}
                        )
                    ],
                }
                for n in range(count)
            ]
        )
        moves.action_post()
        cr.commit()
        return moves.ids


def read_moves(registry, move_ids):
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        moves = env["account.move"].browse(move_ids)
        return [(m.lexware_state, m.lexware_voucher_id, m.payment_state) for m in moves]


def measure(registry, sandbox, move_ids):
    latencies = []
    for move_id in move_ids:
        voucher_id = read_moves(registry, [move_id])[0][1]
        started = time.perf_counter()
        http_json(sandbox.url + "/_sandbox/pay", {"voucherId": voucher_id})
        wait_for(
            lambda move_id=move_id: read_moves(registry, [move_id])[0][2] in PAID_STATES,
            60,
            f"invoice {move_id} paid in Odoo",
            pause=0.05,
        )
        latencies.append(time.perf_counter() - started)
    return sorted(latencies)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config")
    parser.add_argument("--db")
    parser.add_argument("--invoices", type=int, default=20)
    args = parser.parse_args()
    config, db = bench_database(parser, args, BENCH_DB)
    update_module(config, db)
    registry = load_registry(config, db)
    with tempfile.TemporaryDirectory() as workdir, SandboxProcess(workdir) as sandbox:
        sandbox.configure(webhook_http_allowed=True)
        server = OdooServer(config, db, Path(workdir) / "odoo.log")
        server.start()
        try:
            prepare(registry, sandbox, server.url)
            move_ids = post_invoices(registry, args.invoices)
            wait_for(
                lambda: all(row[0] == "sent" for row in read_moves(registry, move_ids)),
                300,
                "the invoices sent by the transfer cron",
            )
            latencies = measure(registry, sandbox, move_ids)
        finally:
            server.stop()
    p95 = latencies[max(0, int(round(0.95 * len(latencies))) - 1)]
    print(
        f"paid in Lexware -> paid in Odoo, {len(latencies)} invoices: median "
        f"{statistics.median(latencies):.2f} s, p95 {p95:.2f} s, max {latencies[-1]:.2f} s "
        "(target p95 <= 10 s)"
    )


if __name__ == "__main__":
    main()
