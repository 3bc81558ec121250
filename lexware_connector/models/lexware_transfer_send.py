"""Sending one invoice to Lexware, and what comes of it.

An attempt makes the steps left, each committed as soon as Lexware has seen it:

    contact --POST voucher--> voucher id stored (commit) --POST files--> sent (commit)

(the customer's contact is made first, unless the invoice goes on the collective one).

A POST that answered 5xx or timed out has an unknown outcome: the next attempt looks the
invoice's number up in Lexware and adopts the voucher it finds before anything is posted
again. The outcome is written on the row: sent, retried later with a growing pause, or
failed with Lexware's reasons in the reader's words on the invoice.
"""

import datetime
import logging
import time
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import format_amount, format_date

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
from .lexware_states import FAILED, PENDING
from .lexware_transfer import (
    ENGINE_LOG,
    LANDING_WAIT,
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    LexwareTransferFailure,
)
from .res_partner import LexwareContactUnsureError

_logger = logging.getLogger(ENGINE_LOG)


class LexwareDocumentBusy(Exception):
    """Another transaction stored the invoice's document while this one made it too."""


# A fresh contact may not be usable at once: one more try of the voucher after this pause.
NEW_CONTACT_PAUSE = 2.0


class LexwareTransfer(models.Model):
    # The queue is one model in files by concern; merging them back is what this avoids.
    _inherit = "lexware.transfer"  # pylint: disable=consider-merging-classes-inherited

    # -- one attempt ----------------------------------------------------------------------

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
            self._lexware_retry_after_unexpected(error)
            return True

    def _lexware_attempt_and_record(self, client, clock):
        """Make the steps left and record how it went; False when the company's batch
        must stop."""
        try:
            self._lexware_send(client)
        except LexwareAuthError as error:
            self._lexware_wait_for_reconnect(error)
            return False
        except LexwareOutOfTimeError:
            self._lexware_wait_for_fresh_run(clock)
            return False
        except LexwareOutcomeUnknownError as error:
            self._lexware_retry_after_unknown_outcome(error)
        except LexwareContactUnsureError as error:
            self._lexware_retry_after_trouble(error, landing=True)
        except LexwareRetryableError as error:
            self._lexware_retry_after_trouble(error, retry_after=error.retry_after)
        except LexwarePermanentError as error:
            self._lexware_fail(self.env["lexware.messages"]._issue_words(error))
        except LexwareTransferFailure as failure:
            self._lexware_fail(failure.reason)
        except LexwareDataError as error:
            self._lexware_fail(
                self.env._(
                    "Lexware cannot take this invoice: %(reason)s",
                    reason=self.env["lexware.messages"]._refusal_words(error),
                )
            )
        except UserError as error:
            self._lexware_fail(str(error.args[0] if error.args else error))
        except LexwareError as error:
            self._lexware_retry_after_trouble(error)
        except LexwareDocumentBusy:
            self._lexware_wait_for_document()
        except Exception as error:  # pylint: disable=broad-exception-caught
            # A bug or a database hiccup must not stop the rest of the queue.
            _logger.exception(
                "Lexware: transfer of invoice %s failed unexpectedly", self.move_id.id
            )
            self._lexware_retry_after_unexpected(error)
        return True

    def _lexware_send(self, client):
        """The steps left: the voucher (adopted after an unknown outcome, else posted),
        then its file."""
        move = self.move_id
        if not self.voucher_id and self.outcome_unknown:
            self._lexware_adopt_existing_voucher(client)
        # The stored PDF (made now, should the document cron not have made it yet), before
        # anything is posted: an invoice without one does not go.
        try:
            pdf = move._lexware_invoice_pdf()
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            raise LexwareDocumentBusy() from None
        if not self.voucher_id:
            self._lexware_create_voucher(client)
            self._lexware_commit()
        else:
            # An earlier attempt may have uploaded the file and died before it said so.
            self._lexware_check_uploaded_file(client)
        self._lexware_upload(client, pdf)

    # -- the voucher and its file ---------------------------------------------------------

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
        invoice = move._lexware_invoice_data(None)
        build_voucher(invoice)
        refreshed = retried_contact = probed = False
        while True:
            contact_id, created = move.commercial_partner_id._lexware_ensure_contact(
                company, client, needs_contact, commit=self._lexware_commit
            )
            data = replace(invoice, contact_id=contact_id)
            payload, probe = self._lexware_voucher_payload(company, data, probed)
            self._lexware_note_post()
            try:
                answer = client.create_voucher(payload)
            except LexwarePermanentError as error:
                if error.status == 406 and not refreshed and _about_category(error):
                    company._lexware_refresh_posting_categories()
                    # The invoice's lines carry the category ids: take the fresh ones.
                    invoice = move._lexware_invoice_data(None)
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

    def _lexware_note_post(self):
        """On disk before a POST leaves: when a crash's row may be looked up safely."""
        self.claimed_at = fields.Datetime.now()
        self._lexware_commit()

    # -- the outcome ----------------------------------------------------------------------

    def _lexware_wait_for_reconnect(self, error):
        """The authorization is lost, or Lexware denies access (402, 403): the connection's
        problem, not this invoice's. The rows wait, untouched, until an admin connects
        again."""
        self._lexware_rollback()
        self.write({"state": PENDING, "attempts": max(self.attempts - 1, 0)})
        self.company_id.sudo()._lexware_authorization_lost(error)

    def _lexware_wait_for_document(self):
        """The document cron stored the invoice's document while this attempt made it as
        well, before anything went to Lexware: the row is due again at once, with the
        stored document, and this attempt does not count."""
        self._lexware_rollback()
        self.write(
            {
                "state": PENDING,
                "attempts": max(self.attempts - 1, 0),
                "next_attempt_at": False,
            }
        )

    def _lexware_wait_for_fresh_run(self, clock):
        """The run's time is up, not Lexware's: the row is due again at once, and this
        attempt does not count."""
        self.write(
            {
                "state": PENDING,
                "attempts": max(self.attempts - 1, 0),
                "next_attempt_at": False,
            }
        )
        if clock is not None:
            clock.ran_out = True

    def _lexware_retry_after_unknown_outcome(self, error):
        if not self.voucher_id:
            self.outcome_unknown = True
        _logger.info("Lexware: invoice %s: %s", self.move_id.id, error)
        self._lexware_retry_later(
            self.env._(
                "%(problem)s Lexware may have booked the invoice anyway: Odoo looks it up "
                "there before sending it again.",
                problem=self.env["lexware.messages"]._trouble_words(error),
            ),
            landing=True,
        )

    def _lexware_retry_after_trouble(self, error, retry_after=None, landing=False):
        _logger.info("Lexware: invoice %s: %s", self.move_id.id, error)
        self._lexware_retry_later(
            self.env["lexware.messages"]._trouble_words(error),
            retry_after=retry_after,
            landing=landing,
        )

    def _lexware_retry_after_unexpected(self, error):
        """What this attempt stored is rolled back, perhaps a POST's answer (a commit that
        lost to a concurrent update, say): the retry looks the voucher and the contact up
        first."""
        self._lexware_rollback()
        self._lexware_forget_nothing(self.move_id)
        self._lexware_retry_later(
            self.env._("Unexpected error (%(error)s).", error=type(error).__name__),
            landing=True,
        )

    def _lexware_forget_nothing(self, move):
        if not self.voucher_id:
            self.outcome_unknown = True
        partner = move.commercial_partner_id.sudo().with_company(self.company_id)
        if not partner.lexware_contact_id and not partner.lexware_contact_unsure:
            partner.lexware_contact_unsure = True

    def _lexware_retry_later(self, reason, retry_after=None, landing=False):
        """Back to pending with a growing pause; failed once the schedule is spent.

        `reason` is a sentence in the reader's language (see `_lexware_lang`). `landing`:
        a POST's outcome is unknown, so the retry, which looks it up, waits until a request
        still under way at Lexware has landed.
        """
        if self.attempts >= MAX_ATTEMPTS:
            self._lexware_give_up(reason)
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

    def _lexware_give_up(self, reason):
        """Failed: the attempts are spent."""
        self._lexware_fail(
            self.env._(
                "Gave up after %(attempts)s attempts: %(reason)s",
                attempts=self.attempts,
                reason=reason,
            )
        )

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
