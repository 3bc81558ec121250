"""How long an export of 10,000 invoices takes, in the wizard and in the background, and
how much memory it needs.

Run: python tests/bench/bench_export.py [--config FILE --db NAME] [--invoices 10000]
                                        [--existing 0]

Without --config/--db it makes its own database (lx_bench_export under /tmp, ~75 s the
first time) with setup/odoo_db.py. It starts the sandbox in its own process, as Lexware is
another server, limited like Lexware (2 req/s),
connects the main company with the sandbox's API key (auto transfer off), and makes sure
the period March 2023 holds --invoices posted customer invoices and credit notes:
a hundred made and posted by the ORM, the rest copied from them in SQL (posting 10,000
through the ORM takes ~10 minutes; the export reads only the moves' header fields, which
the copies carry like the originals). --existing N first books N of their numbers in the
sandbox, so the export must page through Lexware's voucherlist and mark them as sent.

It times creating the wizard with its preview, then action_export() (it only creates the
run), then the export cron's steps until the run has asked Lexware and queued the rest
(each step on a cursor of its own and within the cron's time budget, as Odoo runs it),
once plainly and once under tracemalloc for the peak of Python memory. It deletes what
each export made (the period's transfer rows, the run), so it can run again on the same
database; the sending itself is bench_transfer.py's.
"""

import argparse
import gc
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [
    str(ROOT),
    str(ROOT / "lexware_connector"),
    str(Path(__file__).parent),
    str(ROOT / "tests"),
]

from sandbox_process import (  # noqa: E402
    API_KEY,
    SandboxProcess,
    bench_database,
    connect_to_sandbox,
    odoo_registry,
)
from voucher_payloads import voucher  # noqa: E402

DATE_FROM, DATE_TO = date(2023, 3, 1), date(2023, 3, 31)
TEMPLATES = 100
CREDIT_NOTE_SHARE = 10  # one credit note in ten
BENCH_DB = "lx_bench_export"


def invoice_values(env, partner, count, move_type):
    from odoo import Command

    return [
        {
            "move_type": move_type,
            "partner_id": partner.id,
            "invoice_date": date(2023, 3, 1 + i % 31),
            "invoice_line_ids": [
                Command.create({"name": "Arbeit", "quantity": 1, "price_unit": 100 + i})
            ],
        }
        for i in range(count)
    ]


def ensure_invoices(env, wanted):
    """Posted customer invoices and credit notes in the period, `wanted` in all."""
    moves = env["account.move"]
    domain = [
        ("company_id", "=", env.company.id),
        ("state", "=", "posted"),
        ("move_type", "in", ("out_invoice", "out_refund")),
        ("invoice_date", ">=", DATE_FROM),
        ("invoice_date", "<=", DATE_TO),
    ]
    have = moves.search_count(domain)
    if have >= wanted:
        return have
    started = time.monotonic()
    if have < TEMPLATES:
        partner = env["res.partner"].create({"name": "Bench Kunde GmbH"})
        refunds = TEMPLATES // CREDIT_NOTE_SHARE
        templates = moves.create(
            invoice_values(env, partner, TEMPLATES - refunds, "out_invoice")
            + invoice_values(env, partner, refunds, "out_refund")
        )
        templates.action_post()
        env.flush_all()
        print(f"  {TEMPLATES} invoices made and posted by the ORM", flush=True)
    copy_invoices(env, domain, wanted - moves.search_count(domain))
    env.invalidate_all()
    print(f"  {wanted} invoices in the period after {time.monotonic() - started:.1f} s")
    return moves.search_count(domain)


def copy_invoices(env, domain, count):
    """Copy `count` posted invoices (with their lines) from the ORM-made ones in SQL,
    numbered on after the highest number of their sequence."""
    if count <= 0:
        return
    from psycopg2.extras import execute_values

    cr = env.cr
    templates = env["account.move"].search(domain, order="id", limit=TEMPLATES)
    last = {}
    for move_type, prefix in {(m.move_type, m.sequence_prefix) for m in templates}:
        cr.execute(
            "SELECT max(sequence_number) FROM account_move WHERE sequence_prefix = %s",
            (prefix,),
        )
        last[move_type] = (prefix, cr.fetchone()[0])
    plan = []
    for n in range(count):
        template = templates[n % len(templates)]
        prefix, number = last[template.move_type]
        number += 1
        last[template.move_type] = (prefix, number)
        plan.append((n, template.id, f"{prefix}{number:05d}", number))
    cr.execute(
        "CREATE TEMP TABLE bench_plan (n int, template_id int, name varchar, seq int)"
        " ON COMMIT DROP"
    )
    execute_values(cr._obj, "INSERT INTO bench_plan VALUES %s", plan, page_size=1000)
    move_columns = columns(cr, "account_move", skip={"id", "name", "sequence_number", "ref"})
    cr.execute(
        f"""
        INSERT INTO account_move ({", ".join(move_columns)}, name, sequence_number, ref)
        SELECT {", ".join("m." + c for c in move_columns)}, p.name, p.seq, 'BENCH-' || p.n
          FROM bench_plan p JOIN account_move m ON m.id = p.template_id
        """  # noqa: S608
    )
    line_columns = columns(cr, "account_move_line", skip={"id", "move_id", "move_name"})
    cr.execute(
        f"""
        INSERT INTO account_move_line ({", ".join(line_columns)}, move_id, move_name)
        SELECT {", ".join("l." + c for c in line_columns)}, m.id, m.name
          FROM bench_plan p
          JOIN account_move_line l ON l.move_id = p.template_id
          JOIN account_move m ON m.ref = 'BENCH-' || p.n
        """  # noqa: S608
    )
    cr.execute("UPDATE account_move SET ref = NULL WHERE ref LIKE 'BENCH-%%'")
    print(f"  {count} invoices copied in SQL", flush=True)


def columns(cr, table, skip):
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s",
        (table,),
    )
    return sorted(name for (name,) in cr.fetchall() if name not in skip)


def book_in_sandbox(sandbox, env, count):
    """Book `count` of the period's numbers in the sandbox, as if entered by hand."""
    import requests

    moves = env["account.move"].search(
        [
            ("company_id", "=", env.company.id),
            ("state", "=", "posted"),
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("invoice_date", ">=", DATE_FROM),
            ("invoice_date", "<=", DATE_TO),
        ],
        limit=count,
    )
    rows = moves.read(["name", "move_type", "invoice_date"], load=False)
    sandbox.configure(rate=10_000, burst=10_000)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {API_KEY}"
    for row in rows:
        kind = "salescreditnote" if row["move_type"] == "out_refund" else "salesinvoice"
        session.post(
            f"{sandbox.url}/v1/vouchers",
            json=voucher(row["name"], voucher_type=kind, date=row["invoice_date"].isoformat()),
            timeout=30,
        ).raise_for_status()
    sandbox.configure(rate=2.0, burst=2)
    print(f"  {len(rows)} numbers booked in the sandbox")


class patch_timer:
    """Adds up the time spent in cls.name while patched."""

    def __init__(self, cls, name):
        self.cls, self.name, self.seconds = cls, name, 0.0
        self.original = getattr(cls, name)
        timer = self

        def timed(*args, **kwargs):
            started = time.monotonic()
            try:
                return timer.original(*args, **kwargs)
            finally:
                timer.seconds += time.monotonic() - started

        setattr(cls, name, timed)

    def restore(self):
        setattr(self.cls, self.name, self.original)


class ExportTimes(NamedTuple):
    wizard: float  # creating the wizard and its preview
    action: float  # action_export(), the wizard's answer
    background: float  # the export cron's steps until the run has queued
    steps: int
    longest_step: float
    lexware: float  # of the background: in requests to Lexware (with rate-limit waits)
    preview: str
    peak: int | None
    queued: int
    skipped: int
    found: int
    checked: int
    state: str


def export_once(registry, admin_id, cron_id, trace):
    """One export, wizard and background; what it made is deleted afterwards."""
    from odoo import api
    from odoo.addons.lexware_connector.lexware.client import LexwareClient

    gc.collect()
    if trace:
        tracemalloc.start()
    with registry.cursor() as cr:
        env = api.Environment(cr, admin_id, {})
        started = time.monotonic()
        wizard = env["lexware.export.wizard"].create(
            {"date_from": DATE_FROM, "date_to": DATE_TO, "move_types": "both"}
        )
        preview = wizard.preview
        opened = time.monotonic()
        action = wizard.action_export()
        answered = time.monotonic()
        run_id = action["params"]["next"]["res_id"]
    asking = patch_timer(LexwareClient, "_request")
    steps, longest = 0, 0.0
    background_started = time.monotonic()
    while True:
        step_started = time.monotonic()
        with registry.cursor() as cr:
            # As the cron runs it: the superuser, with the cron's time budget.
            env = api.Environment(cr, api.SUPERUSER_ID, {"cron_id": cron_id})
            env["lexware.export.run"]._cron_export()
            state = env["lexware.export.run"].browse(run_id).state
        steps += 1
        longest = max(longest, time.monotonic() - step_started)
        if state != "checking" or steps >= 100:
            break
    background = time.monotonic() - background_started
    asking.restore()
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    if trace:
        tracemalloc.stop()
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        run = env["lexware.export.run"].browse(run_id)
        times = ExportTimes(
            wizard=opened - started,
            action=answered - opened,
            background=background,
            steps=steps,
            longest_step=longest,
            lexware=asking.seconds,
            preview=preview,
            peak=peak,
            queued=len(run.transfer_ids),
            skipped=run.skipped_count,
            found=run.found_count,
            checked=run.checked_count,
            state=run.state,
        )
        forget_exports(cr)
    return times


def forget_exports(cr):
    """The period's transfer rows and the export runs: the next export starts afresh."""
    cr.execute(
        """DELETE FROM lexware_transfer t USING account_move m
            WHERE t.move_id = m.id AND m.invoice_date BETWEEN %s AND %s""",
        (DATE_FROM, DATE_TO),
    )
    cr.execute("DELETE FROM lexware_export_run")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config")
    parser.add_argument("--db")
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--existing", type=int, default=0)
    args = parser.parse_args()
    config, db_name = bench_database(parser, args, BENCH_DB)

    from odoo import SUPERUSER_ID, api

    registry = odoo_registry(config, db_name)
    with tempfile.TemporaryDirectory() as workdir, SandboxProcess(workdir) as sandbox:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            company = connect_to_sandbox(env, sandbox)
            company.lexware_auto_transfer = False
            # Earlier runs of the benchmark may have left rows in the period.
            forget_exports(cr)
            print(f"database {db_name}: making {args.invoices} invoices in {DATE_FROM:%B %Y}")
            total = ensure_invoices(
                env(context={"tracking_disable": True, "mail_notrack": True}), args.invoices
            )
            if args.existing:
                book_in_sandbox(sandbox, env, args.existing)
            cr.commit()
            admin_id = env.ref("base.user_admin").id
            cron_id = env.ref("lexware_connector.ir_cron_lexware_export").id
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        requests_before = sandbox.counters()
        plain = export_once(registry, admin_id, cron_id, trace=False)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        requests_after = sandbox.counters()
        traced = export_once(registry, admin_id, cron_id, trace=True)

    print(f"invoices in the period:        {total}")
    print(f"vouchers already in Lexware:   {args.existing}")
    print(f"preview:                       {plain.preview}")
    print(f"wizard + preview:              {plain.wizard:.2f} s")
    print(f"action_export() answers after: {plain.action:.2f} s (creates the run only)")
    print(
        f"background (export cron):      {plain.background:.2f} s in {plain.steps} steps, "
        f"the longest {plain.longest_step:.2f} s; run {plain.state}"
    )
    print(f"  of which Lexware's answers:  {plain.lexware:.2f} s (requests, rate-limit waits)")
    print(
        f"queued / skipped / found:      {plain.queued} / {plain.skipped} / {plain.found}"
        f" ({plain.checked} vouchers checked)"
    )
    print(f"peak Python memory (traced):   {traced.peak / 1e6:.1f} MB")
    print(f"max RSS growth of the process: {(rss_after - rss_before) / 1024:.1f} MB")
    asked = requests_after["requests"] - requests_before["requests"]
    print(f"Lexware requests per export:   {asked} (voucherlist pages at 2 req/s)")
    quick = plain.wizard + plain.action < 5 and plain.state != "checking"
    return 0 if quick else 1


if __name__ == "__main__":
    sys.exit(main())
