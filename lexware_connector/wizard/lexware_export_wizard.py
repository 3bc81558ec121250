import logging
import time
from datetime import date

import psycopg2
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..lexware.errors import LexwareAccessDenied, LexwareAuthError, LexwareError
from ..models.lexware_export_run import MOVE_TYPES

_logger = logging.getLogger(__name__)

CHUNK = 1000
# One voucherlist page: the invoices found on it are marked before the next page is asked.
MARK_BATCH = 250
EXPORT_LOCK_KEY = 0x4C584558  # "LXEX": one export at a time per company
VOUCHER_TYPES = {"out_invoice": "salesinvoice", "out_refund": "salescreditnote"}
LOCALLY_SETTLED = ("sent",)
LOCALLY_QUEUED = ("pending", "sending")


def _last_month(today):
    first = today.replace(day=1) - relativedelta(months=1)
    return first, today.replace(day=1) - relativedelta(days=1)


def _chunks(values, size=CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _voucher_date(value):
    """The date part of a voucherlist date (RFC 3339 at midnight in Berlin), or None."""
    try:
        return date.fromisoformat((value or "")[:10])
    except ValueError:
        return None


class LexwareExportWizard(models.TransientModel):
    _name = "lexware.export.wizard"
    _description = "Export invoices to Lexware"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    date_from = fields.Date(
        string="From",
        required=True,
        default=lambda self: _last_month(fields.Date.context_today(self))[0],
        help="First invoice date of the period, included.",
    )
    date_to = fields.Date(
        string="To",
        required=True,
        default=lambda self: _last_month(fields.Date.context_today(self))[1],
        help="Last invoice date of the period, included.",
    )
    move_types = fields.Selection(
        [
            ("invoices", "Invoices"),
            ("credit_notes", "Credit notes"),
            ("both", "Invoices and credit notes"),
        ],
        string="Export",
        required=True,
        default="both",
    )
    move_ids = fields.Many2many(
        "account.move",
        string="Selected invoices",
        help="When invoices are selected in the list, the wizard exports those instead "
        "of a period.",
    )
    from_selection = fields.Boolean(compute="_compute_from_selection")
    invoice_count = fields.Integer(compute="_compute_preview")
    credit_note_count = fields.Integer(compute="_compute_preview")
    sent_count = fields.Integer(compute="_compute_preview")
    failed_count = fields.Integer(compute="_compute_preview")
    queued_count = fields.Integer(compute="_compute_preview")
    preview = fields.Char(compute="_compute_preview")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if (
            "move_ids" in fields_list
            and context.get("active_model") == "account.move"
            and context.get("active_ids")
        ):
            values["move_ids"] = [fields.Command.set(context["active_ids"])]
        return values

    @api.depends("move_ids")
    def _compute_from_selection(self):
        for wizard in self:
            wizard.from_selection = bool(wizard.move_ids)

    # -- which invoices ---------------------------------------------------------------------

    def _lexware_select(self, columns, tail=""):
        """Run `SELECT columns` over the posted customer invoices and credit notes the
        wizard covers, each joined with its transfer row (`m`, `t`), in one query: no
        records are loaded, so 10,000 invoices cost a few megabytes at most."""
        self.ensure_one()
        self.env["account.move"].flush_model(
            ["company_id", "state", "move_type", "invoice_date", "name"]
        )
        self.env["lexware.transfer"].flush_model(["move_id", "state"])
        where = [
            "m.company_id = %(company)s",
            "m.state = 'posted'",
            "m.move_type IN %(types)s",
        ]
        params = {"company": self.company_id.id, "types": MOVE_TYPES[self.move_types]}
        if self.move_ids:
            where.append("m.id IN %(ids)s")
            params["ids"] = tuple(self.move_ids._origin.ids)
        else:
            where.append("m.invoice_date BETWEEN %(date_from)s AND %(date_to)s")
            params.update(date_from=self.date_from, date_to=self.date_to)
        # lexware_transfer holds one row per invoice at most (unique move_id).
        query = f"""
            SELECT {columns}
              FROM account_move m
         LEFT JOIN lexware_transfer t ON t.move_id = m.id
             WHERE {" AND ".join(where)}
             {tail}
        """  # noqa: S608 (constant SQL parts; the values go as parameters)
        self.env.cr.execute(query, params)
        return self.env.cr.fetchall()

    def _lexware_rows(self):
        """[(move id, move type, number, invoice date, transfer id, transfer state)]"""
        return self._lexware_select(
            "m.id, m.move_type, m.name, m.invoice_date, t.id, t.state", "ORDER BY m.id"
        )

    @api.depends("date_from", "date_to", "move_types", "move_ids", "company_id")
    def _compute_preview(self):
        for wizard in self:
            counts = {"out_invoice": 0, "out_refund": 0, "sent": 0, "failed": 0, "queued": 0}
            if wizard.move_types and (wizard.move_ids or (wizard.date_from and wizard.date_to)):
                groups = wizard._lexware_select(
                    "m.move_type, t.state, count(*)", "GROUP BY m.move_type, t.state"
                )
                for move_type, state, count in groups:
                    counts[move_type] += count
                    if state in LOCALLY_SETTLED:
                        counts["sent"] += count
                    elif state == "failed":
                        counts["failed"] += count
                    elif state in LOCALLY_QUEUED:
                        counts["queued"] += count
            wizard.invoice_count = counts["out_invoice"]
            wizard.credit_note_count = counts["out_refund"]
            wizard.sent_count = counts["sent"]
            wizard.failed_count = counts["failed"]
            wizard.queued_count = counts["queued"]
            wizard.preview = wizard._lexware_preview_line()

    def _lexware_preview_line(self):
        if self.invoice_count == 1:
            invoices = self.env._("1 invoice")
        else:
            invoices = self.env._("%(count)s invoices", count=self.invoice_count)
        if self.credit_note_count == 1:
            credit_notes = self.env._("1 credit note")
        else:
            credit_notes = self.env._("%(count)s credit notes", count=self.credit_note_count)
        parts = [
            invoices,
            credit_notes,
            self.env._("%(count)s already in Lexware (skipped)", count=self.sent_count),
            self.env._("%(count)s failed before (retried)", count=self.failed_count),
        ]
        if self.queued_count:
            parts.append(self.env._("%(count)s already queued", count=self.queued_count))
        return self.env._(", ").join(parts)

    # -- the export -------------------------------------------------------------------------

    def _lexware_check_access(self):
        user = self.env.user
        if not (
            user.has_group("account.group_account_manager") or user.has_group("base.group_system")
        ):
            raise AccessError(
                self.env._("Only accountants and administrators may export invoices to Lexware.")
            )

    def action_export(self):
        """Mark what Lexware already has as sent, queue the rest, wake the transfer cron.

        No voucher is sent here: the cron sends them, as it does for auto transfer.
        """
        self.ensure_one()
        self._lexware_check_access()
        company = self.company_id
        if not company.lexware_connected:
            raise UserError(
                self.env._(
                    "%(company)s is not connected to Lexware. Connect it in the settings "
                    "first (Settings > Integrations > Lexware Office).",
                    company=company.name,
                )
            )
        if not self.move_ids and self.date_from > self.date_to:
            raise UserError(self.env._("The period ends before it starts."))
        started = time.monotonic()
        # One export per company at a time: two wizards on the same period would
        # otherwise both queue the same invoices.
        self.env.cr.execute("SELECT pg_advisory_xact_lock(%s, %s)", (EXPORT_LOCK_KEY, company.id))
        rows = self._lexware_rows()
        dates = [row[3] for row in rows]
        sent_before = sum(1 for row in rows if row[5] == "sent")
        queued_before = sum(1 for row in rows if row[5] in LOCALLY_QUEUED)
        candidates = [row for row in rows if row[5] not in ("sent", *LOCALLY_QUEUED)]
        del rows
        marked = self._lexware_mark_found(candidates) if candidates else set()
        queue = [row[0] for row in candidates if row[0] not in marked]
        del candidates
        run = self.env["lexware.export.run"].create(
            {
                "company_id": company.id,
                "user_id": self.env.user.id,
                "date_from": min(dates) if self.move_ids and dates else self.date_from,
                "date_to": max(dates) if self.move_ids and dates else self.date_to,
                "move_types": self.move_types,
                "from_selection": bool(self.move_ids),
                "skipped_count": sent_before + len(marked),
                "found_count": len(marked),
                "queued_elsewhere_count": queued_before,
            }
        )
        self._lexware_queue(run, queue)
        run._lexware_check_settled()
        _logger.info(
            "Lexware export run %s of %s: %d queued, %d found in Lexware, "
            "%d sent before, %d queued before, in %.1f s",
            run.id,
            company.name,
            len(queue),
            len(marked),
            sent_before,
            queued_before,
            time.monotonic() - started,
        )
        return run._lexware_started_notification(len(queue))

    def _lexware_mark_found(self, candidates):
        """Ask Lexware which of the candidates it holds under their number (voucherlist,
        all pages, month by month) and mark those as sent; answer their move ids.

        The marking goes on page by page while the pages come in, so it costs next to no
        time beside Lexware's rate limit.
        """
        first = min(row[3] for row in candidates)
        last = max(row[3] for row in candidates)
        waiting = {
            (VOUCHER_TYPES[move_type], number): (move_id, transfer_id)
            for move_id, move_type, number, _day, transfer_id, _state in candidates
        }
        voucher_types = tuple(sorted({key[0] for key in waiting}))
        transfers = self.env["lexware.transfer"].sudo()
        marked, found = set(), []

        def mark():
            transfers._lexware_mark_found_in_lexware(found)
            marked.update(move_id for move_id, _transfer_id, _voucher_id in found)
            found.clear()
            self.env.flush_all()
            self.env.invalidate_all()

        for entry in self._lexware_voucherlist(voucher_types, first, last):
            day = _voucher_date(entry.get("voucherDate"))
            if day is None or not first <= day <= last:
                continue
            candidate = waiting.pop((entry.get("voucherType"), entry.get("voucherNumber")), None)
            if candidate:
                found.append((*candidate, entry.get("id")))
                if len(found) >= MARK_BATCH:
                    mark()
        if found:
            mark()
        return marked

    def _lexware_voucherlist(self, voucher_types, first, last):
        """Lexware's sales vouchers from `first` to `last`; its refusals as UserError."""
        client = self.company_id._lexware_client()
        try:
            yield from client.iter_voucherlist(voucher_types, first, last)
        except LexwareAuthError as error:
            self._lexware_reconnect_needed(error)
            if isinstance(error, LexwareAccessDenied):
                problem = self.company_id._lexware_access_denied_words(error)
                raise UserError(
                    self.env._("%(problem)s Nothing was queued.", problem=problem)
                ) from error
            raise UserError(
                self.env._(
                    "Lexware refused the connection of %(company)s. Reconnect it in the "
                    "settings, then export again. Nothing was queued.",
                    company=self.company_id.name,
                )
            ) from error
        except LexwareError as error:
            raise UserError(
                self.env._(
                    "Lexware could not tell which invoices it already has, so nothing was "
                    "queued. Try again in a moment.\n\n%(error)s",
                    error=self.env["lexware.transfer"]._lexware_trouble_words(error),
                )
            ) from error

    def _lexware_reconnect_needed(self, error):
        """The company shows "reconnect needed" and the admins hear of it at once, in a
        transaction of its own: the UserError that follows rolls this one back."""
        company = self.company_id.sudo()
        if not self.env["lexware.transfer"]._lexware_real_transactions():
            company._lexware_authorization_lost(error)
            return
        try:
            with self.env.registry.cursor() as cr:
                # This transaction may hold the company's row: never wait on ourselves.
                cr.execute("SET LOCAL lock_timeout = '5s'")
                company.with_env(company.env(cr=cr))._lexware_authorization_lost(error)
        except psycopg2.OperationalError:
            _logger.warning(
                "Lexware: company %s could not be marked as needing a reconnect", company.id
            )

    def _lexware_queue(self, run, move_ids):
        """Queue the invoices through the engine's own door, a thousand at a time."""
        transfers = self.env["lexware.transfer"].sudo()
        moves = self.env["account.move"].sudo()
        for chunk in _chunks(move_ids):
            transfers._lexware_enqueue(moves.browse(chunk)).write({"export_run_id": run.id})
            self.env.flush_all()
            self.env.invalidate_all()
