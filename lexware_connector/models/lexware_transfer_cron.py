"""The cron that works the transfer queue off: claiming rows, the company lock, the clock.

The cron claims due rows with `FOR UPDATE SKIP LOCKED`, holds a transaction-level advisory
lock per company on a side connection (so a company's requests never run in two workers at
once, and a crashed worker frees it with its connection), and commits after every row. A
row is marked `sending` and committed before Lexware is asked; `lexware_transfer_send.py`
makes the attempt.

A row found in `sending` by a later run has an unknown outcome: its number is looked up in
Lexware before anything is posted again. Such a row is taken up once its company's
advisory lock is free (the worker that marked it holds that lock until the row is settled,
so a free lock means it died) and SETTLE_SENDING has passed since its last POST left, so
that a request still under way at Lexware when its worker died has landed before the
lookup.
"""

import logging
import threading
import time

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.service.server import SLEEP_INTERVAL
from odoo.tools import config

from ..lexware.client import DEFAULT_TIMEOUTS
from .lexware_states import (
    CONNECTED_SQL,
    DOCUMENT_READY_SQL,
    DUE_SQL,
    PENDING,
    SENDING,
    SENDING_FIRST_SQL,
)
from .lexware_transfer import (
    ENGINE_LOG,
    MAX_ATTEMPTS,
    SETTLE_SENDING,
    still_locked,
    take_company_lock,
)

_logger = logging.getLogger(ENGINE_LOG)

# The cron's time. Odoo's watchdog kills a cron worker that runs past its real-time limit
# (limit_time_real_cron, else limit_time_real), mid-POST if need be, and disables a cron
# killed again and again. A row is started only while the time used in the watchdog period
# plus the row's worst case stays under that limit, and the client holds each row to a
# deadline (`LexwareClient.set_deadline`), so its requests, retries and pauses cannot
# outlast it: without one, a row's requests could take minutes (5 attempts of 35 s each
# and 60 s of pauses per request).
# A row needs at least one request with its full timeouts (connect 5 s + read 30 s) ...
ROW_TIME_MIN = float(sum(DEFAULT_TIMEOUTS))
# ... and gets at most this much for its requests;
ROW_TIME_MAX = 120.0
# besides its requests it may render the PDF (when the document cron has not), writes the
# chatter and commits.
ROW_LOCAL_TIME = 10.0
# A prefork cron worker tells the watchdog it is alive and then sleeps until a job is due
# (at most SLEEP_INTERVAL and its jitter of up to 9 s) before it runs the jobs: that sleep
# is part of the watchdog period, and nothing in the job tells how long it was.
PREFORK_SLEEP = SLEEP_INTERVAL + 10
# One run starts rows for at most this long, so that the other crons get their turn.
TIME_BUDGET_MAX = 60.0


class LexwareTransfer(models.Model):
    # The queue is one model in files by concern; merging them back is what this avoids.
    _inherit = "lexware.transfer"  # pylint: disable=consider-merging-classes-inherited

    # -- the run --------------------------------------------------------------------------

    @api.model
    def _cron_process(self, batch_size=50):
        """Send due rows, one invoice at a time, committing after each step."""
        done = 0
        skipped_companies = set()
        clock = self._lexware_clock()
        while done < batch_size and clock.row_deadline() is not None:
            row = self._lexware_claim(skipped_companies)
            if row is None:
                break
            company_lock = row._lexware_company_lock()
            if company_lock is None:
                # Another worker is talking to Lexware for this company: leave it its rows.
                skipped_companies.add(row.company_id.id)
                self._lexware_rollback()
                continue
            try:
                company_done = self._lexware_run_company(
                    row, skipped_companies, batch_size - done, company_lock, clock
                )
            finally:
                company_lock.close()
            done += company_done
            skipped_companies.add(row.company_id.id)
        stopped_early = done >= batch_size or clock.out_of_time()
        if stopped_early and self._lexware_due_count():
            self._lexware_leave_rest_to_fresh_run(clock)
        self.env["ir.cron"]._notify_progress(done=done, remaining=0)
        self._lexware_schedule_next()
        self._lexware_commit()
        return done

    @api.model
    def _lexware_leave_rest_to_fresh_run(self, clock):
        """Trigger a fresh run for the rows left, or warn that none would have time.

        Odoo calls a job that reports work left again at once, up to
        MAX_BATCH_PER_CRON_JOB times in the same call of the worker: all of it in one
        watchdog period, and nothing in the job tells such a repeat from a fresh call. So
        the run never reports work left: a fresh run, triggered at once, takes the rest, in
        a watchdog period of its own.
        """
        if clock.fresh_run_has_time():
            self._lexware_trigger()
        else:
            _logger.warning(
                "Lexware: the cron's real-time limit of %s s leaves no time to send an "
                "invoice safely (%s s are needed); raise limit_time_real_cron",
                clock.limit,
                clock.fresh_run_needs(),
            )

    @api.model
    def _lexware_clock(self):
        """The time of this run, measured against the cron worker's real-time limit."""
        if not self.env.context.get("cron_id"):
            return RunClock(limit=None, used=0.0, run_max=None)
        return RunClock(
            limit=_cron_time_limit(),
            used=_cron_time_used(),
            run_max=TIME_BUDGET_MAX,
            used_at_start=_cron_time_used_at_start(),
        )

    def _lexware_run_company(self, first_row, skipped_companies, budget, company_lock, clock):
        """Work off the company of `first_row` (claimed and locked) while the lock is held
        and the run has time for another row."""
        company = first_row.company_id
        done = 0
        row = first_row
        try:
            client = company.sudo()._lexware_client()
        except UserError as error:
            # Not connected (any more): the rows wait for a reconnect, untouched.
            _logger.info("Lexware: company %s cannot send now: %s", company.id, error)
            self._lexware_rollback()
            return 0
        try:
            while row is not None:
                if not still_locked(company_lock):
                    # The lock's connection is gone: another worker may take the company now.
                    _logger.warning("Lexware: lost the lock of company %s; stopping", company.id)
                    self._lexware_rollback()
                    break
                deadline = clock.row_deadline()
                if deadline is None:
                    # Not enough time left for the worst case of a row: it waits, untouched.
                    self._lexware_rollback()
                    break
                client.set_deadline(deadline)
                carry_on = row._lexware_take_up(client, clock)
                self._lexware_commit()
                done += 1
                if not carry_on or done >= budget:
                    break
                row = self._lexware_claim(skipped_companies, company_ids=[company.id])
        finally:
            client.set_deadline(None)
        return done

    # -- claiming -------------------------------------------------------------------------

    @api.model
    def _lexware_claim(self, skipped_companies, company_ids=None):
        """The next due row of a connected company, locked for this transaction, or None.

        Rows whose document is made go first: the document cron renders ahead, in
        batches, and this worker renders one itself only when no made one is left.
        """
        self.env.flush_all()
        now = fields.Datetime.now()
        params = {
            "now": now,
            "settled": now - SETTLE_SENDING,
            "skipped": tuple(skipped_companies) or (0,),
        }
        company_filter = ""
        if company_ids:
            company_filter = "AND t.company_id IN %(companies)s"
            params["companies"] = tuple(company_ids)
        self.env.cr.execute(
            f"""
            SELECT t.id FROM lexware_transfer t
              JOIN res_company c ON c.id = t.company_id
             WHERE ({DUE_SQL})
               AND {CONNECTED_SQL}
               AND t.company_id NOT IN %(skipped)s
               {company_filter}
             ORDER BY {SENDING_FIRST_SQL}, {DOCUMENT_READY_SQL} DESC,
                      COALESCE(t.next_attempt_at, t.create_date), t.id
             LIMIT 1
               FOR UPDATE OF t SKIP LOCKED
            """,  # noqa: S608 (fixed SQL, parameters bound)
            params,
        )
        found = self.env.cr.fetchone()
        return self.sudo().browse(found[0]) if found else None

    def _lexware_company_lock(self):
        """A side connection holding the company's advisory lock, or None when taken."""
        return take_company_lock(self.env, self.company_id.id)

    @api.model
    def _lexware_due_count(self):
        self.env.flush_all()
        now = fields.Datetime.now()
        self.env.cr.execute(
            f"""
            SELECT count(*) FROM lexware_transfer t
              JOIN res_company c ON c.id = t.company_id
             WHERE ({DUE_SQL})
               AND {CONNECTED_SQL}
            """,  # noqa: S608 (fixed SQL, parameters bound)
            {"now": now, "settled": now - SETTLE_SENDING},
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _lexware_schedule_next(self):
        """Wake the cron when the next waiting row is due."""
        upcoming = self.sudo().search(
            [("state", "=", PENDING), ("next_attempt_at", ">", fields.Datetime.now())],
            order="next_attempt_at",
            limit=1,
        )
        if upcoming:
            self._lexware_trigger(at=upcoming.next_attempt_at)

    # -- taking a row up ------------------------------------------------------------------

    def _lexware_take_up(self, client, clock):
        """Start an attempt at this claimed row and make it; False when the company's
        batch must stop."""
        self.ensure_one()
        row = self.with_context(lang=self._lexware_lang())
        if self.attempts >= MAX_ATTEMPTS:
            # Its attempts are spent, yet it is due: its worker died in each of them (or
            # in the error handling). Lexware is not asked again.
            row._lexware_give_up_at_claim()
            return True
        self._lexware_start_attempt()
        self._lexware_commit()
        return row._lexware_attempt(client, clock)

    def _lexware_start_attempt(self):
        """Leave evidence before talking to Lexware: a crash after this means unknown."""
        self.ensure_one()
        values = {
            "state": SENDING,
            "claimed_at": fields.Datetime.now(),
            "attempts": self.attempts + 1,
        }
        if self.state == SENDING:
            # Claimed from a worker that died while sending: it may have posted.
            values["outcome_unknown"] = True
        self.write(values)

    def _lexware_give_up_at_claim(self):
        if self.state == SENDING:
            if not self.voucher_id:
                # Its last POST may have gone through: a retry looks the number up first.
                self.outcome_unknown = True
            reason = self.env._(
                "each attempt broke off before it was finished (Odoo stopped while sending)."
            )
        else:
            reason = self.last_error or self.env._("no reason was recorded.")
        self._lexware_give_up(reason)


class RunClock:
    """One cron run's time against the worker's real-time limit (None: no limit).

    `used`: seconds of the watchdog period gone before the run began.
    """

    def __init__(self, limit, used, run_max, used_at_start=0.0):
        self.limit = limit
        self.run_max = run_max
        self.used_at_start = used_at_start
        self.began = time.monotonic()
        self.period_began = self.began - used
        self.ran_out = False

    def row_deadline(self):
        """When a row started now must be done with Lexware (a `time.monotonic()` value),
        or None when the run has no time for the worst case of a row."""
        if self.ran_out:
            return None
        now = time.monotonic()
        if self.run_max is not None and now - self.began >= self.run_max:
            return None
        deadline = now + ROW_TIME_MAX
        if self.limit is not None:
            deadline = min(deadline, self.period_began + self.limit - ROW_LOCAL_TIME)
        if deadline - now < ROW_TIME_MIN:
            return None
        return deadline

    def out_of_time(self):
        return self.row_deadline() is None

    def fresh_run_needs(self):
        """Seconds of the limit a fresh run needs to start a row."""
        return self.used_at_start + ROW_TIME_MIN + ROW_LOCAL_TIME

    def fresh_run_has_time(self):
        return self.limit is None or self.fresh_run_needs() <= self.limit


def _cron_time_limit():
    """The cron worker's real-time limit in seconds, as Odoo's server applies it; None
    when there is none."""
    cron_limit = config.get("limit_time_real_cron") or 0
    real_limit = config.get("limit_time_real") or 0
    if config.get("workers"):
        # Prefork: the cron workers' watchdog; -1 means limit_time_real, 0 none.
        limit = real_limit if cron_limit < 0 else cron_limit
    else:
        # Threaded: a cron thread over limit_time_real_cron (when positive, else
        # limit_time_real) gets the server restarted.
        limit = cron_limit if cron_limit > 0 else real_limit
    return limit if limit > 0 else None


def _cron_time_used():
    """Seconds of the current watchdog period already gone when the run begins."""
    started = getattr(threading.current_thread(), "start_time", None)
    if started:
        # A threaded server's cron thread: its clock started with this call of the jobs,
        # the jobs run before this one included.
        return max(time.time() - started, 0.0)
    return _cron_time_used_at_start()


def _cron_time_used_at_start():
    """Seconds of a watchdog period gone, at worst, before a freshly woken worker runs the
    jobs."""
    if config.get("workers"):
        return float(PREFORK_SLEEP)
    return 0.0
