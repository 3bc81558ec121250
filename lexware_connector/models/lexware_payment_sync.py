"""The polling that brings payments back from Lexware, and the door every change of a
voucher goes through (the webhook's events too: `lexware.webhook.event`).

A run first takes up the events Lexware delivered; a run they woke before the regular time
ends there. A regular run checks the event subscriptions (one list request per connection)
and walks, one cycle per company with the sync on:
1. the period: the voucher dates of its sent invoices and credit notes that Lexware has not
   settled yet (paid, paid off, voided); and, where they lie outside it, those Odoo learnt
   a payment of within the last TAKE_BACK_DAYS, asking for the open vouchers only there: a
   bank match the bookkeeper undoes makes a paid voucher open again, mostly soon after the
   match (mostly one more page a cycle, if any; later ones come by webhook);
2. the voucherlist over that period, page by page, 250 vouchers a request: status and open
   amount of each, compared with what Odoo last saw;
3. `/v1/payments/{id}` only for the vouchers whose status or open amount changed
   (`_lexware_voucher_changed`), each registered and committed on its own.

The walk is resumable: a run that runs out of time keeps where it stopped on the company
(`lexware_payment_cursor`) and triggers a fresh run that goes on from there. It does not
take the company's transfer lock (a long walk would keep invoices from being sent); the
client's rate limit is shared with the transfer all the same, since both draw from the
bucket of the company's credential.
"""

import datetime
import json
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lexware.client import PAGE_SIZE_MAX, SEARCH_WINDOW
from ..lexware.errors import (
    LexwareAuthError,
    LexwareError,
    LexwareOutOfTimeError,
    LexwarePermanentError,
)
from ..lexware.voucher import SALES_VOUCHER_TYPES
from ..lexware.voucherlist import parse_entry
from .account_move_payments import SETTLED_STATUSES

_logger = logging.getLogger(__name__)

MOVE_TYPES = ("out_invoice", "out_refund")
# Vouchers of every status: a part payment leaves a voucher open with less to pay.
ANY_STATUS = "any"
OPEN_STATUS = "open"
TAKE_BACK_DAYS = 30


class LexwarePaymentSync(models.AbstractModel):
    _name = "lexware.payment.sync"
    _description = "Payments from Lexware Office"

    @api.model
    def _lexware_trigger(self, at=None):
        cron = self.env.ref("lexware_connector.ir_cron_lexware_payments", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger(at=at)

    # -- the cron -------------------------------------------------------------------------

    @api.model
    def _cron_sync(self):
        """One polling cycle for every connected company with the sync on."""
        clock = self.env["lexware.transfer"]._lexware_clock()
        taken, finished = self.env["lexware.webhook.event"]._lexware_take_up_pending(clock)
        unfinished = not finished
        if taken and not self._lexware_poll_due():
            # Woken by Lexware's events: the walk waits for its regular time.
            companies = self.env["res.company"]
        else:
            companies = self._lexware_companies()
            # Every connection, the payment sync's or not: token.revoked tells Odoo of a
            # revoked access before the next invoice finds out.
            self._lexware_connected_companies().lexware_connection_id._sync_subscriptions()
            self._lexware_commit()
        for company in companies:
            unfinished |= not self._lexware_sync_company(company, clock)
            if clock.out_of_time():
                unfinished = True
                break
        if unfinished and clock.fresh_run_has_time():
            # As the transfer does: a fresh run, in a watchdog period of its own, goes on.
            self._lexware_trigger()
        self._lexware_commit()

    @api.model
    def _lexware_poll_due(self):
        """Whether the cron's regular time has come (a run woken by `_trigger` comes
        before it)."""
        cron = self.env.ref("lexware_connector.ir_cron_lexware_payments", raise_if_not_found=False)
        return not cron or cron.sudo().nextcall <= fields.Datetime.now()

    @api.model
    def _lexware_companies(self):
        return self._lexware_connected_companies().filtered("lexware_payment_sync")

    @api.model
    def _lexware_connected_companies(self):
        return self.env["res.company"].sudo().search([("lexware_connected", "=", True)])

    @api.model
    def _lexware_sync_company(self, company, clock):
        """Walk the company's voucherlist on from where it stopped; True when the walk got
        to its end."""
        try:
            client = company._lexware_client()
        except UserError as error:
            _logger.info("Lexware: company %s cannot sync payments: %s", company.id, error)
            return True
        journal = company._lexware_payment_journal()
        if not journal:
            _logger.warning("Lexware: company %s has no bank journal for payments", company.id)
            return True
        cursor = self._lexware_cursor(company)
        if cursor is None:
            return True
        try:
            while cursor is not None:
                deadline = clock.row_deadline()
                if deadline is None:
                    return False
                client.set_deadline(deadline)
                cursor = self._lexware_walk_step(company, client, journal, cursor, clock)
                company.lexware_payment_cursor = json.dumps(cursor) if cursor else False
                self._lexware_commit()
        except LexwareOutOfTimeError:
            # The run's time is up, not Lexware's: a fresh run goes on from the cursor.
            self._lexware_rollback()
            return False
        except LexwareAuthError as error:
            # Also a 402 or 403: the connection's problem. The admins are told, as by the
            # transfer; the walk goes on from the cursor once connected again.
            self._lexware_rollback()
            company._lexware_authorization_lost(error)
            self._lexware_commit()
            return True
        except LexwareError as error:
            # Lexware is unwell: the next cycle goes on from here.
            _logger.warning("Lexware: company %s: payment sync stopped: %s", company.id, error)
            self._lexware_rollback()
            return True
        finally:
            client.set_deadline(None)
        return True

    @api.model
    def _lexware_cursor(self, company):
        """Where the walk goes on: the stored cursor, else a new cycle over the stretches
        of `_lexware_stretches`; None when there are none."""
        if company.lexware_payment_cursor:
            return json.loads(company.lexware_payment_cursor)
        stretches = self._lexware_stretches(company)
        return self._lexware_stretch_cursor(stretches) if stretches else None

    @api.model
    def _lexware_stretch_cursor(self, stretches):
        (first, last, status), *then = stretches
        return {
            "first": first,
            "last": last,
            "end": last,
            "page": 0,
            "status": status,
            "then": then,
        }

    @api.model
    def _lexware_stretches(self, company):
        """[first, last, status] of the voucher dates (yyyy-MM-dd) a cycle walks: the period
        of what Lexware has not settled, vouchers of every status; and where the vouchers
        Odoo learnt a payment of lately lie outside it, their period, only the vouchers open
        there (again): a settled one that stayed settled is not worth a page."""
        first, last = self._lexware_period(company, settled=False)
        lately_first, lately_last = self._lexware_period(company, settled=True)
        day = datetime.timedelta(days=1)
        if first is None:
            stretches = [[lately_first, lately_last, OPEN_STATUS]] if lately_first else []
        else:
            stretches = [[first, last, ANY_STATUS]]
            if lately_first and lately_first < first:
                stretches.append([lately_first, first - day, OPEN_STATUS])
            if lately_last and lately_last > last:
                stretches.append([last + day, lately_last, OPEN_STATUS])
        return [[start.isoformat(), stop.isoformat(), status] for start, stop, status in stretches]

    @api.model
    def _lexware_period(self, company, settled):
        """The first and last voucher date of the company's sent invoices and credit notes
        that Lexware has not settled, or (`settled`) has settled and Odoo learnt a payment
        of within TAKE_BACK_DAYS."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT min(m.invoice_date), max(m.invoice_date)
              FROM account_move m
             WHERE m.company_id = %s
               AND m.state = 'posted'
               AND m.move_type IN %s
               AND m.lexware_voucher_id IS NOT NULL
               AND COALESCE(m.lexware_voucher_status IN %s, FALSE) = %s
               AND (NOT %s OR EXISTS (
                    SELECT 1 FROM lexware_payment p
                     WHERE p.move_id = m.id
                       AND p.create_date > now() at time zone 'UTC' - %s * interval '1 day'
               ))
            """,
            (company.id, MOVE_TYPES, SETTLED_STATUSES, settled, settled, TAKE_BACK_DAYS),
        )
        return self.env.cr.fetchone()

    @api.model
    def _lexware_walk_step(self, company, client, journal, cursor, clock):
        """Read one page of the voucherlist and take up its changed vouchers; answer the
        cursor of the next page, or None at the end of the period."""
        first = datetime.date.fromisoformat(cursor["first"])
        last = datetime.date.fromisoformat(cursor["last"])
        end = datetime.date.fromisoformat(cursor["end"])
        status = cursor.get("status", ANY_STATUS)
        answer = client.voucherlist_page(
            SALES_VOUCHER_TYPES, first, last, cursor["page"], status, PAGE_SIZE_MAX
        )
        if answer.get("totalElements", 0) > SEARCH_WINDOW and first < last:
            # Lexware answers no page past its search window: walk the first half first.
            middle = first + (last - first) // 2
            return {**cursor, "last": middle.isoformat(), "page": 0}
        entries = [parse_entry(entry) for entry in answer.get("content") or []]
        for move, entry in self._lexware_changed(company, entries):
            deadline = clock.row_deadline()
            if deadline is None:
                # This page is read again by the next run; what was taken up is known.
                return cursor
            client.set_deadline(deadline)
            self._lexware_voucher_changed(company, entry.id, client, journal, move=move)
            self._lexware_commit()
        if not answer.get("last", True) and cursor["page"] + 1 < answer.get("totalPages", 0):
            return {**cursor, "page": cursor["page"] + 1}
        if last < end:
            following = last + datetime.timedelta(days=1)
            return {**cursor, "first": following.isoformat(), "last": cursor["end"], "page": 0}
        if cursor.get("then"):
            return self._lexware_stretch_cursor(cursor["then"])
        return None

    @api.model
    def _lexware_changed(self, company, entries):
        """(invoice, entry) for the entries of one page whose status or open amount differ
        from what Odoo last saw."""
        moves = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("state", "=", "posted"),
                    ("move_type", "in", MOVE_TYPES),
                    ("lexware_voucher_id", "in", [entry.id for entry in entries]),
                ]
            )
        )
        by_voucher = {move.lexware_voucher_id: move for move in moves}
        changed = []
        for entry in entries:
            move = by_voucher.get(entry.id)
            if move and move._lexware_payments_changed(entry.voucher_status, entry.open_amount):
                changed.append((move, entry))
        return changed

    # -- one voucher ----------------------------------------------------------------------

    @api.model
    def _lexware_voucher_changed(self, company, voucher_id, client=None, journal=None, move=None):
        """Lexware says voucher `voucher_id` of `company` changed: read its payments and
        register what is new. The polling calls this for each changed voucher; a webhook's
        event can do the same. Answers whether the invoice was taken up (False: unknown
        voucher, or another worker holds the invoice)."""
        move = move or self.env["account.move"].sudo().search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "posted"),
                ("move_type", "in", MOVE_TYPES),
                ("lexware_voucher_id", "=", voucher_id),
            ],
            limit=1,
        )
        if not move or not self._lexware_lock(move):
            return False
        client = client or company._lexware_client()
        journal = journal or company._lexware_payment_journal()
        try:
            payments = client.payments(voucher_id)
        except LexwarePermanentError as error:
            if error.status != 404:
                raise
            # Not booked yet in Lexware ("no payment information"), or gone.
            return False
        try:
            with self.env.cr.savepoint():
                move.sudo()._lexware_take_payments(payments, journal)
        except Exception:  # pylint: disable=broad-exception-caught
            # A payment Odoo refuses (a locked period, a missing account) must not stop the
            # other invoices; this one is read again next cycle, since nothing was kept.
            _logger.exception("Lexware: invoice %s: registering its payments failed", move.id)
            return False
        return True

    @api.model
    def _lexware_lock(self, move):
        """Lock the invoice for this transaction; False when another worker holds it."""
        self.env.cr.execute(
            "SELECT id FROM account_move WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED", (move.id,)
        )
        return bool(self.env.cr.fetchone())

    # -- transactions: the transfer's, so that tests run both engines alike --------------

    def _lexware_commit(self):
        self.env["lexware.transfer"]._lexware_commit()

    def _lexware_rollback(self):
        self.env["lexware.transfer"]._lexware_rollback()
