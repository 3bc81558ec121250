"""A payment the bookkeeper takes back in Lexware (undoing its bank match) is taken back in
Odoo: the invoice is due again with Lexware's open amount, unless Odoo's booking is no
longer the connector's to undo; then the accountant is told."""

import datetime

from odoo.tests import tagged

from .test_payments_common import INVOICE_DATE, PaymentsCase
from .test_webhooks_common import WebhookCase

PAY_DAY = "2025-03-20"


class TestPaymentsTakenBack(PaymentsCase):
    def _outcomes(self, move):
        return sorted(move.lexware_payment_ids.mapped("outcome"))

    def _failure_activities(self, move):
        failed = self.env.ref("lexware_connector.mail_activity_lexware_failed")
        return move.activity_ids.filtered(lambda act: act.activity_type_id == failed)

    def test_a_full_payment_taken_back_opens_the_invoice_again_once(self):
        """... and the same payment matched again is registered again."""
        move = self._sent()
        self.sandbox.pay(move.lexware_voucher_id, date=PAY_DAY)
        self._sync()
        payment = self._registered(move).payment_id
        self.sandbox.take_back_payment(move.lexware_voucher_id)
        self.assertEqual(self._sync(), 1 + 1, "a paid voucher stays polled: page and payments")
        self.assertEqual(move.lexware_voucher_status, "open")
        self.assertAlmostEqual(move.amount_residual, 119.0)
        self.assertAlmostEqual(move.lexware_open_amount, 119.0)
        self.assertEqual(move.payment_state, "not_paid")
        self.assertEqual(payment.state, "canceled")
        self.assertEqual(self._outcomes(move), ["taken_back"])
        self.assertEqual(len(self._notes(move, "Taken back in Lexware Office")), 1)
        self.assertEqual(self._sync(), 1, "nothing changed: one page")
        self.assertEqual(len(self._notes(move, "Taken back in Lexware Office")), 1)
        self.assertEqual(self._outcomes(move), ["taken_back"])
        self.assertFalse(self._failure_activities(move))
        self.sandbox.pay(move.lexware_voucher_id, date=PAY_DAY)
        self._sync()
        self.assertEqual(self._outcomes(move), ["registered", "taken_back"], "paid again")
        self.env.cr.execute(
            "UPDATE lexware_payment SET create_date = now() - interval '31 days' "
            "WHERE move_id = %s",
            [move.id],
        )
        self.assertEqual(self._sync(), 0, "settled for long: out of the polled period")

    def test_a_voucher_paid_lately_before_the_open_ones_is_polled_for_being_open_only(self):
        older = self._sent(invoice_date=INVOICE_DATE - datetime.timedelta(days=30))
        self._sent()
        self.sandbox.pay(older.lexware_voucher_id, date=PAY_DAY)
        self._sync()
        client_class = type(self.company._lexware_client())
        asked = []

        def voucherlist_page(client, types, date_from, date_to, page, status, size):
            asked.append((date_from.isoformat(), date_to.isoformat(), status))
            return page_of(client, types, date_from, date_to, page, status, size)

        page_of = client_class.voucherlist_page
        self.patch(client_class, "voucherlist_page", voucherlist_page)
        self.sandbox.take_back_payment(older.lexware_voucher_id)
        self.assertEqual(self._sync(), 2 + 1, "two pages, the payments of the one taken back")
        self.assertEqual(
            asked, [("2025-03-14", "2025-03-14", "any"), ("2025-02-12", "2025-03-13", "open")]
        )
        self.assertAlmostEqual(older.amount_residual, 119.0)
        self.assertEqual(self._outcomes(older), ["taken_back"])

    def test_one_of_two_part_payments_taken_back(self):
        move = self._sent()
        self.sandbox.pay(move.lexware_voucher_id, amount=50.0, date=PAY_DAY)
        self.sandbox.pay(move.lexware_voucher_id, amount=30.0, date="2025-03-25")
        self._sync()
        first, second = self._registered(move).sorted("posting_date").payment_id
        self.sandbox.take_back_payment(move.lexware_voucher_id, 0)
        self._sync()
        self.assertAlmostEqual(move.amount_residual, 89.0)
        self.assertAlmostEqual(move.lexware_open_amount, 89.0)
        self.assertEqual((first.state, second.state), ("canceled", "in_process"))
        self.assertEqual(move._get_reconciled_payments(), second)
        self.assertEqual(self._outcomes(move), ["registered", "taken_back"])

    def test_a_payment_with_skonto_taken_back_takes_its_write_off_with_it(self):
        move = self._sent()
        self.sandbox.pay_with_discount(
            move.lexware_voucher_id, amount=115.0, discount=4.0, date=PAY_DAY
        )
        self._sync()
        payment = self._registered(move).payment_id
        self.sandbox.take_back_payment(move.lexware_voucher_id)
        self._sync()
        self.assertEqual(move.lexware_voucher_status, "open")
        self.assertAlmostEqual(move.amount_residual, 119.0)
        self.assertEqual(payment.state, "canceled")
        self.assertEqual(payment.move_id.state, "cancel", "the write-off went with its entry")
        self.assertEqual(self._outcomes(move), ["taken_back", "taken_back"])

    def test_a_skonto_in_an_entry_of_its_own_taken_back_is_reversed(self):
        move = self._sent()
        self.sandbox.pay(move.lexware_voucher_id, amount=115.0, date=PAY_DAY)
        self.sandbox.pay_with_discount(
            move.lexware_voucher_id, amount=0, discount=4.0, date="2025-03-25"
        )
        self._sync()
        discount = move.lexware_payment_ids.filtered(lambda row: row.kind == "cash_discount")
        write_off = discount.entry_id
        self.sandbox.take_back_payment(move.lexware_voucher_id, 1)
        self._sync()
        self.assertAlmostEqual(move.amount_residual, 4.0)
        self.assertEqual(discount.outcome, "taken_back")
        reversal = write_off.reversal_move_ids
        self.assertEqual((reversal.state, reversal.date), ("posted", datetime.date(2025, 3, 25)))
        self.assertEqual(self._registered(move).payment_id.state, "in_process")

    def test_an_amount_corrected_in_lexware_is_undone_then_registered_anew(self):
        move = self._sent()
        self.sandbox.pay(move.lexware_voucher_id, amount=50.0, date=PAY_DAY)
        self._sync()
        old = self._registered(move).payment_id
        self.sandbox.take_back_payment(move.lexware_voucher_id)
        self.sandbox.pay(move.lexware_voucher_id, amount=60.0, date=PAY_DAY)
        self._sync()
        self.assertEqual(old.state, "canceled")
        new = self._registered(move).payment_id
        self.assertEqual(new.amount, 60.0)
        self.assertAlmostEqual(move.amount_residual, 59.0)
        self.assertEqual(self._outcomes(move), ["registered", "taken_back"])

    def test_a_set_off_credit_note_taken_back_is_open_again(self):
        move = self._sent()
        refund = self._sent(move_type="out_refund")
        self.sandbox.pay(move.lexware_voucher_id, date=PAY_DAY, item_type="creditNote")
        self._sync()
        self.sandbox.take_back_payment(move.lexware_voucher_id)
        self._sync()
        self.assertAlmostEqual(move.amount_residual, 119.0)
        self.assertAlmostEqual(refund.amount_residual, 119.0)
        self.assertEqual(self._outcomes(move), ["taken_back"])

    def test_a_payment_in_a_locked_period_is_left_and_the_accountant_told_once(self):
        move = self._sent()
        self.sandbox.pay(move.lexware_voucher_id, date=PAY_DAY)
        self._sync()
        payment = self._registered(move).payment_id
        state = payment.state
        self.company.sudo().fiscalyear_lock_date = datetime.date(2025, 3, 31)
        self.sandbox.take_back_payment(move.lexware_voucher_id)
        self._sync()
        self.assertEqual(payment.state, state)
        self.assertEqual(move.amount_residual, 0)
        self.assertEqual(move.lexware_voucher_status, "open")
        self.assertEqual(self._outcomes(move), ["kept_in_odoo"])
        activity = self._failure_activities(move)
        self.assertEqual(len(activity), 1)
        self.assertIn("locked period", activity.note)
        self.assertIn("119.00", activity.note)
        self._sync()
        move.sudo().write({"lexware_voucher_status": False})
        self._sync()
        self.assertEqual(len(self._failure_activities(move)), 1, "told once")
        self.assertEqual(payment.state, state)

    def test_a_payment_moved_to_another_invoice_in_odoo_is_left(self):
        move = self._sent()
        self.sandbox.pay(move.lexware_voucher_id, date=PAY_DAY)
        self._sync()
        payment = self._registered(move).payment_id
        other = self._invoice([(100.0, self.tax_19)])
        receivable = payment.move_id.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable"
        )
        receivable.remove_move_reconcile()
        (receivable + other._lexware_open_receivable()).reconcile()
        self.sandbox.take_back_payment(move.lexware_voucher_id)
        self._sync()
        self.assertEqual(other.amount_residual, 0, "the payment stays where the user put it")
        self.assertNotEqual(payment.state, "canceled")
        self.assertEqual(self._outcomes(move), ["kept_in_odoo"])
        self.assertIn("reconciled with other entries", self._failure_activities(move).note)

    def test_items_odoo_booked_nothing_for_are_only_marked(self):
        move = self._sent()
        self.sandbox.pay(move.lexware_voucher_id, date=PAY_DAY, item_type="creditNote")
        self._sync()
        self.assertEqual(self._outcomes(move), ["unmatched"])
        self.sandbox.take_back_payment(move.lexware_voucher_id)
        self._sync()
        self.assertEqual(self._outcomes(move), ["taken_back"])
        self.assertAlmostEqual(move.amount_residual, 119.0)


@tagged("post_install", "-at_install")
class TestPaymentTakenBackByWebhook(WebhookCase):
    def test_a_take_back_announced_by_webhook_is_undone_in_one_read(self):
        move = self._sent()
        self.sandbox.pay(move.lexware_voucher_id, date=PAY_DAY)
        self._delivered()
        self._sync()
        payment = self._registered(move).payment_id
        self.sandbox.take_back_payment(move.lexware_voucher_id)
        self.assertEqual(len(self._delivered("payment.changed")), 2)
        self.assertEqual(self._sync(), 1, "the events' one read of the voucher's payments")
        self.assertEqual(payment.state, "canceled")
        self.assertAlmostEqual(move.amount_residual, 119.0)
        self._set_poll_due(True)
        self.assertEqual(self._sync(), 2, "the poll after: subscriptions and a page, no read")
        self.assertEqual(len(self._notes(move, "Taken back in Lexware Office")), 1)
