"""How many requests, how long and how much memory the payment polling takes for 10,000
sent open invoices of which 100 were paid in Lexware.

Run: python tests/bench/bench_payments.py [--config FILE --db NAME] [--invoices 10000]
                                          [--paid 100]

Without --config/--db it makes its own database (lx_bench_payments under /tmp, ~75 s the
first time) with setup/odoo_db.py. It starts the sandbox in its own process, limited like
Lexware (2 req/s), and connects the main company with the sandbox's API key, auto transfer
off, payment sync on. The fastest faithful path to --invoices sent open invoices:
- the invoices of March 2023 are made as bench_export.py makes them (a hundred by the ORM,
  the rest copied in SQL), one credit note in ten;
- each is booked in the sandbox through its API with Odoo's number, date and total (the
  sandbox's rate limit lifted for that), and its transfer row is created as the transfer
  engine leaves a sent invoice (state sent, the voucher id);
- --paid of them are paid in full in the sandbox's web app controls.
Then the polling cron's cycle runs at 2 req/s, plainly, and again under tracemalloc after
another --paid were paid, for the peak of Python memory. Targets: requests <= 150, every
paid invoice paid in Odoo, nothing registered twice.
Each run starts from a clean slate: the period's transfer rows and payment records of
earlier runs are deleted, and a fresh sandbox holds no vouchers.
"""

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [
    str(ROOT),
    str(ROOT / "lexware_connector"),
    str(Path(__file__).parent),
    str(ROOT / "tests"),
]

from bench_export import DATE_FROM, DATE_TO, ensure_invoices  # noqa: E402
from sandbox_process import (  # noqa: E402
    API_KEY,
    SandboxProcess,
    bench_database,
    connect_to_sandbox,
    http_json,
    odoo_registry,
)
from voucher_payloads import GOODS  # noqa: E402

BENCH_DB = "lx_bench_payments"


def period_moves(env, limit=None):
    return env["account.move"].search(
        [
            ("company_id", "=", env.company.id),
            ("state", "=", "posted"),
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("invoice_date", ">=", DATE_FROM),
            ("invoice_date", "<=", DATE_TO),
        ],
        order="id",
        limit=limit,
    )


def forget_earlier_runs(env):
    """Undo what earlier runs left: their payments unreconciled (the audit trail keeps
    them), the records of them, the transfer rows and what Odoo saw in Lexware."""
    env["account.payment"].search([]).move_id.line_ids.remove_move_reconcile()
    cr = env.cr
    cr.execute("DELETE FROM lexware_payment")
    cr.execute("DELETE FROM lexware_transfer")
    cr.execute(
        "UPDATE account_move SET lexware_voucher_status = NULL, lexware_open_amount = NULL,"
        " lexware_state = NULL, lexware_voucher_id = NULL"
    )
    cr.execute("UPDATE res_company SET lexware_payment_cursor = NULL")
    env.invalidate_all()


def book_as_sent(env, sandbox, moves):
    """Each move booked in the sandbox (its number, date and total) and marked sent."""
    import requests

    rows = moves.read(
        ["name", "move_type", "invoice_date", "amount_untaxed", "amount_tax"], load=False
    )
    sandbox.configure(rate=10_000, burst=10_000)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {API_KEY}"
    transfers = []
    for row in rows:
        net, tax = row["amount_untaxed"], row["amount_tax"]
        rate = round(tax / net * 100) if net and tax else 0
        answer = session.post(
            f"{sandbox.url}/v1/vouchers",
            json={
                "type": "salescreditnote" if row["move_type"] == "out_refund" else "salesinvoice",
                "voucherNumber": row["name"],
                "voucherDate": row["invoice_date"].isoformat(),
                "taxType": "net",
                "totalGrossAmount": round(net + tax, 2),
                "totalTaxAmount": tax,
                "useCollectiveContact": True,
                "voucherItems": [
                    {"amount": net, "taxAmount": tax, "taxRatePercent": rate, "categoryId": GOODS}
                ],
            },
            timeout=30,
        )
        answer.raise_for_status()
        transfers.append({"move_id": row["id"], "state": "sent", "voucher_id": answer.json()["id"]})
    sandbox.configure(rate=2.0, burst=2)
    env["lexware.transfer"].create(transfers)
    env.flush_all()
    return [transfer["voucher_id"] for transfer in transfers]


def pay(sandbox, voucher_ids):
    for voucher_id in voucher_ids:
        http_json(f"{sandbox.url}/_sandbox/pay", {"voucherId": voucher_id, "date": "2023-04-03"})


def sync_once(registry, trace):
    """One polling cycle, as the cron runs it on a cursor of its own; answers seconds and
    the traced peak (bytes, 0 untraced)."""
    from odoo import SUPERUSER_ID, api

    if trace:
        tracemalloc.start()
    started = time.monotonic()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"lexware_commit": True})
        env["lexware.payment.sync"]._cron_sync()
        cursor = env.company.lexware_payment_cursor
    elapsed = time.monotonic() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    if trace:
        tracemalloc.stop()
    if cursor:
        raise SystemExit("the cycle did not reach the end of the period")
    return elapsed, peak


def paid_in_odoo(registry, voucher_ids):
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        moves = env["account.move"].search([("lexware_voucher_id", "in", voucher_ids)])
        paid = moves.filtered(lambda move: move.amount_residual == 0)
        rows = env["lexware.payment"].search_count([("move_id", "in", moves.ids)])
        return len(paid), rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config")
    parser.add_argument("--db")
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--paid", type=int, default=100)
    args = parser.parse_args()
    config, db_name = bench_database(parser, args, BENCH_DB)

    from odoo import SUPERUSER_ID, api

    registry = odoo_registry(config, db_name)
    with tempfile.TemporaryDirectory() as workdir, SandboxProcess(workdir) as sandbox:
        started = time.monotonic()
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            company = connect_to_sandbox(env, sandbox)
            company.lexware_auto_transfer = False
            company.lexware_payment_sync = True
            forget_earlier_runs(env)
            print(f"database {db_name}: {args.invoices} invoices in {DATE_FROM:%B %Y}", flush=True)
            ensure_invoices(env(context={"tracking_disable": True}), args.invoices)
            moves = period_moves(env, args.invoices)
            voucher_ids = book_as_sent(env, sandbox, moves)
            cr.commit()
        print(f"  {len(voucher_ids)} booked in the sandbox and marked sent", flush=True)
        first, second = voucher_ids[: args.paid], voucher_ids[args.paid : 2 * args.paid]
        pay(sandbox, first)
        print(f"set-up: {time.monotonic() - started:.1f} s; {len(first)} paid in Lexware")

        requests_before = sandbox.counters()["requests"]
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        plain, _peak = sync_once(registry, trace=False)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        asked = sandbox.counters()["requests"] - requests_before
        paid, rows = paid_in_odoo(registry, first)

        requests_before = sandbox.counters()["requests"]
        quiet, _peak = sync_once(registry, trace=False)
        asked_quiet = sandbox.counters()["requests"] - requests_before

        pay(sandbox, second)
        traced, peak = sync_once(registry, trace=True)

    pages = -(-len(voucher_ids) // 250)
    print(f"sent open invoices:            {len(voucher_ids)} ({DATE_FROM} to {DATE_TO})")
    print(f"paid in Lexware:               {len(first)}")
    print(f"requests of the cycle:         {asked} (target <= 150; {pages} pages + changed)")
    print(f"time of the cycle:             {plain:.1f} s at 2 req/s")
    print(f"paid in Odoo after it:         {paid}; payment records {rows}")
    print(f"a cycle with nothing changed:  {asked_quiet} requests, {quiet:.1f} s")
    print(f"peak Python memory (traced):   {peak / 1e6:.1f} MB ({traced:.1f} s traced)")
    print(f"max RSS growth of the process: {(rss_after - rss_before) / 1024:.1f} MB")
    return 0 if asked <= 150 and paid == len(first) and rows == len(first) else 1


if __name__ == "__main__":
    sys.exit(main())
