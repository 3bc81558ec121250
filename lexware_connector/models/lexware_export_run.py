from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import format_date

# The package imports this file before lexware_transfer.py; the model extended below
# must be defined first.
from . import lexware_transfer  # noqa: F401  # pylint: disable=unused-import

MOVE_TYPES = {
    "invoices": ("out_invoice",),
    "credit_notes": ("out_refund",),
    "both": ("out_invoice", "out_refund"),
}
UNSETTLED = ("pending", "sending")
SUMMARY_FAILURES_SHOWN = 200


class LexwareTransfer(models.Model):
    _inherit = "lexware.transfer"

    export_run_id = fields.Many2one(
        "lexware.export.run",
        string="Export run",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        copy=False,
    )

    def write(self, vals):
        result = super().write(vals)
        if "state" in vals:
            runs = self.export_run_id
            if runs:
                runs._lexware_check_settled()
        return result


class LexwareExportRun(models.Model):
    _name = "lexware.export.run"
    _description = "Lexware export run"
    _inherit = ["mail.thread"]
    _order = "id desc"

    name = fields.Char(compute="_compute_name")
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        default=lambda self: self.env.company,
        index=True,
    )
    user_id = fields.Many2one(
        "res.users", string="Started by", readonly=True, default=lambda self: self.env.user
    )
    date_from = fields.Date(readonly=True)
    date_to = fields.Date(readonly=True)
    move_types = fields.Selection(
        [
            ("invoices", "Invoices"),
            ("credit_notes", "Credit notes"),
            ("both", "Invoices and credit notes"),
        ],
        readonly=True,
        default="both",
    )
    from_selection = fields.Boolean(
        string="Selected invoices",
        readonly=True,
        help="The run exported invoices selected in the invoice list instead of a period.",
    )
    state = fields.Selection(
        [("running", "Running"), ("done", "Done")],
        default="running",
        required=True,
        readonly=True,
        tracking=True,
    )
    transfer_ids = fields.One2many(
        "lexware.transfer", "export_run_id", string="Transfers", readonly=True
    )
    skipped_count = fields.Integer(
        string="Already in Lexware",
        readonly=True,
        help="Invoices that were in Lexware already: sent before, or found in Lexware "
        "by their number when the run started. They are not sent again.",
    )
    found_count = fields.Integer(
        string="Found in Lexware",
        readonly=True,
        help="Of the invoices already in Lexware, those found there by their number "
        "(booked before the connection, for example) and marked as sent by this run.",
    )
    queued_elsewhere_count = fields.Integer(
        string="Already queued",
        readonly=True,
        help="Invoices that were already waiting for the transfer when the run started.",
    )
    total_count = fields.Integer(string="Total", compute="_compute_counts")
    sent_count = fields.Integer(string="Sent", compute="_compute_counts")
    failed_count = fields.Integer(string="Failed", compute="_compute_counts")
    pending_count = fields.Integer(string="Pending", compute="_compute_counts")
    progress = fields.Float(compute="_compute_counts")
    failure_summary = fields.Html(compute="_compute_failure_summary", sanitize=False)
    summary_posted = fields.Boolean(readonly=True, copy=False)

    @api.depends("date_from", "date_to", "from_selection")
    def _compute_name(self):
        for run in self:
            period = self.env._(
                "%(date_from)s to %(date_to)s",
                date_from=format_date(self.env, run.date_from),
                date_to=format_date(self.env, run.date_to),
            )
            if run.from_selection:
                run.name = self.env._("Selected invoices, %(period)s", period=period)
            else:
                run.name = period

    def _state_counts(self):
        """{run_id: {state: count}} for the transfer rows of the runs, in one query."""
        counts = {run_id: {} for run_id in self.ids}
        if not self.ids:
            return counts
        groups = (
            self.env["lexware.transfer"]
            .sudo()
            ._read_group(
                [("export_run_id", "in", self.ids)], ["export_run_id", "state"], ["__count"]
            )
        )
        for run, state, count in groups:
            counts[run.id][state] = count
        return counts

    @api.depends("transfer_ids.state", "skipped_count")
    def _compute_counts(self):
        counts = self._state_counts()
        for run in self:
            by_state = counts.get(run.id, {}) if isinstance(run.id, int) else {}
            sent = by_state.get("sent", 0)
            failed = by_state.get("failed", 0)
            pending = sum(by_state.get(state, 0) for state in UNSETTLED)
            total = sum(by_state.values()) + run.skipped_count
            run.sent_count = sent
            run.failed_count = failed
            run.pending_count = pending
            run.total_count = total
            run.progress = 100.0 * (total - pending) / total if total else 100.0

    @api.depends("transfer_ids.state", "transfer_ids.last_error")
    def _compute_failure_summary(self):
        for run in self:
            run.failure_summary = run._lexware_failure_summary()

    def _lexware_failure_summary(self):
        """The failures of the run with their reasons, as HTML (empty when none)."""
        self.ensure_one()
        if not isinstance(self.id, int):
            return False
        transfers = self.env["lexware.transfer"].sudo()
        failed = transfers.search(
            [("export_run_id", "=", self.id), ("state", "=", "failed")],
            limit=SUMMARY_FAILURES_SHOWN,
            order="id",
        )
        if not failed:
            return False
        items = Markup("").join(
            Markup("<li><b>%s</b>: %s</li>")
            % (row.move_id.display_name, row.last_error or self.env._("no reason given"))
            for row in failed
        )
        more = ""
        total = transfers.search_count([("export_run_id", "=", self.id), ("state", "=", "failed")])
        if total > len(failed):
            more = Markup("<p>%s</p>") % self.env._(
                "… and %(count)s more.", count=total - len(failed)
            )
        return Markup("<ul>%s</ul>%s") % (items, more)

    def _lexware_check_settled(self):
        """Set the state from the rows; post the summary once when all rows are settled."""
        counts = self._state_counts()
        for run in self:
            pending = sum(counts.get(run.id, {}).get(state, 0) for state in UNSETTLED)
            state = "running" if pending else "done"
            if run.state != state:
                run.sudo().state = state
            if state == "done" and not run.summary_posted:
                run.sudo()._lexware_post_summary(counts.get(run.id, {}))

    def _lexware_post_summary(self, by_state):
        self.ensure_one()
        sent = by_state.get("sent", 0)
        failed = by_state.get("failed", 0)
        body = Markup("<p>%s</p>") % self.env._(
            "Export finished: %(sent)s sent, %(failed)s failed, "
            "%(skipped)s already in Lexware (skipped).",
            sent=sent,
            failed=failed,
            skipped=self.skipped_count,
        )
        if failed:
            body += Markup("<p>%s</p>") % self.env._("These invoices could not be sent:")
            body += self._lexware_failure_summary()
        self.message_post(body=body, subtype_xmlid="mail.mt_note")
        self.summary_posted = True

    def action_open_transfers(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Transfers"),
            "res_model": "lexware.transfer",
            "view_mode": "list,form",
            "domain": [("export_run_id", "=", self.id)],
            "context": {"create": False},
        }

    def _lexware_started_notification(self, queued):
        """The wizard's answer: a notification that links to the run, then the run."""
        self.ensure_one()
        if queued:
            message = self.env._(
                "%(count)s invoices and credit notes are queued for Lexware; "
                "%(skipped)s were there already. Follow the progress in %%s.",
                count=queued,
                skipped=self.skipped_count,
            )
        else:
            message = self.env._(
                "Nothing new to send: %(skipped)s invoices and credit notes are in Lexware "
                "already, %(queued)s are queued. See %%s.",
                skipped=self.skipped_count,
                queued=self.queued_elsewhere_count,
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if queued else "info",
                "title": self.env._("Export to Lexware"),
                "message": message,
                "links": [{"label": self.name, "url": f"/odoo/lexware.export.run/{self.id}"}],
                "sticky": False,
                "next": {
                    "type": "ir.actions.act_window",
                    "res_model": "lexware.export.run",
                    "res_id": self.id,
                    "views": [(False, "form")],
                    "target": "current",
                },
            },
        }
