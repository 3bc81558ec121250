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

import logging
import time
from datetime import timedelta
from typing import NamedTuple

from odoo import api, fields, models, modules, sql_db
from odoo.exceptions import UserError
from odoo.tools import config
from odoo.tools.translate import LazyTranslate

from ..lexware.contact import ContactError
from ..lexware.errors import (
    NETWORK,
    RATE_LIMITED,
    SERVER_TROUBLE,
    TIMEOUT,
    LexwareAuthError,
    LexwareError,
    LexwareOutcomeUnknownError,
    LexwarePermanentError,
    LexwareRetryableError,
)
from ..lexware.voucher import VoucherError, build_voucher

_logger = logging.getLogger(__name__)
_lt = LazyTranslate(__name__)

# Pause before attempt n+1 after n failed attempts; after the last one the row is failed.
# Lexware's 5xx pass within minutes: the first pauses are short, then the schedule widens.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=2),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=12),
)
TRANSFER_STATES = [
    ("pending", "Pending"),
    ("sending", "Sending"),
    ("sent", "Sent"),
    ("failed", "Failed"),
]
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A dead worker's last POST has landed at Lexware (or never will) after this pause.
SETTLE_SENDING = timedelta(minutes=2)
# One run of the cron stops taking rows after this share of the cron's real-time limit
# (and after TIME_BUDGET_MAX seconds), so that the worker's watchdog never kills it mid-POST.
TIME_BUDGET_SHARE = 0.25
TIME_BUDGET_MAX = 60.0
MAX_FILE_SIZE = 5_242_880
# The first key of the two-key advisory lock: "LXW" in ASCII, the second key is the company.
ADVISORY_LOCK_KEY = 0x4C5857
# A fresh contact may not be usable at once: one more try of the voucher after this pause.
NEW_CONTACT_PAUSE = 2.0

# Lexware's reasons (its i18nKey) in words, translated when shown (`env._(ISSUE_WORDS[key])`);
# the field stays in front of them.
ISSUE_WORDS = {
    "invalid_taxamount": _lt("the tax amount does not match the amount and tax rate"),
    "invalid_total_amount": _lt("the total does not match the sum of the items"),
    "missing_entity": _lt("is missing"),
    "invalid_value": _lt("has a value Lexware does not accept"),
    "collective_customer_not_applicable": _lt(
        "this posting category needs a contact of its own, not the collective contact"
    ),
    "max_file_size_exceeded": _lt("the file is larger than 5 MB"),
    "inacceptable_file_extension": _lt("Lexware does not accept this kind of file"),
    "inacceptable_file_type": _lt("the file's content does not match its extension"),
    "not_unique": _lt("already exists"),
    "invalid_uuid": _lt("is not a valid id"),
    "not_allowed": _lt("is not allowed here"),
}


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
        default="pending",
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
        again = existing.filtered(lambda row: row.state in ("pending", "failed"))
        again.write(
            {
                "state": "pending",
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
        """Queue failed (or waiting) rows again at once."""
        rows = self.filtered(lambda row: row.state in ("pending", "failed"))
        self.env["lexware.transfer"]._lexware_enqueue(rows.move_id)
        return True

    # -- the cron -------------------------------------------------------------------------

    @api.model
    def _cron_process(self, batch_size=50):
        """Send due rows, one invoice at a time, committing after each step."""
        done = 0
        skipped_companies = set()
        deadline = time.monotonic() + self._lexware_time_budget()
        while done < batch_size and time.monotonic() < deadline:
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
                    row, skipped_companies, batch_size - done, company_lock, deadline
                )
            finally:
                company_lock.close()
            done += company_done
            skipped_companies.add(row.company_id.id)
        remaining = self._lexware_due_count()
        if remaining and time.monotonic() >= deadline:
            # Out of time: a fresh run, triggered at once, takes the rest. Odoo would call
            # this run again within the same watchdog period if it heard of the rest.
            self._lexware_trigger()
            remaining = 0
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        self._lexware_schedule_next()
        self._lexware_commit()
        return done

    @api.model
    def _lexware_time_budget(self):
        """Seconds one cron run may take rows for; unlimited outside the cron."""
        if not self.env.context.get("cron_id"):
            return float("inf")
        limit = config.get("limit_time_real_cron") or 0
        if limit < 0:
            limit = config.get("limit_time_real") or 0
        if limit <= 0:
            return TIME_BUDGET_MAX
        return min(TIME_BUDGET_MAX, limit * TIME_BUDGET_SHARE)

    def _lexware_run_company(
        self, first_row, skipped_companies, budget, company_lock=None, deadline=None
    ):
        """Work off the company of `first_row` (claimed and locked) while the lock is held."""
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
        while row is not None:
            if company_lock is not None and not _still_locked(company_lock):
                # The lock's connection is gone: another worker may take the company now.
                _logger.warning("Lexware: lost the lock of company %s; stopping", company.id)
                self._lexware_rollback()
                break
            row._lexware_start_attempt()
            self._lexware_commit()
            carry_on = row.with_context(lang=row._lexware_lang())._lexware_attempt(client)
            self._lexware_commit()
            done += 1
            if not carry_on or done >= budget:
                break
            if deadline is not None and time.monotonic() >= deadline:
                break
            row = self._lexware_claim(skipped_companies, company_ids=[company.id])
        return done

    @api.model
    def _lexware_due_domain_sql(self):
        # A `sending` row is a candidate once its last POST has settled: a worker that is
        # still sending holds the company's lock, so the claimer skips the company; a free
        # lock means that worker died (its lock went with its connection).
        return """
            (t.state = 'pending' AND (t.next_attempt_at IS NULL OR t.next_attempt_at <= %(now)s))
            OR (t.state = 'sending' AND t.claimed_at < %(settled)s)
        """

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
             WHERE ({self._lexware_due_domain_sql()})
               AND c.lexware_connection_state = 'connected'
               AND t.company_id NOT IN %(skipped)s
               {company_filter}
             ORDER BY t.state = 'sending' DESC, COALESCE(t.next_attempt_at, t.create_date), t.id
             LIMIT 1
               FOR UPDATE OF t SKIP LOCKED
            """,  # noqa: S608 (fixed SQL, parameters bound)
            params,
        )
        found = self.env.cr.fetchone()
        return self.sudo().browse(found[0]) if found else None

    def _lexware_company_lock(self):
        """A side connection holding the company's advisory lock, or None when taken.

        Closing it (or the worker dying) frees the lock.
        """
        lock_cr = sql_db.db_connect(self.env.cr.dbname).cursor()
        try:
            lock_cr.execute(
                "SELECT pg_try_advisory_xact_lock(%s, %s)",
                (ADVISORY_LOCK_KEY, self.company_id.id),
            )
            if lock_cr.fetchone()[0]:
                return lock_cr
        except Exception:
            lock_cr.close()
            raise
        lock_cr.close()
        return None

    @api.model
    def _lexware_due_count(self):
        self.env.flush_all()
        now = fields.Datetime.now()
        self.env.cr.execute(
            f"""
            SELECT count(*) FROM lexware_transfer t
              JOIN res_company c ON c.id = t.company_id
             WHERE ({self._lexware_due_domain_sql()})
               AND c.lexware_connection_state = 'connected'
            """,  # noqa: S608 (fixed SQL, parameters bound)
            {"now": now, "settled": now - SETTLE_SENDING},
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _lexware_schedule_next(self):
        """Wake the cron when the next waiting row is due."""
        upcoming = self.sudo().search(
            [("state", "=", "pending"), ("next_attempt_at", ">", fields.Datetime.now())],
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
            "state": "sending",
            "claimed_at": fields.Datetime.now(),
            "attempts": self.attempts + 1,
        }
        if self.state == "sending":
            # Claimed from a worker that died while sending: it may have posted.
            values["outcome_unknown"] = True
        self.write(values)

    def _lexware_attempt(self, client):
        """One attempt at the row; False when the company's batch must stop."""
        self.ensure_one()
        move = self.move_id
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
            self.write({"state": "pending", "attempts": max(self.attempts - 1, 0)})
            self.company_id.sudo()._lexware_authorization_lost(error)
            return False
        except LexwareOutcomeUnknownError as error:
            if not self.voucher_id:
                self.outcome_unknown = True
            _logger.info("Lexware: invoice %s: %s", move.id, error)
            self._lexware_retry_later(
                self.env._(
                    "%(problem)s Lexware may have booked the invoice anyway: Odoo looks it up "
                    "there before sending it again.",
                    problem=self._lexware_trouble_words(error),
                )
            )
        except LexwareRetryableError as error:
            _logger.info("Lexware: invoice %s: %s", move.id, error)
            self._lexware_retry_later(
                self._lexware_trouble_words(error), retry_after=error.retry_after
            )
        except LexwarePermanentError as error:
            self._lexware_fail(self._lexware_issue_words(error))
        except LexwareTransferFailure as failure:
            self._lexware_fail(failure.reason)
        except (VoucherError, ContactError) as error:
            self._lexware_fail(
                self.env._(
                    "Lexware cannot take this invoice: %(reason)s",
                    reason=self._lexware_refusal_words(error),
                )
            )
        except UserError as error:
            self._lexware_fail(str(error.args[0] if error.args else error))
        except LexwareError as error:
            _logger.info("Lexware: invoice %s: %s", move.id, error)
            self._lexware_retry_later(self._lexware_trouble_words(error))
        except Exception as error:  # pylint: disable=broad-exception-caught
            # A bug or a database hiccup must not stop the rest of the queue.
            _logger.exception("Lexware: transfer of invoice %s failed unexpectedly", move.id)
            self._lexware_rollback()
            # What this attempt stored is gone, perhaps a POST's answer (a commit that lost
            # to a concurrent update, say): look the voucher and the contact up first.
            self._lexware_forget_nothing(move)
            self._lexware_retry_later(
                self.env._("Unexpected error (%(error)s).", error=type(error).__name__)
            )
        return True

    def _lexware_forget_nothing(self, move):
        if not self.voucher_id:
            self.outcome_unknown = True
        partner = move.commercial_partner_id.sudo().with_company(self.company_id)
        if not partner.lexware_contact_id and not partner.lexware_contact_unsure:
            partner.lexware_contact_unsure = True

    def _lexware_adopt_existing_voucher(self, client):
        """After an unknown outcome: the voucher Lexware already has, if any."""
        move = self.move_id
        wanted = "salescreditnote" if move.move_type == "out_refund" else "salesinvoice"
        found = client.find_vouchers_by_number(move.name, voucher_types=(wanted,))
        if found:
            self.write({"voucher_id": found[0]["id"], "outcome_unknown": False})
            self._lexware_commit()
            _logger.info("Lexware: invoice %s was already booked as %s", move.id, found[0]["id"])

    def _lexware_check_uploaded_file(self, client):
        if not self.file_uploaded and client.get_voucher(self.voucher_id).get("files"):
            self.file_uploaded = True

    def _lexware_create_voucher(self, client):
        move = self.move_id
        company = self.company_id.sudo()
        refreshed = retried_contact = False
        while True:
            contact_id, created = move.commercial_partner_id._lexware_ensure_contact(
                company, client, move._lexware_needs_real_contact(), commit=self._lexware_commit
            )
            payload = build_voucher(move._lexware_invoice_data(contact_id))
            self._lexware_note_post()
            try:
                answer = client.create_voucher(payload)
            except LexwarePermanentError as error:
                if error.status == 406 and not refreshed and _about_category(error):
                    company._lexware_refresh_posting_categories()
                    refreshed = True
                    continue
                if error.status == 406 and created and not retried_contact:
                    time.sleep(NEW_CONTACT_PAUSE)
                    retried_contact = True
                    continue
                raise
            # The voucher is booked: the file is a step of its own, with a fresh schedule.
            self.write({"voucher_id": answer["id"], "outcome_unknown": False, "attempts": 0})
            return answer["id"]

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
                "state": "sent",
                "file_uploaded": True,
                "sent_at": fields.Datetime.now(),
                "last_error": False,
                "next_attempt_at": False,
                "outcome_unknown": False,
            }
        )
        move._lexware_message_sent(self.voucher_id)

    def _lexware_note_post(self):
        """On disk before a POST leaves: when a crash's row may be looked up safely."""
        self.claimed_at = fields.Datetime.now()
        self._lexware_commit()

    def _lexware_retry_later(self, reason, retry_after=None):
        """Back to pending with a growing pause; failed once the schedule is spent.

        `reason` is a sentence in the reader's language (see `_lexware_lang`).
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
        next_attempt = fields.Datetime.now() + delay
        self.write(
            {
                "state": "pending",
                "next_attempt_at": next_attempt,
                "last_error": self.env._("%(reason)s Odoo tries again later.", reason=reason),
            }
        )
        _logger.info("Lexware: invoice %s retries at %s: %s", self.move_id.id, next_attempt, reason)

    def _lexware_fail(self, reason):
        self.write({"state": "failed", "next_attempt_at": False, "last_error": reason})
        self.move_id._lexware_message_failed(reason)

    @api.model
    def _lexware_issue_words(self, error):
        """Lexware's refusal as sentences, one issue a line."""
        if not error.issues:
            return self.env._("Lexware refused the voucher (HTTP %(status)s).", status=error.status)
        lines = [self.env._("Lexware refused the voucher (HTTP %(status)s):", status=error.status)]
        for issue in error.issues:
            words = issue.reason
            if issue.reason in ISSUE_WORDS:
                words = self.env._(ISSUE_WORDS[issue.reason])
            lines.append(f"- {issue.field}: {words}" if issue.field else f"- {words}")
        return "\n".join(lines)

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
    def _lexware_trouble_words(self, error):
        """Why Lexware could not be asked, or did not answer, in words; the HTTP status
        stays in them for support."""
        status = error.status
        if error.kind == RATE_LIMITED:
            return self.env._("Lexware Office is busy (HTTP %(status)s).", status=status or 429)
        if error.kind == SERVER_TROUBLE:
            return self.env._(
                "Lexware Office has a server problem (HTTP %(status)s).", status=status
            )
        if error.kind == TIMEOUT:
            return self.env._("Lexware Office did not answer in time.")
        if error.kind == NETWORK and isinstance(error, LexwareOutcomeUnknownError):
            return self.env._("The connection to Lexware Office broke off.")
        if error.kind == NETWORK:
            return self.env._("Lexware Office could not be reached (no network connection).")
        if status:
            return self.env._(
                "Lexware Office gave an unexpected answer (HTTP %(status)s).", status=status
            )
        return self.env._("Lexware Office gave an unexpected answer.")

    @api.model
    def _lexware_refusal_words(self, error):
        """A VoucherError or ContactError in words; its amounts as the package wrote them."""
        params = error.params
        words = {
            "no_lines": lambda: self.env._("The invoice has no lines to book."),
            "total_not_positive": lambda: self.env._(
                "Lexware accepts only invoices with a positive total; this one totals "
                "%(total)s EUR.",
                **params,
            ),
            "no_category": lambda: self.env._("A line has no Lexware posting category."),
            "negative_group": lambda: self.env._(
                "Lexware accepts no negative amounts; the lines at %(rate)s %% tax are "
                "negative after discounts (%(gross)s EUR).",
                **params,
            ),
            "tax_rate": lambda: self.env._(
                "Lexware accepts tax rates 0, 5, 7, 16 and 19 %%; this invoice uses %(rate)s %%.",
                **params,
            ),
            "tax_at_zero_rate": lambda: self.env._(
                "The lines at 0 %% carry %(tax)s EUR tax; Lexware books no tax at 0 %%.",
                **params,
            ),
            "lines_zero": lambda: self.env._(
                "The invoice totals %(total)s EUR but its lines add up to 0.00 EUR.", **params
            ),
            "total_mismatch": lambda: self.env._(
                "The invoice totals %(total)s EUR but its lines add up to %(lines_total)s EUR; "
                "the difference is more than rounding.",
                **params,
            ),
            "residue_not_positive": lambda: self.env._(
                "The rounding difference of %(residue)s EUR leaves no positive amount.",
                **params,
            ),
            "company_without_name": lambda: self.env._("The customer is a company without a name."),
            "no_name": lambda: self.env._("The customer has no name."),
        }
        return words[error.code]() if error.code in words else error.reason

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
        values = {"state": "sent", "found_in_lexware": True, "sent_at": fields.Datetime.now()}
        rows = self.sudo()
        existing = rows.browse([entry.transfer_id for entry in found if entry.transfer_id])
        never_sent = existing.filtered(
            lambda row: row.state == "failed" and not row.voucher_id and not row.outcome_unknown
        )
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


def _still_locked(lock_cr):
    """Whether the side connection holding the company's advisory lock is still there."""
    try:
        lock_cr.execute("SELECT 1")
    except Exception:  # pylint: disable=broad-exception-caught
        return False
    return True


def _about_category(error):
    return any("categoryid" in (issue.field or "").lower() for issue in error.issues)
