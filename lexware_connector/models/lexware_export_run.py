"""One export of a period: its options, its state and progress, its summary, and the
queueing of what Lexware does not hold.

The wizard only collects the period and the options; `_lexware_start` creates the run and
hands it to the cron, which asks Lexware first (`lexware_export_run_check.py`):

    checking --voucherlist page by page, month by month--> (found rows marked, commit)
             --all pages asked--> the rest queued (one transaction) --> running --> done
"""

import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import format_date

# Imported first for the model extended below, whatever order the package imports in.
from . import lexware_transfer  # noqa: F401  pylint: disable=unused-import
from .lexware_export_scope import EXPORT_KINDS, MOVE_TYPES, ExportScope, ExportSpan, select_moves
from .lexware_states import FAILED, NEVER_SENT_SQL, SENT, TO_QUEUE_SQL, WAITING_STATES

_logger = logging.getLogger(__name__)

SUMMARY_FAILURES_SHOWN = 200
QUEUE_CHUNK = 1000


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
        EXPORT_KINDS,
        readonly=True,
        default="both",
    )
    from_selection = fields.Boolean(
        string="Selected invoices",
        readonly=True,
        help="The run exported invoices selected in the invoice list instead of a period.",
    )
    state = fields.Selection(
        [
            ("checking", "Checking Lexware"),
            ("running", "Sending"),
            ("done", "Done"),
            ("stopped", "Stopped"),
        ],
        default="checking",
        required=True,
        readonly=True,
        tracking=True,
    )
    selected_move_ids = fields.Many2many(
        "account.move",
        "lexware_export_run_move_rel",
        "run_id",
        "move_id",
        string="Invoices selected",
        readonly=True,
    )
    check_from = fields.Date(
        string="Not checked from",
        readonly=True,
        help="First day of the period Lexware has not been asked about yet.",
    )
    check_to = fields.Date(
        string="Search window end",
        readonly=True,
        help="Last day of the search being paged through.",
    )
    check_page = fields.Integer(
        string="Search page", readonly=True, help="Next page of that search."
    )
    checked_count = fields.Integer(
        string="Checked in Lexware",
        readonly=True,
        help="Vouchers of the period Lexware has listed so far; the invoices among them "
        "that Odoo never sent are marked as found there.",
    )
    problem = fields.Text(
        readonly=True,
        help="Why the run is waiting: Lexware's trouble (asked again later) or a "
        "connection an administrator must renew.",
    )
    next_check_at = fields.Datetime(string="Next try", readonly=True)
    check_attempts = fields.Integer(string="Failed checks", readonly=True)
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

    @api.depends("transfer_ids.state", "skipped_count", "state")
    def _compute_counts(self):
        counts = self._state_counts()
        for run in self:
            by_state = counts.get(run.id, {}) if isinstance(run.id, int) else {}
            sent = by_state.get(SENT, 0)
            failed = by_state.get(FAILED, 0)
            pending = sum(by_state.get(state, 0) for state in WAITING_STATES)
            total = sum(by_state.values()) + run.skipped_count
            run.sent_count = sent
            run.failed_count = failed
            run.pending_count = pending
            run.total_count = total
            if run.state == "checking":
                # What is to send is known once Lexware has been asked.
                run.progress = 0.0
            else:
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
            [("export_run_id", "=", self.id), ("state", "=", FAILED)],
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
        total = transfers.search_count([("export_run_id", "=", self.id), ("state", "=", FAILED)])
        if total > len(failed):
            more = Markup("<p>%s</p>") % self.env._(
                "… and %(count)s more.", count=total - len(failed)
            )
        return Markup("<ul>%s</ul>%s") % (items, more)

    def _lexware_check_settled(self):
        """Set the state from the rows; post the summary once when all rows are settled."""
        runs = self.filtered(lambda run: run.state in ("running", "done"))
        counts = runs._state_counts()
        for run in runs:
            pending = sum(counts.get(run.id, {}).get(state, 0) for state in WAITING_STATES)
            state = "running" if pending else "done"
            if run.state != state:
                run.sudo().state = state
            if state == "done" and not run.summary_posted:
                run.sudo()._lexware_post_summary(counts.get(run.id, {}))

    def _lexware_post_summary(self, by_state):
        self.ensure_one()
        sent = by_state.get(SENT, 0)
        failed = by_state.get(FAILED, 0)
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

    def _lexware_started_notification(self):
        """The wizard's answer: a notification that links to the run, then the run."""
        self.ensure_one()
        message = self.env._(
            "The export runs in the background: Odoo asks Lexware which of the invoices it "
            "holds already, then queues the rest. Follow it in %s."
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
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

    def action_stop(self):
        """Stop a run that is still asking Lexware; what it marked or queued stays."""
        for run in self.filtered(lambda run: run.state == "checking"):
            run.write({"state": "stopped", "next_check_at": False})
            run.message_post(
                body=self.env._(
                    "Stopped by %(user)s while Lexware was being asked. The invoices found "
                    "in Lexware so far stay marked; nothing else was queued.",
                    user=self.env.user.name,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    @api.model
    def _lexware_trigger(self, at=None):
        cron = self.env.ref("lexware_connector.ir_cron_lexware_export", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger(at=at)

    def _lexware_scope(self):
        self.ensure_one()
        return ExportScope(
            company_id=self.company_id.id,
            move_types=MOVE_TYPES[self.move_types],
            move_ids=tuple(self.selected_move_ids.ids),
            date_from=self.date_from,
            date_to=self.date_to,
        )

    # -- starting -------------------------------------------------------------------------

    @api.model
    def _lexware_start(self, scope, kind):
        """Create the run of the wizard's period and options (`scope`, `kind` one of
        `EXPORT_KINDS`) and hand it to the cron, which asks Lexware and queues the rest:
        a year of invoices takes minutes at Lexware's rate limit, longer than an HTTP
        request may."""
        span = self._lexware_span(scope)
        run = self.create(
            {
                "company_id": scope.company_id,
                "user_id": self.env.user.id,
                "date_from": span.first,
                "date_to": span.last,
                "move_types": kind,
                "from_selection": bool(scope.move_ids),
                "selected_move_ids": [fields.Command.set(list(scope.move_ids))],
                # Nothing Odoo never sent: nothing to look for in Lexware.
                "check_from": span.first if span.never_sent else False,
            }
        )
        run._lexware_trigger()
        return run

    @api.model
    def _lexware_span(self, scope):
        """The period, or the dates the selected invoices span, and how many of its
        invoices Odoo never sent."""
        span = ExportSpan._make(
            select_moves(
                self.env,
                scope,
                "min(m.invoice_date), max(m.invoice_date), "
                f"count(*) FILTER (WHERE {NEVER_SENT_SQL})",
            )[0]
        )
        if scope.move_ids:
            first = span.first or fields.Date.context_today(self)
            return ExportSpan(first, span.last or first, span.never_sent)
        return ExportSpan(scope.date_from, scope.date_to, span.never_sent)

    # -- queueing -------------------------------------------------------------------------

    def _lexware_queue_rest(self):
        """Lexware has been asked: queue what is neither in Lexware nor queued, and count
        what was skipped, in one transaction with the run locked, so that a worker killed
        midway leaves nothing half done and the next run of the cron does it all again."""
        self.env.cr.execute(
            "SELECT state FROM lexware_export_run WHERE id = %s FOR UPDATE", (self.id,)
        )
        if self.env.cr.fetchone()[0] != "checking":
            return
        transfers = self.env["lexware.transfer"].sudo()
        moves = self.env["account.move"].sudo()
        scope = self._lexware_scope()
        counts = dict(select_moves(self.env, scope, "t.state, count(*)", tail="GROUP BY t.state"))
        queue = [
            move_id for (move_id,) in select_moves(self.env, scope, "m.id", where=(TO_QUEUE_SQL,))
        ]
        for start in range(0, len(queue), QUEUE_CHUNK):
            chunk = moves.browse(queue[start : start + QUEUE_CHUNK])
            transfers._lexware_enqueue(chunk).write({"export_run_id": self.id})
            # A thousand records at a time in memory, not ten thousand.
            self.env.flush_all()
            self.env.invalidate_all()
        queued = len(queue)
        del queue
        self.write(
            {
                "state": "running",
                "skipped_count": counts.get(SENT, 0),
                "queued_elsewhere_count": sum(counts.get(state, 0) for state in WAITING_STATES),
                "check_from": False,
                "problem": False,
            }
        )
        self._lexware_tell_queued(queued)
        self._lexware_check_settled()
        transfers._lexware_commit()

    def _lexware_tell_queued(self, queued):
        """Say in the chatter, and in the log, what the run queued and skipped."""
        self.message_post(
            body=self.env._(
                "Lexware was asked: %(checked)s vouchers of the period listed, %(found)s "
                "of these invoices found there. %(queued)s queued for Lexware, %(skipped)s "
                "already in Lexware (skipped), %(elsewhere)s already queued.",
                checked=self.checked_count,
                found=self.found_count,
                queued=queued,
                skipped=self.skipped_count,
                elsewhere=self.queued_elsewhere_count,
            ),
            subtype_xmlid="mail.mt_note",
        )
        _logger.info(
            "Lexware export run %s of %s: %d queued, %d found in Lexware, %d skipped, "
            "%d queued before",
            self.id,
            self.company_id.name,
            queued,
            self.found_count,
            self.skipped_count,
            self.queued_elsewhere_count,
        )
