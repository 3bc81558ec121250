"""Payments booked in Lexware come back to Odoo by polling: registered in the chosen
journal on Lexware's date, reconciled with the invoice, and never twice."""

import datetime
import json
import time

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user

from .test_payments_common import INVOICE_DATE, PaymentsCase

PAY_DAY = "2025-03-20"


class TestPaymentsFromLexware(PaymentsCase):
    def test_full_payment_is_registered_on_lexware_date_in_the_chosen_journal(self):
        move = self._sent()
        self.sandbox.pay(move.lexware_voucher_id, date=PAY_DAY)
        self._sync()
        self.assertEqual(move.amount_residual, 0)
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertEqual(move.lexware_voucher_status, "paid")
        payment = self._registered(move).payment_id
        self.assertEqual(len(payment), 1)
        self.assertEqual(payment.date, datetime.date(2025, 3, 20))
        self.assertEqual(payment.journal_id, self.journal)
        self.assertEqual(payment.amount, 119.0)

    def test_part_payments_over_two_runs_leave_lexware_open_amount_due(self):
        move = self._sent()
        voucher_id = move.lexware_voucher_id
        self.sandbox.pay(voucher_id, amount=50.0, date=PAY_DAY)
        self._sync()
        self.assertAlmostEqual(move.amount_residual, 69.0)
        self.assertEqual(move.payment_state, "partial")
        self.assertEqual(move.lexware_voucher_status, "open")
        self.assertAlmostEqual(move.lexware_open_amount, 69.0)
        self.sandbox.pay(voucher_id, amount=50.0, date="2025-03-25")
        self._sync()
        self.assertAlmostEqual(move.amount_residual, 19.0)
        self.sandbox.pay(voucher_id, date="2025-03-28")
        self._sync()
        self.assertEqual(move.amount_residual, 0)
        self.assertEqual(move.lexware_voucher_status, "paid")
        rows = self._registered(move)
        self.assertEqual(len(rows), 3)
        self.assertEqual(
            sorted(rows.payment_id.mapped("date")),
            [datetime.date(2025, 3, 20), datetime.date(2025, 3, 25), datetime.date(2025, 3, 28)],
        )

    def test_two_equal_part_payments_on_one_day_are_both_registered(self):
        move = self._sent()
        self.sandbox.pay(move.lexware_voucher_id, amount=40.0, date=PAY_DAY)
        self.sandbox.pay(move.lexware_voucher_id, amount=40.0, date=PAY_DAY)
        self._sync()
        self.assertAlmostEqual(move.amount_residual, 39.0)
        self.assertEqual(len(self._registered(move)), 2)

    def test_syncing_again_registers_nothing_twice(self):
        move = self._sent()
        self.sandbox.pay(move.lexware_voucher_id, amount=50.0, date=PAY_DAY)
        self._sync()
        payments = self._registered(move).payment_id
        # Odoo forgets what it last saw, so it reads Lexware's payments again.
        move.sudo().write({"lexware_voucher_status": False, "lexware_open_amount": 0})
        self.assertEqual(self._sync(), 2, "the voucherlist page and the payments read again")
        self.assertEqual(self._registered(move).payment_id, payments)
        self.assertAlmostEqual(move.amount_residual, 69.0)
        self.assertEqual(len(move.lexware_payment_ids), 1)

    def test_a_payment_lexware_changed_afterwards_is_not_counted_twice(self):
        move = self._sent()
        self.sandbox.pay(move.lexware_voucher_id, amount=50.0, date=PAY_DAY)
        self._sync()
        # The bookkeeper moves the payment to another day in Lexware: one item gone, one
        # new, the same money. Lexware still shows 69.00 open.
        self.sandbox._change_voucher(
            move.lexware_voucher_id,
            lambda doc: {
                "paymentItems": [
                    {**doc["paymentItems"][0], "postingDate": "2025-03-21T00:00:00.000+01:00"}
                ]
            },
        )
        move.sudo().write({"lexware_voucher_status": False})
        self._sync()
        self.assertAlmostEqual(move.amount_residual, 69.0)
        self.assertEqual(self._registered(move).payment_id.date, datetime.date(2025, 3, 21))

    def test_skonto_within_the_terms_is_odoo_early_payment_discount(self):
        term = self._skonto_term(2, "included")
        move = self._sent(invoice_payment_term_id=term.id)
        self.sandbox.pay_with_discount(
            move.lexware_voucher_id, amount=116.62, discount=2.38, date=PAY_DAY
        )
        self._sync()
        self.assertEqual(move.amount_residual, 0)
        self.assertEqual(move.lexware_voucher_status, "paidoff")
        payment = self._registered(move).payment_id
        self.assertEqual(len(payment), 1)
        self.assertAlmostEqual(payment.amount, 116.62)
        discount_lines = payment.move_id.line_ids.filtered(lambda line: line.display_type == "epd")
        self.assertAlmostEqual(sum(discount_lines.mapped("balance")), 2.38)
        self.assertTrue(
            discount_lines.filtered("tax_line_id"), "the early payment discount corrects the tax"
        )

    def test_skonto_without_terms_is_written_off(self):
        move = self._sent()
        self.sandbox.pay_with_discount(
            move.lexware_voucher_id, amount=115.0, discount=4.0, date=PAY_DAY
        )
        self._sync()
        self.assertEqual(move.amount_residual, 0)
        loss = self.company.account_journal_early_pay_discount_loss_account_id
        payment = self._registered(move).payment_id[:1]
        write_off = payment.move_id.line_ids.filtered(lambda line: line.debit == 4.0)
        self.assertEqual(len(write_off), 1)
        self.assertTrue(loss)
        self.assertEqual(write_off.account_id, loss)

    def test_skonto_with_the_last_part_payment_settles_the_invoice(self):
        move = self._sent()
        self.sandbox.pay(move.lexware_voucher_id, amount=100.0, date=PAY_DAY)
        self._sync()
        self.sandbox.pay_with_discount(
            move.lexware_voucher_id, amount=17.0, discount=2.0, date="2025-03-25"
        )
        self._sync()
        self.assertEqual(move.amount_residual, 0)
        self.assertEqual(len(self._registered(move)), 3)

    def test_skonto_alone_is_written_off_in_an_entry_of_its_own(self):
        move = self._sent()
        self.sandbox.pay(move.lexware_voucher_id, amount=115.0, date=PAY_DAY)
        self.sandbox.pay_with_discount(
            move.lexware_voucher_id, amount=0, discount=4.0, date="2025-03-25"
        )
        self._sync()
        self.assertEqual(move.amount_residual, 0)
        self.assertEqual(move.lexware_voucher_status, "paidoff")
        discount = move.lexware_payment_ids.filtered(lambda row: row.kind == "cash_discount")
        self.assertEqual(discount.outcome, "registered")
        self.assertEqual(discount.entry_id.date, datetime.date(2025, 3, 25))
        self.assertEqual(discount.entry_id.state, "posted")

    def test_credit_note_set_off_in_lexware_reconciles_invoice_and_credit_note(self):
        move = self._sent()
        refund = self._sent(move_type="out_refund")
        self.sandbox.pay(move.lexware_voucher_id, date=PAY_DAY, item_type="creditNote")
        self._sync()
        self.assertEqual(move.amount_residual, 0)
        self.assertEqual(refund.amount_residual, 0)
        self.assertEqual(self._registered(move).entry_id, refund)
        self.assertFalse(self._registered(move).payment_id, "no money moved")

    def test_credit_note_reconciled_in_odoo_already_is_not_set_off_again(self):
        move = self._sent()
        refund = self._sent(move_type="out_refund", reversed_entry_id=move.id)
        self.assertEqual(move.payment_state, "reversed")
        self.sandbox.pay(move.lexware_voucher_id, date=PAY_DAY, item_type="creditNote")
        self._sync()
        self.assertEqual(move.lexware_payment_ids.mapped("outcome"), ["left_alone"])
        self.assertEqual(refund.amount_residual, 0)

    def test_credit_note_paid_out_in_lexware_is_an_outbound_payment(self):
        refund = self._sent(move_type="out_refund")
        self.sandbox.pay(refund.lexware_voucher_id, date=PAY_DAY)
        self._sync()
        self.assertEqual(refund.amount_residual, 0)
        payment = self._registered(refund).payment_id
        self.assertEqual(payment.payment_type, "outbound")

    def test_voided_in_lexware_shows_and_tells_the_accountant_but_cancels_nothing(self):
        move = self._sent()
        self.sandbox.void_voucher(move.lexware_voucher_id)
        self._sync()
        self.assertEqual(move.lexware_voucher_status, "voided")
        self.assertEqual(move.state, "posted")
        self.assertAlmostEqual(move.amount_residual, 119.0)
        activity = move.activity_ids.filtered(
            lambda act: (
                act.activity_type_id
                == self.env.ref("lexware_connector.mail_activity_lexware_failed")
            )
        )
        self.assertEqual(len(activity), 1)
        self._sync()
        self.assertEqual(len(move.activity_ids), 1, "told once")

    def test_invoice_paid_in_odoo_by_hand_is_left_alone_and_noted_once(self):
        move = self._sent()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids
        ).create({"journal_id": self.journal.id})._create_payments()
        self.sandbox.pay(move.lexware_voucher_id, date=PAY_DAY)
        self._sync()
        self.assertEqual(len(move._get_reconciled_payments()), 1)
        self.assertEqual(move.lexware_payment_ids.mapped("outcome"), ["left_alone"])
        self.assertEqual(move.lexware_voucher_status, "paid")
        move.sudo().write({"lexware_voucher_status": "open"})
        self._sync()
        self.assertEqual(len(self._notes(move, "not registered again")), 1)
        self.assertEqual(len(move._get_reconciled_payments()), 1)

    def test_a_run_asks_only_voucherlist_pages_and_changed_vouchers(self):
        moves = [self._sent(amount=100.0 + n) for n in range(4)]
        self.sandbox.pay(moves[1].lexware_voucher_id, date=PAY_DAY)
        self.sandbox.pay(moves[3].lexware_voucher_id, amount=10.0, date=PAY_DAY)
        self.assertEqual(self._sync(), 1 + 2, "one voucherlist page, two payments")
        self.assertEqual(self._sync(), 1, "nothing changed: one page")
        self.assertEqual(moves[0].lexware_payment_ids.ids, [])

    def test_sync_off_asks_lexware_nothing(self):
        move = self._sent()
        self.company.sudo().lexware_payment_sync = False
        self.sandbox.pay(move.lexware_voucher_id, date=PAY_DAY)
        self.assertEqual(self._sync(), 0)
        self.assertAlmostEqual(move.amount_residual, 119.0)
        self.assertFalse(move.lexware_voucher_status)

    def test_access_denied_while_polling_asks_the_admins_to_reconnect(self):
        move = self._sent()
        self.sandbox.pay(move.lexware_voucher_id, date=PAY_DAY)
        self.sandbox.set_payment_required(self.organization_id)
        self.addCleanup(self.sandbox.set_payment_required, self.organization_id, False)
        self._sync()
        self.assertEqual(self.company.lexware_connection_state, "reconnect_needed")
        self.assertAlmostEqual(move.amount_residual, 119.0)
        self.assertEqual(self._sync(), 0, "not connected: Lexware is not asked")

    def test_a_run_out_of_time_goes_on_where_it_stopped_in_a_fresh_run(self):
        moves = [
            self._sent(invoice_date=INVOICE_DATE + datetime.timedelta(days=n)) for n in range(3)
        ]
        for move in moves:
            self.sandbox.pay(move.lexware_voucher_id, date=PAY_DAY)
        client_class = type(self.company._lexware_client())
        self.patch(client_class, "voucherlist_page", _small_pages(client_class.voucherlist_page))
        # Time for the first page and its two vouchers, then none.
        self.patch(type(self.env["lexware.transfer"]), "_lexware_clock", lambda _model: _Clock(3))
        cron = self.env.ref("lexware_connector.ir_cron_lexware_payments")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        self.assertEqual(self._sync(), 1 + 2)
        self.assertEqual([move.amount_residual for move in moves], [0, 0, 119.0])
        self.assertEqual(json.loads(self.company.lexware_payment_cursor)["page"], 1)
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers + 1
        )
        self.patch(type(self.env["lexware.transfer"]), "_lexware_clock", lambda _model: _Clock(100))
        self.assertEqual(self._sync(), 1 + 1, "the second page and its voucher only")
        self.assertEqual([move.amount_residual for move in moves], [0, 0, 0])
        self.assertFalse(self.company.lexware_payment_cursor)


class _Clock:
    """A run clock with time for `steps` more requests."""

    def __init__(self, steps):
        self.steps = steps

    def row_deadline(self):
        self.steps -= 1
        return time.monotonic() + 60 if self.steps >= 0 else None

    def out_of_time(self):
        return self.steps <= 0

    def fresh_run_has_time(self):
        return True


def _small_pages(voucherlist_page):
    def two_a_page(client, voucher_types, date_from, date_to, page, status="any", page_size=250):
        return voucherlist_page(client, voucher_types, date_from, date_to, page, status, 2)

    return two_a_page


class TestPaymentSettings(PaymentsCase):
    def test_billing_user_cannot_switch_the_sync_on(self):
        self.company.sudo().lexware_payment_sync = False
        billing = new_test_user(
            self.env, "lx_billing", groups="account.group_account_invoice,base.group_user"
        )
        with self.assertRaises(AccessError):
            self.company.with_user(billing).write({"lexware_payment_sync": True})
        readonly = new_test_user(
            self.env, "lx_readonly", groups="account.group_account_readonly,base.group_user"
        )
        with self.assertRaises(AccessError):
            self.company.with_user(readonly).write({"lexware_payment_sync": True})
        self.assertFalse(self.company.lexware_payment_sync)

    def test_the_journal_must_be_bank_or_cash(self):
        sales = self.env["account.journal"].search(
            [("company_id", "=", self.company.id), ("type", "=", "sale")], limit=1
        )
        with self.assertRaises(ValidationError):
            self.company.sudo().lexware_payment_journal_id = sales

    def test_switching_the_sync_on_wakes_the_cron(self):
        self.company.sudo().lexware_payment_sync = False
        cron = self.env.ref("lexware_connector.ir_cron_lexware_payments")
        before = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        self.company.sudo().lexware_payment_sync = True
        after = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        self.assertEqual(after, before + 1)

    def test_an_accountant_cannot_set_the_lexware_status(self):
        move = self._invoice([(10.0, self.tax_19)], post=False)
        accountant = new_test_user(
            self.env, "lx_accountant", groups="account.group_account_manager,base.group_user"
        )
        with self.assertRaises(AccessError):
            move.with_user(accountant).write({"lexware_voucher_status": "paid"})
        self.assertFalse(move.lexware_voucher_status)

    def test_an_invoice_cannot_be_created_paid_in_lexware(self):
        billing = new_test_user(
            self.env, "lx_billing_create", groups="account.group_account_invoice,base.group_user"
        )
        with self.assertRaises(AccessError):
            self.env["account.move"].with_user(billing).create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "lexware_voucher_status": "paid",
                    "lexware_open_amount": 0.0,
                }
            )

    def test_the_polling_cron_runs_every_15_minutes_as_the_superuser(self):
        cron = self.env.ref("lexware_connector.ir_cron_lexware_payments")
        self.assertTrue(cron.active)
        self.assertEqual(
            (cron.model_id.model, cron.code), ("lexware.payment.sync", "model._cron_sync()")
        )
        self.assertEqual((cron.interval_number, cron.interval_type), (15, "minutes"))
        self.assertEqual(cron.user_id, self.env.ref("base.user_root"))
