"""A payment taken back in Lexware (the bookkeeper undid its bank match) is taken back in
Odoo, so that follow-ups dun again what is not paid.

An item of `lexware.payment` whose key Lexware no longer lists is gone. What Odoo booked for
it is undone before anything new is registered (an item whose amount Lexware corrected is
one item gone and one new: never counted twice):
- a payment: cancelled with its entry, which removes its reconciliation with the
  invoice; the entry is kept, cancelled, as the audit trail of a German company demands;
- a cash discount written off in an entry of its own: the entry reversed on its own date;
- a credit note set off: the reconciliation of the two removed.
Items Odoo booked nothing for are only marked taken back.

Only what is still as the connector left it is undone: a payment or write-off reconciled
with anything but this invoice (a bank statement line, another invoice), one no longer
posted, or one dated in a locked period stays as it is. Odoo then tells the accountant
(note and activity) what Lexware and Odoo show open and why it left it; a reversal dated in
the open period is not made for a locked one, since what was closed (a VAT return with its
cash discount, a bank balance) is the accountant's to correct. A booking that undoes
several items (one payment for the items of a day) is undone whole; the items Lexware still
lists are then registered afresh.
"""

from markupsafe import Markup

from odoo import models
from odoo.exceptions import UserError
from odoo.tools import format_amount, format_date, plaintext2html

from ..lexware.payments import CASH_DISCOUNT, CREDIT_NOTE
from .account_move_payments import RECEIVABLE_TYPES, cents
from .lexware_payment import CURRENT, KEPT_IN_ODOO, REGISTERED, TAKEN_BACK, item_keys


class AccountMove(models.Model):
    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    def _lexware_take_back(self, payments):
        """Undo what Odoo booked for the items Lexware no longer lists; answers
        [(rows, reason)] of what Odoo left as it is."""
        present = {key for key, _item in item_keys(payments.items)}
        rows = self.lexware_payment_ids
        gone = rows.filtered(lambda row: row.outcome in CURRENT and row.item_key not in present)
        if not gone:
            return []
        # Odoo booked nothing for the items it left alone or found no counterpart for.
        taken = gone.filtered(lambda row: row.outcome != REGISTERED)
        left = []
        registered = rows.filtered(lambda row: row.outcome == REGISTERED)
        for booked, unit in self._lexware_bookings(registered):
            if not unit & gone:
                continue
            reason = self._lexware_undo(booked, unit)
            if reason:
                (unit & gone).outcome = KEPT_IN_ODOO
                left.append((unit & gone, reason))
            else:
                taken |= unit & gone
                # Lexware still lists these: registered afresh, after the undo.
                (unit - gone).unlink()
        taken.outcome = TAKEN_BACK
        if taken:
            self._lexware_message_taken_back(taken)
        return left

    def _lexware_bookings(self, registered):
        """(Odoo record, its rows) for what Odoo booked: a payment, a write-off entry or a
        credit note set off. A discount booked with its payment goes with that payment."""
        bookings = {}
        for row in registered:
            if row.kind == CREDIT_NOTE or (row.kind == CASH_DISCOUNT and row.entry_id):
                booked = row.entry_id
            else:
                booked = row.payment_id
            # A record deleted in Odoo undoes nothing, and takes no other row along.
            key = (booked._name, booked.id) if booked else ("row", row.id)
            bookings[key] = (booked, bookings.get(key, (booked, row.browse()))[1] | row)
        return bookings.values()

    def _lexware_undo(self, booked, rows):
        """Undo `booked` in a savepoint; answers why Odoo left it, or None when undone (or
        when nothing is left in Odoo to undo: a record deleted or cancelled there)."""
        if not booked or booked.state in ("cancel", "canceled"):
            return None
        if booked._name == "account.payment":
            reason = self._lexware_undo_blocked(booked.move_id)
        elif rows[:1].kind == CREDIT_NOTE:
            reason = self._lexware_set_off_blocked(booked, rows)
        else:
            reason = self._lexware_undo_blocked(booked)
        if reason:
            return reason
        try:
            with self.env.cr.savepoint():
                if booked._name == "account.payment":
                    # Straight from posted: its entry is cancelled, not deleted (the
                    # audit trail German companies keep forbids deleting it).
                    booked.action_cancel()
                elif rows[:1].kind == CREDIT_NOTE:
                    self._lexware_set_off_partials(booked).unlink()
                else:
                    self._lexware_reverse(booked)
        except UserError as error:
            return str(error)
        return None

    def _lexware_undo_blocked(self, entry):
        """Why the payment's or write-off's `entry` is not Odoo's to undo, or None."""
        if entry.state != "posted":
            return self.env._("%(entry)s is no longer posted.", entry=entry.display_name)
        counterparts = self._lexware_counterparts(entry.line_ids) - entry
        if counterparts != self:
            return self.env._(
                "%(entry)s is reconciled with other entries in Odoo (a bank statement line, "
                "for instance), or no longer with this document.",
                entry=entry.display_name,
            )
        has_tax = bool(entry.line_ids.tax_line_id or entry.line_ids.tax_ids)
        locks = entry.company_id._get_violated_lock_dates(entry.date, has_tax, entry.journal_id)
        if locks:
            return self.env._(
                "%(entry)s lies in a locked period: %(locks)s.",
                entry=entry.display_name,
                locks=self.env["res.company"]._format_lock_dates(locks),
            )
        return None

    def _lexware_set_off_blocked(self, counterpart, rows):
        partials = self._lexware_set_off_partials(counterpart)
        if cents(sum(partials.mapped("amount"))) != cents(sum(rows.mapped("amount"))):
            return self.env._(
                "Its reconciliation with %(document)s was changed in Odoo.",
                document=counterpart.display_name,
            )
        return None

    def _lexware_set_off_partials(self, counterpart):
        mine = self._lexware_receivable_lines()
        theirs = counterpart._lexware_receivable_lines()
        return (mine.matched_debit_ids | mine.matched_credit_ids).filtered(
            lambda partial: partial.debit_move_id in theirs or partial.credit_move_id in theirs
        )

    def _lexware_receivable_lines(self):
        return self.line_ids.filtered(lambda line: line.account_type in RECEIVABLE_TYPES)

    def _lexware_counterparts(self, lines):
        partials = lines.matched_debit_ids | lines.matched_credit_ids
        return (partials.debit_move_id | partials.credit_move_id).move_id

    def _lexware_reverse(self, entry):
        """Reverse the write-off on its own date; the reversal takes it off the invoice."""
        label = self.env._("Taken back in Lexware Office: %(ref)s", ref=entry.ref)
        entry._reverse_moves([{"date": entry.date, "ref": label}], cancel=True)

    # -- what the user is told ------------------------------------------------------------

    def _lexware_item_lines(self, rows):
        return Markup("<br/>").join(
            self.env._(
                "%(amount)s on %(date)s",
                amount=format_amount(self.env, row.amount, self.currency_id),
                date=format_date(self.env, row.posting_date),
            )
            for row in rows
        )

    def _lexware_message_taken_back(self, rows):
        self._lexware_note(
            Markup("%s<br/>%s")
            % (
                self.env._(
                    "Taken back in Lexware Office; Odoo undid what it had registered for it:"
                ),
                self._lexware_item_lines(rows),
            )
        )

    def _lexware_message_kept(self, left, payments):
        """Tell the accountant what Odoo left although Lexware took it back."""
        reason = self.env._(
            "Lexware Office took back payments on this document, but Odoo left what it had "
            "registered for them: Lexware shows %(lexware)s open, Odoo %(odoo)s. Please "
            "correct it by hand if that is right.",
            lexware=format_amount(self.env, float(payments.open_amount), self.currency_id),
            odoo=format_amount(self.env, self.amount_residual, self.currency_id),
        )
        lines = [Markup("%s: %s") % (self._lexware_item_lines(rows), why) for rows, why in left]
        self._lexware_note(Markup("%s<br/>%s") % (reason, Markup("<br/>").join(lines)))
        user = self._lexware_failure_reader()
        if user:
            self.sudo().activity_schedule(
                "lexware_connector.mail_activity_lexware_failed",
                summary=self.env._("Payment taken back in Lexware Office"),
                note=plaintext2html("\n".join([reason, *(why for _rows, why in left)])),
                user_id=user.id,
            )
