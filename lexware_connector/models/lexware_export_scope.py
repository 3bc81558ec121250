"""Which posted customer invoices an export covers, and the one query that reads them.

The wizard previews an export with it, the run asks and queues with it: both count the
same invoices.
"""

from datetime import date
from typing import NamedTuple

# What an export covers, offered by the wizard and kept on the run.
EXPORT_KINDS = [
    ("invoices", "Invoices"),
    ("credit_notes", "Credit notes"),
    ("both", "Invoices and credit notes"),
]
MOVE_TYPES = {
    "invoices": ("out_invoice",),
    "credit_notes": ("out_refund",),
    "both": ("out_invoice", "out_refund"),
}


class ExportScope(NamedTuple):
    """Which posted customer invoices an export covers: a period or a selection."""

    company_id: int
    move_types: tuple
    move_ids: tuple  # empty: the period
    date_from: date
    date_to: date


def select_moves(env, scope, columns, where=(), tail="", params=None):
    """Run `SELECT columns` over the posted invoices of `scope`, each joined with its
    transfer row (`m`, `t`), in one query: no records are loaded, so 10,000 invoices cost
    a few megabytes at most. `where` adds conditions, `params` their values."""
    if not scope.move_ids and not (scope.date_from and scope.date_to):
        return []
    env["account.move"].flush_model(["company_id", "state", "move_type", "invoice_date", "name"])
    env["lexware.transfer"].flush_model(
        ["move_id", "state", "voucher_id", "outcome_unknown", "export_run_id"]
    )
    conditions = ["m.company_id = %(company)s", "m.state = 'posted'", "m.move_type IN %(types)s"]
    values = {"company": scope.company_id, "types": scope.move_types, **(params or {})}
    if scope.move_ids:
        conditions.append("m.id IN %(ids)s")
        values["ids"] = scope.move_ids
    else:
        conditions.append("m.invoice_date BETWEEN %(date_from)s AND %(date_to)s")
        values.update(date_from=scope.date_from, date_to=scope.date_to)
    # lexware_transfer holds one row per invoice at most (unique move_id).
    query = f"""
        SELECT {columns}
          FROM account_move m
     LEFT JOIN lexware_transfer t ON t.move_id = m.id
         WHERE {" AND ".join([*conditions, *where])}
         {tail}
    """  # noqa: S608 (constant SQL parts; the values go as parameters)
    env.cr.execute(query, values)
    return env.cr.fetchall()


class ExportSpan(NamedTuple):
    """The days an export covers, and how many of its invoices Odoo never sent."""

    first: date | None
    last: date | None
    never_sent: int
