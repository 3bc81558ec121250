"""One export of a period: asks Lexware which numbers it holds, queues the rest, shows
the progress.

The wizard only creates the run. The cron `ir_cron_lexware_export` works it in steps:

    checking --voucherlist page by page, month by month--> (found rows marked, commit)
             --all pages asked--> the rest queued (one transaction) --> running --> done

The run remembers the search window and page it got to (`check_from`, `check_to`,
`check_page`), committed with the rows that page marked, so a worker killed midway is
resumed at that page by the next run of the cron and marks nothing twice.
"""

import logging
from datetime import date, timedelta
from typing import NamedTuple

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date

from ..lexware.client import PAGE_SIZE_MAX, SEARCH_WINDOW
from ..lexware.errors import (
    LexwareAccessDenied,
    LexwareAuthError,
    LexwareError,
    LexwareOutOfTimeError,
)
from ..lexware.voucher import voucher_type

# The package imports this file before lexware_transfer.py; the model extended below
# must be defined first.
from .lexware_states import (
    CONNECTED_SQL,
    FAILED,
    NEVER_SENT_SQL,
    SENT,
    TO_QUEUE_SQL,
    WAITING_STATES,
)
from .lexware_transfer import RETRY_DELAYS, FoundVoucher, still_locked, take_company_lock

_logger = logging.getLogger(__name__)

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
SUMMARY_FAILURES_SHOWN = 200
QUEUE_CHUNK = 1000
# One voucherlist page; its invoices are marked and committed before the next is asked.
PAGE_SIZE = PAGE_SIZE_MAX
# A company whose transfer holds the Lexware lock is asked again after this pause.
LOCK_BUSY_PAUSE = timedelta(seconds=30)
# After an error that cleared nothing up (a refused credential that still holds).
ERROR_PAUSE = timedelta(minutes=1)


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


def _voucher_date(value):
    """The date part of a voucherlist date (RFC 3339 at midnight in Berlin), or None."""
    try:
        return date.fromisoformat((value or "")[:10])
    except ValueError:
        return None


def _month_end(day):
    return day + relativedelta(day=31)


class Candidate(NamedTuple):
    move_id: int
    move_type: str
    number: str
    transfer_id: int | None


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

    # -- the cron -------------------------------------------------------------------------

    @api.model
    def _cron_export(self):
        """Work the runs that ask Lexware, one company at a time, while the run has time
        for a request (the transfer's clock: the worst case of one request fits in the
        cron worker's real-time limit)."""
        transfers = self.env["lexware.transfer"]
        clock = transfers._lexware_clock()
        pages = 0
        skipped_companies = set()
        while clock.row_deadline() is not None:
            run = self._lexware_next_run(skipped_companies)
            if run is None:
                break
            skipped_companies.add(run.company_id.id)
            company_lock = take_company_lock(self.env, run.company_id.id)
            if company_lock is None:
                # The transfer is talking to Lexware for this company: the two share
                # its rate limit, so the run asks again shortly.
                transfers._lexware_rollback()
                run._lexware_trigger(at=fields.Datetime.now() + LOCK_BUSY_PAUSE)
                continue
            try:
                run = run.with_context(lang=run._lexware_lang())
                pages += run._lexware_work(company_lock, clock)
            finally:
                company_lock.close()
        if clock.out_of_time() and self._lexware_due_count():
            # As the transfer's cron: never report work left, which Odoo would run again
            # within the same watchdog period; a fresh run, triggered at once, goes on.
            if clock.fresh_run_has_time():
                self._lexware_trigger()
            else:
                _logger.warning(
                    "Lexware: the cron's real-time limit of %s s leaves no time to ask "
                    "Lexware safely (%s s are needed); raise limit_time_real_cron",
                    clock.limit,
                    clock.fresh_run_needs(),
                )
        self.env["ir.cron"]._notify_progress(done=pages, remaining=0)
        self._lexware_schedule_next()
        transfers._lexware_commit()
        return pages

    def _lexware_due_sql(self):
        # The oldest unfinished run of a company goes first: one export per company at a
        # time, so that two never count or queue the same invoices.
        return f"""
            r.state = 'checking'
            AND {CONNECTED_SQL}
            AND (r.next_check_at IS NULL OR r.next_check_at <= %(now)s)
            AND NOT EXISTS (
                SELECT 1 FROM lexware_export_run o
                 WHERE o.company_id = r.company_id AND o.state = 'checking' AND o.id < r.id
            )
        """

    @api.model
    def _lexware_next_run(self, skipped_companies):
        self.env.flush_all()
        self.env.cr.execute(
            f"""
            SELECT r.id FROM lexware_export_run r
              JOIN res_company c ON c.id = r.company_id
             WHERE {self._lexware_due_sql()}
               AND r.company_id NOT IN %(skipped)s
             ORDER BY r.id
             LIMIT 1
               FOR UPDATE OF r SKIP LOCKED
            """,  # noqa: S608 (fixed SQL, parameters bound)
            {"now": fields.Datetime.now(), "skipped": tuple(skipped_companies) or (0,)},
        )
        found = self.env.cr.fetchone()
        return self.sudo().browse(found[0]) if found else None

    @api.model
    def _lexware_due_count(self):
        self.env.flush_all()
        self.env.cr.execute(
            f"""
            SELECT count(*) FROM lexware_export_run r
              JOIN res_company c ON c.id = r.company_id
             WHERE {self._lexware_due_sql()}
            """,  # noqa: S608 (fixed SQL, parameters bound)
            {"now": fields.Datetime.now()},
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _lexware_schedule_next(self):
        """Wake the cron when the next waiting run is due."""
        upcoming = self.sudo().search(
            [("state", "=", "checking"), ("next_check_at", ">", fields.Datetime.now())],
            order="next_check_at",
            limit=1,
        )
        if upcoming:
            self._lexware_trigger(at=upcoming.next_check_at)

    def _lexware_work(self, company_lock, clock):
        """Ask Lexware page by page until the period is checked or the time is up, then
        queue the rest; answer the pages asked. Lexware's refusals land on the run."""
        self.ensure_one()
        transfers = self.env["lexware.transfer"]
        pages = 0
        try:
            client = self.company_id.sudo()._lexware_client()
            while self.check_from and self.check_from <= self.date_to:
                deadline = clock.row_deadline()
                if deadline is None:
                    return pages
                # No request, retry or pause of this page runs past the worker's limit.
                client.set_deadline(deadline)
                self.invalidate_recordset(["state"])
                if self.state != "checking":
                    # Stopped by the accountant meanwhile.
                    return pages
                if not still_locked(company_lock):
                    _logger.warning(
                        "Lexware export run %s: lost the lock of company %s; stopping",
                        self.id,
                        self.company_id.id,
                    )
                    transfers._lexware_rollback()
                    return pages
                self._lexware_check_page(client)
                pages += 1
                transfers._lexware_commit()
        except LexwareOutOfTimeError:
            # The run's time is up, not Lexware's: a fresh run asks this page again.
            transfers._lexware_rollback()
            clock.ran_out = True
            return pages
        except LexwareAuthError as error:
            transfers._lexware_rollback()
            self.company_id.sudo()._lexware_authorization_lost(error)
            self._lexware_wait(self._lexware_refused_words(error), ERROR_PAUSE)
            return pages
        except UserError as error:
            # Not connected (any more): the run waits for an administrator.
            transfers._lexware_rollback()
            self._lexware_wait(str(error.args[0] if error.args else error), ERROR_PAUSE)
            return pages
        except LexwareError as error:
            transfers._lexware_rollback()
            self._lexware_retry_later(self.env["lexware.messages"]._trouble_words(error))
            return pages
        except Exception as error:  # pylint: disable=broad-exception-caught
            # A bug or a database hiccup must not stop the other companies' runs.
            _logger.exception("Lexware export run %s failed unexpectedly", self.id)
            transfers._lexware_rollback()
            self._lexware_retry_later(
                self.env._("Unexpected error (%(error)s).", error=type(error).__name__)
            )
            return pages
        company_lock.close()
        self._lexware_queue_rest()
        return pages

    def _lexware_lang(self):
        """The cron runs without a language: the run speaks that of who started it, else
        the company's."""
        self.ensure_one()
        for lang in (self.user_id.lang, self.company_id.partner_id.lang):
            if lang and self.env["res.lang"]._get_code(lang):
                return lang
        return "en_US"

    def _lexware_refused_words(self, error):
        company = self.company_id.sudo()
        if isinstance(error, LexwareAccessDenied):
            return self.env._(
                "%(problem)s The export goes on once an administrator has connected again.",
                problem=self.env["lexware.messages"]._access_denied_words(error),
            )
        return self.env._(
            "Lexware refused the connection of %(company)s. The export goes on once an "
            "administrator has connected it again in the settings.",
            company=company.name,
        )

    def _lexware_wait(self, reason, pause):
        """The run waits with `reason`; the cron looks again after `pause` at the earliest
        (and only once the company is connected)."""
        self.write({"problem": reason, "next_check_at": fields.Datetime.now() + pause})
        self.env["lexware.transfer"]._lexware_commit()

    def _lexware_retry_later(self, reason):
        """Lexware's trouble passes: ask again with a growing pause, never give up (the
        accountant sees the reason and may stop the run)."""
        delay = RETRY_DELAYS[min(self.check_attempts, len(RETRY_DELAYS) - 1)]
        next_check = fields.Datetime.now() + delay
        self.write(
            {
                "problem": self.env._(
                    "Lexware could not tell which invoices it already has: %(reason)s "
                    "Odoo asks again later.",
                    reason=reason,
                ),
                "next_check_at": next_check,
                "check_attempts": self.check_attempts + 1,
            }
        )
        self.env["lexware.transfer"]._lexware_commit()
        _logger.info("Lexware export run %s asks again at %s: %s", self.id, next_check, reason)

    # -- asking Lexware -------------------------------------------------------------------

    def _lexware_voucher_types(self):
        return tuple(
            sorted(
                voucher_type(move_type == "out_refund") for move_type in MOVE_TYPES[self.move_types]
            )
        )

    def _lexware_check_page(self, client):
        """Ask the next page, mark what it holds, and move on: one committed step."""
        answer = self._lexware_next_answer(client)
        entries = answer.get("content") or []
        found = self._lexware_mark_found(entries)
        values = {
            "checked_count": self.checked_count + len(entries),
            "found_count": self.found_count + found,
            "problem": False,
            "next_check_at": False,
            "check_attempts": 0,
        }
        if answer.get("last", True) or self.check_page + 1 >= answer.get("totalPages", 0):
            # The search is through: the next one starts the day after its window.
            values.update(
                check_from=self.check_to + timedelta(days=1), check_to=False, check_page=0
            )
        else:
            values["check_page"] = self.check_page + 1
        self.write(values)

    def _lexware_next_answer(self, client):
        """The next page; a new search first gets its window (a month, halved while
        Lexware would not page through all of it)."""
        if self.check_to:
            return client.voucherlist_page(
                self._lexware_voucher_types(),
                self.check_from,
                self.check_to,
                self.check_page,
                page_size=PAGE_SIZE,
            )
        last = min(_month_end(self.check_from), self.date_to)
        while True:
            answer = client.voucherlist_page(
                self._lexware_voucher_types(), self.check_from, last, 0, page_size=PAGE_SIZE
            )
            if answer.get("totalElements", 0) <= SEARCH_WINDOW or last <= self.check_from:
                break
            last = self.check_from + (last - self.check_from) // 2
        self.write({"check_to": last, "check_page": 0})
        return answer

    def _lexware_mark_found(self, entries):
        """Mark the invoices of the run Odoo never sent that `entries` list under their
        number as found in Lexware; answer how many."""
        window = (self.check_from, self.check_to)
        vouchers = {}
        for entry in entries:
            day = _voucher_date(entry.get("voucherDate"))
            if day is None or not window[0] <= day <= window[1]:
                continue
            vouchers.setdefault((entry.get("voucherType"), entry.get("voucherNumber")), entry)
        if not vouchers:
            return 0
        found = []
        for candidate in self._lexware_candidates({number for _type, number in vouchers}):
            wanted = voucher_type(candidate.move_type == "out_refund")
            voucher = vouchers.get((wanted, candidate.number))
            if voucher:
                found.append(
                    FoundVoucher(candidate.move_id, candidate.transfer_id, voucher.get("id"))
                )
        if not found:
            return 0
        return len(self.env["lexware.transfer"].sudo()._lexware_mark_found_in_lexware(found))

    def _lexware_candidates(self, numbers):
        """The run's invoices with one of `numbers` that Odoo never sent itself."""
        rows = select_moves(
            self.env,
            self._lexware_scope(),
            "m.id, m.move_type, m.name, t.id",
            where=("m.name IN %(numbers)s", NEVER_SENT_SQL),
            params={"numbers": tuple(numbers)},
        )
        return [Candidate(*row) for row in rows]

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
        self._lexware_check_settled()
        transfers._lexware_commit()
