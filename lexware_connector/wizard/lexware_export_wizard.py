"""The export wizard: collects the period (or the invoices selected in the list) and the
options, previews what they cover, and hands them to a `lexware.export.run`."""

from datetime import date
from typing import NamedTuple

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..models.lexware_export_scope import EXPORT_KINDS, MOVE_TYPES, ExportScope, select_moves
from ..models.lexware_states import FAILED, SENT, WAITING_STATES, is_connected


class PreviewGroup(NamedTuple):
    """The invoices of one type whose transfer is in one state (None: no transfer)."""

    move_type: str
    state: str | None
    count: int


class Period(NamedTuple):
    first: date
    last: date


def _last_month(today):
    first = today.replace(day=1) - relativedelta(months=1)
    return Period(first, today.replace(day=1) - relativedelta(days=1))


class LexwareExportWizard(models.TransientModel):
    _name = "lexware.export.wizard"
    _description = "Export invoices to Lexware"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    date_from = fields.Date(
        string="From",
        required=True,
        default=lambda self: _last_month(fields.Date.context_today(self)).first,
        help="First invoice date of the period, included.",
    )
    date_to = fields.Date(
        string="To",
        required=True,
        default=lambda self: _last_month(fields.Date.context_today(self)).last,
        help="Last invoice date of the period, included.",
    )
    move_types = fields.Selection(
        EXPORT_KINDS,
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

    def _lexware_scope(self):
        self.ensure_one()
        return ExportScope(
            company_id=self.company_id.id,
            move_types=MOVE_TYPES[self.move_types],
            move_ids=tuple(self.move_ids._origin.ids),
            date_from=self.date_from,
            date_to=self.date_to,
        )

    def _lexware_select(self, columns, tail=""):
        """`SELECT columns` over the posted invoices the wizard covers (`m`, `t`)."""
        return select_moves(self.env, self._lexware_scope(), columns, tail=tail)

    @api.depends("date_from", "date_to", "move_types", "move_ids", "company_id")
    def _compute_preview(self):
        for wizard in self:
            counts = {"out_invoice": 0, "out_refund": 0, "sent": 0, "failed": 0, "queued": 0}
            if wizard.move_types and (wizard.move_ids or (wizard.date_from and wizard.date_to)):
                groups = wizard._lexware_select(
                    "m.move_type, t.state, count(*)", tail="GROUP BY m.move_type, t.state"
                )
                for group in map(PreviewGroup._make, groups):
                    counts[group.move_type] += group.count
                    if group.state == SENT:
                        counts["sent"] += group.count
                    elif group.state == FAILED:
                        counts["failed"] += group.count
                    elif group.state in WAITING_STATES:
                        counts["queued"] += group.count
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
        """Hand the period and the options to a new export run, which asks Lexware and
        queues in the background; answer at once, opening the run."""
        self.ensure_one()
        self._lexware_check_access()
        company = self.company_id
        if not is_connected(company):
            raise UserError(
                self.env._(
                    "%(company)s is not connected to Lexware. Connect it in the settings "
                    "first (Settings > Integrations > Lexware Office).",
                    company=company.name,
                )
            )
        if not self.move_ids and self.date_from > self.date_to:
            raise UserError(self.env._("The period ends before it starts."))
        run = self.env["lexware.export.run"]._lexware_start(self._lexware_scope(), self.move_types)
        return run._lexware_started_notification()
