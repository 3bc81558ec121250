"""A run's first step, worked by the cron in the background: ask Lexware's voucherlist
page by page, month by month, which of the period's numbers it holds, then queue the rest.

The run remembers the search window and page it got to (`check_from`, `check_to`,
`check_page`), committed with the rows that page marked, so a worker killed midway is
resumed at that page by the next run of the cron and marks nothing twice. Lexware's
trouble makes the run wait and ask again; a refused connection waits for an administrator.
"""

import logging
from datetime import date, timedelta
from typing import NamedTuple

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lexware.client import PAGE_SIZE_MAX, SEARCH_WINDOW
from ..lexware.errors import (
    LexwareAccessDenied,
    LexwareAuthError,
    LexwareError,
    LexwareOutOfTimeError,
)
from ..lexware.voucher import voucher_type
from .lexware_export_scope import MOVE_TYPES, select_moves
from .lexware_states import CONNECTED_SQL, NEVER_SENT_SQL
from .lexware_transfer import RETRY_DELAYS, FoundVoucher, still_locked, take_company_lock

_logger = logging.getLogger(__name__)

# One voucherlist page; its invoices are marked and committed before the next is asked.
PAGE_SIZE = PAGE_SIZE_MAX
# A company whose transfer holds the Lexware lock is asked again after this pause.
LOCK_BUSY_PAUSE = timedelta(seconds=30)
# After an error that cleared nothing up (a refused credential that still holds).
ERROR_PAUSE = timedelta(minutes=1)


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


class LexwareExportRun(models.Model):
    _inherit = "lexware.export.run"

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

    # -- waiting --------------------------------------------------------------------------

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
