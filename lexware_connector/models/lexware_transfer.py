"""The queue of invoices on their way to Lexware, and the cron that works it off.

One row per invoice. The cron claims due rows with `FOR UPDATE SKIP LOCKED`, holds a
transaction-level advisory lock per company on a side connection (so a company's requests
never run in two workers at once, and a crashed worker frees it with its connection), and
commits after every step that Lexware has seen:

    pending --claim, commit--> sending --POST voucher--> (voucher id stored, commit)
            --POST file--> sent (commit)

A row found in `sending` by a later run, or one whose POST answered 5xx/timeout, has an
unknown outcome: its number is looked up in Lexware before anything is posted again.
A `sending` row is taken up once its company's advisory lock is free (the worker that
marked it holds that lock until the row is settled, so a free lock means it died) and
SETTLE_SENDING has passed since its last POST left, so that a request still under way at
Lexware when its worker died has landed before the lookup.
"""

import datetime
import logging
import threading
import time
from datetime import timedelta
from decimal import Decimal
from typing import NamedTuple

from odoo import api, fields, models, modules, sql_db
from odoo.exceptions import UserError
from odoo.service.server import SLEEP_INTERVAL
from odoo.tools import config, format_amount, format_date

from ..lexware.client import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_MAX_WAIT,
    DEFAULT_TIMEOUTS,
    GATEWAY_TIMEOUT,
)
from ..lexware.errors import (
    LexwareAuthError,
    LexwareDataError,
    LexwareError,
    LexwareOutcomeUnknownError,
    LexwareOutOfTimeError,
    LexwarePermanentError,
    LexwareRetryableError,
)
from ..lexware.voucher import (
    SALES_VOUCHER_TYPES,
    VOIDED,
    build_voucher,
    has_repeated_items,
    tax_moves,
    voucher_type,
)
from .lexware_states import (
    CONNECTED_SQL,
    DUE_SQL,
    FAILED,
    PENDING,
    SENDING,
    SENDING_FIRST_SQL,
    SENT,
    TRANSFER_STATES,
    is_never_sent,
    may_be_retried,
)
from .res_partner import LexwareContactUnsureError

_logger = logging.getLogger(__name__)

# Pause before attempt n+1 after n failed attempts; after the last one the row is failed.
# Lexware's 5xx pass within minutes: the first pauses are short, then the schedule widens.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=2),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1

# How long a POST may still land at Lexware after the call that sent it began (`claimed_at`
# is noted just before). The client repeats a POST only while it surely has not left (429,
# 401, a failed connect), so its last try leaves at most one connect timeout per attempt,
# the call's pauses and waits for the rate limit, and one token refresh after a 401 after
# the call began: 5 x 5 s + 60 s + (5 s + 30 s) = 120 s. Lexware's gateway answers or
# gives up 30 s after that. What it passed on may still be booked behind it after it gave
# up (a 504 "may have been carried out"): that work gets the gateway's 30 s once more.
# 120 + 30 + 30 = 180 s.
LANDING_SECONDS = (
    DEFAULT_MAX_ATTEMPTS * DEFAULT_TIMEOUTS[0]
    + DEFAULT_MAX_WAIT
    + sum(DEFAULT_TIMEOUTS)
    + 2 * GATEWAY_TIMEOUT
)
# The lookup after an unknown outcome waits that long, and a second more, since the stored
# times drop their fractions: a dead worker's `sending` row is taken up, and the first retry
# after a 5xx or a timeout comes, no earlier than this after the POST.
LANDING_WAIT = timedelta(seconds=LANDING_SECONDS + 1)
SETTLE_SENDING = LANDING_WAIT

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
# besides its requests it renders the PDF, writes the chatter and commits.
ROW_LOCAL_TIME = 10.0
# A prefork cron worker tells the watchdog it is alive and then sleeps until a job is due
# (at most SLEEP_INTERVAL and its jitter of up to 9 s) before it runs the jobs: that sleep
# is part of the watchdog period, and nothing in the job tells how long it was.
PREFORK_SLEEP = SLEEP_INTERVAL + 10
# One run starts rows for at most this long, so that the other crons get their turn.
TIME_BUDGET_MAX = 60.0
# The first key of the two-key advisory lock: "LXW" in ASCII, the second key is the company.
ADVISORY_LOCK_KEY = 0x4C5857
# A fresh contact may not be usable at once: one more try of the voucher after this pause.
NEW_CONTACT_PAUSE = 2.0


class LexwareTransferFailure(Exception):
    """This invoice cannot go as it is: fail the row with `reason` (translated)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class LexwareTransfer(models.Model):
    _name = "lexware.transfer"
    _description = "Lexware Transfer"
    _order = "id"
    _rec_name = "move_id"

    move_id = fields.Many2one(
        "account.move", string="Invoice", required=True, index=True, ondelete="restrict"
    )
    company_id = fields.Many2one(
        related="move_id.company_id", store=True, index=True, string="Company"
    )
    partner_id = fields.Many2one(related="move_id.partner_id", string="Customer")
    move_type = fields.Selection(related="move_id.move_type", string="Type")
    state = fields.Selection(
        TRANSFER_STATES,
        default=PENDING,
        required=True,
        index=True,
    )
    attempts = fields.Integer(default=0, readonly=True)
    next_attempt_at = fields.Datetime(string="Next Attempt", index=True)
    claimed_at = fields.Datetime(
        string="Last Request Sent",
        readonly=True,
        help="When Odoo last sent this invoice to Lexware. Should that attempt have been cut "
        "off, Odoo checks in Lexware whether the invoice arrived before it sends it again.",
    )
    last_error = fields.Text(string="Problem", readonly=True)
    voucher_id = fields.Char(string="Lexware Voucher ID", readonly=True, copy=False)
    file_uploaded = fields.Boolean(string="PDF Uploaded", readonly=True)
    outcome_unknown = fields.Boolean(
        string="Arrival Unconfirmed",
        readonly=True,
        help="Lexware did not confirm an earlier attempt, so the invoice may be booked there "
        "already. Before sending it again, Odoo looks its invoice number up in Lexware.",
    )
    sent_at = fields.Datetime(string="Sent", readonly=True)
    found_in_lexware = fields.Boolean(
        string="Found in Lexware",
        readonly=True,
        help="Lexware already held a voucher under this invoice number when it was "
        "exported, booked there by hand for example. Odoo did not send it again, "
        "nor its PDF.",
    )

    _sql_constraints = [
        ("move_unique", "unique(move_id)", "An invoice is queued for Lexware only once."),
    ]

    # -- queueing -------------------------------------------------------------------------

    @api.model
    def _lexware_enqueue(self, moves):
        """Queue `moves` (pending, due now) and wake the cron; sent rows stay as they are."""
        moves = moves.sudo()
        existing = self.sudo().search([("move_id", "in", moves.ids)])
        again = existing.filtered(may_be_retried)
        again.write(
            {
                "state": PENDING,
                "attempts": 0,
                "next_attempt_at": False,
                "last_error": False,
            }
        )
        new_moves = moves - existing.move_id
        created = self.sudo().create([{"move_id": move.id} for move in new_moves])
        if created or again:
            self._lexware_trigger_once()
        return created | again

    @api.model
    def _lexware_trigger_once(self):
        """Wake the cron once this transaction's rows are committed.

        Posting invoices one by one in a transaction would add a trigger row each; one
        wake-up per transaction is enough, and it keeps posting cheap.
        """
        queued = self.env.cr.precommit.data
        if not queued.get("lexware_cron_triggered"):
            queued["lexware_cron_triggered"] = True
            self._lexware_trigger()

    @api.model
    def _lexware_trigger(self, at=None):
        cron = self.env.ref("lexware_connector.ir_cron_lexware_transfer", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger(at=at)

    def action_retry(self):
        """Queue failed (or waiting) rows again at once: a billing user's action, like
        Retry Lexware on the invoice; the rows themselves are the engine's to write."""
        self.env["account.move"]._lexware_check_may_send()
        self.check_access("read")
        rows = self.filtered(may_be_retried)
        self.env["lexware.transfer"]._lexware_enqueue(rows.move_id)
        return True

    # -- the cron -------------------------------------------------------------------------

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
            # Odoo calls a job that reports work left again at once, up to
            # MAX_BATCH_PER_CRON_JOB times in the same call of the worker: all of it in one
            # watchdog period, and nothing in the job tells such a repeat from a fresh call.
            # So the run never reports work left: a fresh run, triggered at once, takes the
            # rest, in a watchdog period of its own.
            if clock.fresh_run_has_time():
                self._lexware_trigger()
            else:
                _logger.warning(
                    "Lexware: the cron's real-time limit of %s s leaves no time to send an "
                    "invoice safely (%s s are needed); raise limit_time_real_cron",
                    clock.limit,
                    clock.fresh_run_needs(),
                )
        self.env["ir.cron"]._notify_progress(done=done, remaining=0)
        self._lexware_schedule_next()
        self._lexware_commit()
        return done

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

    @api.model
    def _lexware_claim(self, skipped_companies, company_ids=None):
        """The next due row of a connected company, locked for this transaction, or None."""
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
             ORDER BY {SENDING_FIRST_SQL}, COALESCE(t.next_attempt_at, t.create_date), t.id
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

    # Commits are methods so that tests can run the engine inside their transaction;
    # a test that runs it on cursors of its own sets the context key `lexware_commit`.
    def _lexware_real_transactions(self):
        if "lexware_commit" in self.env.context:
            return bool(self.env.context["lexware_commit"])
        return not (modules.module.current_test or self.env.registry.in_test_mode())

    def _lexware_commit(self):
        if self._lexware_real_transactions():
            # The engine's promise: what Lexware has seen is on disk before the next step.
            self.env.cr.commit()  # pylint: disable=invalid-commit
        else:
            self.env.flush_all()

    def _lexware_rollback(self):
        if self._lexware_real_transactions():
            self.env.cr.rollback()
        else:
            self.env.flush_all()

    # -- one attempt ----------------------------------------------------------------------

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
        self._lexware_fail(
            self.env._(
                "Gave up after %(attempts)s attempts: %(reason)s",
                attempts=self.attempts,
                reason=reason,
            )
        )

    def _lexware_attempt(self, client, clock=None):
        """One attempt at the row; False when the company's batch must stop.

        The row leaves `sending` whatever happens. Should recording the outcome fail as
        well (a bug, the database), that is rolled back, and the row waits for a retry that
        looks the invoice up in Lexware first.
        """
        self.ensure_one()
        try:
            return self._lexware_attempt_and_record(client, clock)
        except Exception as error:  # pylint: disable=broad-exception-caught
            _logger.exception(
                "Lexware: recording the outcome for invoice %s failed", self.move_id.id
            )
            self._lexware_rollback()
            self._lexware_forget_nothing(self.move_id)
            self._lexware_retry_later(
                self.env._("Unexpected error (%(error)s).", error=type(error).__name__),
                landing=True,
            )
            return True

    def _lexware_attempt_and_record(self, client, clock):
        move = self.move_id
        messages = self.env["lexware.messages"]
        try:
            if not self.voucher_id and self.outcome_unknown:
                self._lexware_adopt_existing_voucher(client)
            if not self.voucher_id:
                pdf = move._lexware_invoice_pdf()
                self._lexware_create_voucher(client)
                self._lexware_commit()
            else:
                # An earlier attempt may have uploaded the file and died before it said so;
                # a PDF rendered again differs by its creation date, Lexware's checksum
                # would not recognise it.
                self._lexware_check_uploaded_file(client)
                pdf = move._lexware_invoice_pdf()
            self._lexware_upload(client, pdf)
        except LexwareAuthError as error:
            # Also a 402 or 403 (LexwareAccessDenied): the connection's problem, not this
            # invoice's. The rows wait, untouched, until an admin connects again.
            self._lexware_rollback()
            self.write({"state": PENDING, "attempts": max(self.attempts - 1, 0)})
            self.company_id.sudo()._lexware_authorization_lost(error)
            return False
        except LexwareOutOfTimeError:
            # The run's time is up, not Lexware's: the row is due again at once, and this
            # attempt does not count.
            self.write(
                {
                    "state": PENDING,
                    "attempts": max(self.attempts - 1, 0),
                    "next_attempt_at": False,
                }
            )
            if clock is not None:
                clock.ran_out = True
            return False
        except LexwareOutcomeUnknownError as error:
            if not self.voucher_id:
                self.outcome_unknown = True
            _logger.info("Lexware: invoice %s: %s", move.id, error)
            self._lexware_retry_later(
                self.env._(
                    "%(problem)s Lexware may have booked the invoice anyway: Odoo looks it up "
                    "there before sending it again.",
                    problem=messages._trouble_words(error),
                ),
                landing=True,
            )
        except LexwareContactUnsureError as error:
            _logger.info("Lexware: invoice %s: %s", move.id, error)
            self._lexware_retry_later(messages._trouble_words(error), landing=True)
        except LexwareRetryableError as error:
            _logger.info("Lexware: invoice %s: %s", move.id, error)
            self._lexware_retry_later(messages._trouble_words(error), retry_after=error.retry_after)
        except LexwarePermanentError as error:
            self._lexware_fail(messages._issue_words(error))
        except LexwareTransferFailure as failure:
            self._lexware_fail(failure.reason)
        except LexwareDataError as error:
            self._lexware_fail(
                self.env._(
                    "Lexware cannot take this invoice: %(reason)s",
                    reason=messages._refusal_words(error),
                )
            )
        except UserError as error:
            self._lexware_fail(str(error.args[0] if error.args else error))
        except LexwareError as error:
            _logger.info("Lexware: invoice %s: %s", move.id, error)
            self._lexware_retry_later(messages._trouble_words(error))
        except Exception as error:  # pylint: disable=broad-exception-caught
            # A bug or a database hiccup must not stop the rest of the queue.
            _logger.exception("Lexware: transfer of invoice %s failed unexpectedly", move.id)
            self._lexware_rollback()
            # What this attempt stored is gone, perhaps a POST's answer (a commit that lost
            # to a concurrent update, say): look the voucher and the contact up first.
            self._lexware_forget_nothing(move)
            self._lexware_retry_later(
                self.env._("Unexpected error (%(error)s).", error=type(error).__name__),
                landing=True,
            )
        return True

    def _lexware_forget_nothing(self, move):
        if not self.voucher_id:
            self.outcome_unknown = True
        partner = move.commercial_partner_id.sudo().with_company(self.company_id)
        if not partner.lexware_contact_id and not partner.lexware_contact_unsure:
            partner.lexware_contact_unsure = True

    def _lexware_adopt_existing_voucher(self, client):
        """After an unknown outcome: the voucher Lexware already holds for this invoice.

        Only a voucher of the invoice's type, date and gross is this invoice. Another one
        under its number (booked there by hand, say) is left for a person: the row fails
        with what differs, and stays to be looked up first, so that no retry sends the
        invoice while that voucher is there.
        """
        move = self.move_id
        found = client.find_vouchers_by_number(move.name, voucher_types=SALES_VOUCHER_TYPES)
        others = []
        for voucher in found:
            differences = self._lexware_voucher_differences(voucher)
            if not differences:
                self.write({"voucher_id": voucher["id"], "outcome_unknown": False})
                self._lexware_commit()
                _logger.info("Lexware: invoice %s was already booked as %s", move.id, voucher["id"])
                return
            if voucher.get("voucherStatus") != VOIDED:
                others.append((voucher, differences))
        if others:
            raise LexwareTransferFailure(self.env["lexware.messages"]._mismatch_words(move, others))

    def _lexware_voucher_differences(self, voucher):
        """How a voucherlist entry differs from this invoice: type, date, gross, in words."""
        move = self.move_id
        messages = self.env["lexware.messages"]
        wanted = voucher_type(move.move_type == "out_refund")
        differences = []
        if voucher.get("voucherType") != wanted:
            differences.append(
                self.env._(
                    "it is a %(found)s, not a %(wanted)s",
                    found=messages._voucher_type_words(voucher.get("voucherType")),
                    wanted=messages._voucher_type_words(wanted),
                )
            )
        date = _date_part(voucher.get("voucherDate"))
        if date != move.invoice_date:
            differences.append(
                self.env._(
                    "its date is %(found)s, not %(wanted)s",
                    found=format_date(self.env, date) if date else "-",
                    wanted=format_date(self.env, move.invoice_date),
                )
            )
        gross = _cents(voucher.get("totalAmount"))
        wanted_gross = _cents(abs(move.amount_total_signed))
        if gross != wanted_gross:
            currency = move.company_id.currency_id
            differences.append(
                self.env._(
                    "its total is %(found)s, not %(wanted)s",
                    found="-" if gross is None else format_amount(self.env, float(gross), currency),
                    wanted=format_amount(self.env, float(wanted_gross), currency),
                )
            )
        return differences

    def _lexware_check_uploaded_file(self, client):
        if not self.file_uploaded and client.get_voucher(self.voucher_id).get("files"):
            self.file_uploaded = True

    def _lexware_create_voucher(self, client):
        move = self.move_id
        company = self.company_id.sudo()
        # Everything that can refuse the invoice runs before its contact is made:
        # Lexware cannot delete contacts.
        needs_contact = move._lexware_needs_real_contact()
        build_voucher(move._lexware_invoice_data(None))
        refreshed = retried_contact = probed = False
        while True:
            contact_id, created = move.commercial_partner_id._lexware_ensure_contact(
                company, client, needs_contact, commit=self._lexware_commit
            )
            data = move._lexware_invoice_data(contact_id)
            payload, probe = self._lexware_voucher_payload(company, data, probed)
            self._lexware_note_post()
            try:
                answer = client.create_voucher(payload)
            except LexwarePermanentError as error:
                if error.status == 406 and not refreshed and _about_category(error):
                    company._lexware_refresh_posting_categories()
                    refreshed = True
                    continue
                if error.status == 406 and probe and _refuses(probe, error):
                    self._lexware_learn(company, probe, refused=True)
                    probed = True
                    continue
                if error.status == 406 and created and not retried_contact:
                    time.sleep(NEW_CONTACT_PAUSE)
                    retried_contact = True
                    continue
                raise
            # The voucher is booked: the file is a step of its own, with a fresh schedule.
            self.write({"voucher_id": answer["id"], "outcome_unknown": False, "attempts": 0})
            if probe:
                self._lexware_learn(company, probe, refused=False)
            moves = tax_moves(data, payload)
            if moves:
                self._lexware_commit()
                move._lexware_message_tax_moved(moves, payload["totalGrossAmount"])
            return answer["id"]

    def _lexware_voucher_payload(self, company, data, probed):
        """The payload to post, and which of Lexware's undocumented rules it puts to the
        test ("repeated_items", "tolerance" or None).

        The safe payload passes whatever Lexware's answer, as far as the company knows it:
        one item per rate where Lexware refused repeated items, each tax within a cent of
        the exact amount x rate unless Lexware is known to round first. Where a riskier
        payload keeps more of the invoice's tax, it goes first, once per invoice (so one
        extra request at most), and Lexware's answer is remembered for the company.
        """
        repeated_items = not company.lexware_repeated_items_refused
        tolerance = company.lexware_tax_tolerance or "strict"
        safe = build_voucher(data, repeated_items=repeated_items, tolerance=tolerance)
        if probed:
            return safe, None
        if repeated_items and has_repeated_items(safe):
            return safe, "repeated_items"
        if not company.lexware_tax_tolerance:
            # One rule at a time: this one with one item per rate.
            lenient = build_voucher(data, repeated_items=False, tolerance="lenient")
            if _moved(data, lenient) < _moved(data, safe):
                return lenient, "tolerance"
        return safe, None

    def _lexware_learn(self, company, probe, refused):
        """Remember Lexware's answer to a rule put to the test."""
        if probe == "repeated_items" and refused:
            company.lexware_repeated_items_refused = fields.Datetime.now()
        elif probe == "tolerance":
            company.lexware_tax_tolerance = "strict" if refused else "lenient"
        else:
            return
        _logger.info(
            "Lexware: company %s: %s %s", company.id, probe, "refused" if refused else "accepted"
        )
        self._lexware_commit()

    def _lexware_upload(self, client, pdf):
        move = self.move_id
        if not self.file_uploaded:
            filename, content = pdf
            self._lexware_note_post()
            try:
                client.upload_voucher_file(self.voucher_id, filename, content)
            except LexwareOutcomeUnknownError as error:
                # The same file twice is recognised by its checksum: repeating is safe.
                raise LexwareRetryableError(
                    str(error), status=error.status, kind=error.kind
                ) from None
        self.write(
            {
                "state": SENT,
                "file_uploaded": True,
                "sent_at": fields.Datetime.now(),
                "last_error": False,
                "next_attempt_at": False,
                "outcome_unknown": False,
            }
        )
        self._lexware_tell(move._lexware_message_sent, self.voucher_id)

    def _lexware_note_post(self):
        """On disk before a POST leaves: when a crash's row may be looked up safely."""
        self.claimed_at = fields.Datetime.now()
        self._lexware_commit()

    def _lexware_retry_later(self, reason, retry_after=None, landing=False):
        """Back to pending with a growing pause; failed once the schedule is spent.

        `reason` is a sentence in the reader's language (see `_lexware_lang`). `landing`:
        a POST's outcome is unknown, so the retry, which looks it up, waits until a request
        still under way at Lexware has landed.
        """
        if self.attempts >= MAX_ATTEMPTS:
            self._lexware_fail(
                self.env._(
                    "Gave up after %(attempts)s attempts: %(reason)s",
                    attempts=self.attempts,
                    reason=reason,
                )
            )
            return
        delay = RETRY_DELAYS[max(self.attempts - 1, 0)]
        if retry_after:
            delay = max(delay, timedelta(seconds=float(retry_after)))
        if landing:
            delay = max(delay, LANDING_WAIT)
        next_attempt = fields.Datetime.now() + delay
        self.write(
            {
                "state": PENDING,
                "next_attempt_at": next_attempt,
                "last_error": self.env._("%(reason)s Odoo tries again later.", reason=reason),
            }
        )
        _logger.info("Lexware: invoice %s retries at %s: %s", self.move_id.id, next_attempt, reason)

    def _lexware_fail(self, reason):
        self.write({"state": FAILED, "next_attempt_at": False, "last_error": reason})
        self._lexware_tell(self.move_id._lexware_message_failed, reason)

    def _lexware_tell(self, message, *args):
        """Post a chatter message (and activity) about this row. Should that fail, it is
        undone and logged: the row's outcome, already written, stands without it."""
        try:
            with self.env.cr.savepoint():
                message(*args)
        except Exception:  # pylint: disable=broad-exception-caught
            _logger.exception(
                "Lexware: invoice %s: the message about its transfer failed", self.move_id.id
            )

    def _lexware_lang(self):
        """The language this row's words are written in: its reason, the invoice's chatter
        message and activity. The cron runs without one, so it is the language of who gets
        the activity (the invoice's salesperson, else an accountant), else the company's."""
        self.ensure_one()
        move = self.move_id.sudo()
        user = move._lexware_failure_reader()
        for lang in (user.lang, move.company_id.partner_id.lang, self.env.lang):
            if lang and self.env["res.lang"]._get_code(lang):
                return lang
        return "en_US"

    @api.model
    def _lexware_mark_found_in_lexware(self, found):
        """Invoices Lexware already holds under their number, that Odoo never sent: their
        rows become `sent` with the voucher found, flagged `found_in_lexware`, and nothing
        is posted for them. Answer the move ids marked.

        `found` is a list of FoundVoucher. Only an invoice without a row, or whose row
        failed before Lexware booked anything (no voucher, no unknown outcome), is marked:
        a voucher Odoo booked itself, or may have, is Odoo's own, and its row is retried
        so that its file goes too. No chatter note: an export of a booked year finds
        thousands, and the invoice shows the flag.
        """
        values = {"state": SENT, "found_in_lexware": True, "sent_at": fields.Datetime.now()}
        rows = self.sudo()
        existing = rows.browse([entry.transfer_id for entry in found if entry.transfer_id])
        never_sent = existing.filtered(is_never_sent)
        created = rows.create(
            [
                {**values, "move_id": entry.move_id, "voucher_id": entry.voucher_id}
                for entry in found
                if not entry.transfer_id
            ]
        )
        for entry in found:
            if entry.transfer_id in never_sent.ids:
                rows.browse(entry.transfer_id).write(
                    {
                        **values,
                        "voucher_id": entry.voucher_id,
                        "last_error": False,
                        "next_attempt_at": False,
                    }
                )
        return set(created.move_id.ids) | set(never_sent.move_id.ids)


class FoundVoucher(NamedTuple):
    """A voucher Lexware holds under the number of an invoice (`transfer_id`: its row)."""

    move_id: int
    transfer_id: int | None
    voucher_id: str


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


def _date_part(value):
    """The date of a Lexware date: `yyyy-MM-dd`, or an RFC 3339 datetime at midnight in
    Berlin, whose date part is the date."""
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _cents(value):
    if value is None:
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except ArithmeticError:
        return None


def take_company_lock(env, company_id):
    """A side connection holding the company's advisory lock, or None when taken.

    Everything that talks to Lexware for a company holds it (the transfer and the export
    share the company's rate limit). Closing the connection (or the worker dying) frees it.
    """
    lock_cr = sql_db.db_connect(env.cr.dbname).cursor()
    try:
        lock_cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (ADVISORY_LOCK_KEY, company_id))
        if lock_cr.fetchone()[0]:
            return lock_cr
    except Exception:
        lock_cr.close()
        raise
    lock_cr.close()
    return None


def still_locked(lock_cr):
    """Whether the side connection holding the company's advisory lock is still there."""
    try:
        lock_cr.execute("SELECT 1")
    except Exception:  # pylint: disable=broad-exception-caught
        return False
    return True


def _about_category(error):
    return any("categoryid" in (issue.field or "").lower() for issue in error.issues)


def _moved(data, payload):
    """How much tax the payload books apart from the invoice, over all rates."""
    return sum(abs(move.booked - move.invoiced) for move in tax_moves(data, payload))


def _refuses(probe, error):
    """Whether a 406 answers the rule put to the test, and nothing else: for repeated
    items, every issue is about the items (a second item of the same rate, or a tax that
    Lexware checks per rate after all); for the tolerance, every issue is an item's tax."""
    fields_named = [(issue.field or "") for issue in error.issues]
    if not fields_named:
        return False
    if probe == "repeated_items":
        return all(field.startswith("voucherItems") for field in fields_named)
    return all(
        field.startswith("voucherItems") and field.endswith(".taxAmount") for field in fields_named
    )
