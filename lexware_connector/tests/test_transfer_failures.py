"""The engine when things go wrong: each invoice in Lexware once, whatever fails."""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import UserError

from ..models.lexware_transfer import ADVISORY_LOCK_KEY, LANDING_SECONDS
from .test_transfer_common import TransferCase, seed_for_504


class TestTransferFailures(TransferCase):
    def _due_now(self, moves):
        moves.lexware_transfer_ids.write({"next_attempt_at": fields.Datetime.now()})

    def test_429_storm_is_waited_out_and_each_invoice_goes_once(self):
        self._known_customer()
        self.sandbox.configure(rate=1, burst=1)
        self.addCleanup(self.sandbox.configure, rate=50, burst=50)
        moves = [self._invoice([(10.0 + n, self.tax_19)]) for n in range(2)]
        before = self.sandbox.counters().get("rate_limited", 0)
        self._run_cron()
        self.assertGreater(self.sandbox.counters().get("rate_limited", 0), before)
        for move in moves:
            self.assertEqual(move.lexware_state, "sent")
            self._voucher(move)

    def test_503_and_504_on_every_write_end_with_each_invoice_once(self):
        self.sandbox.configure(fault_rate=1.0, seed=7)
        self.addCleanup(self.sandbox.configure, fault_rate=0.0)
        moves = self.env["account.move"].concat(
            *[self._invoice([(10.0 + n, self.tax_19)]) for n in range(3)]
        )
        self._run_cron()
        for move in moves:
            self.assertEqual(move.lexware_state, "pending")
            self.assertTrue(move.lexware_transfer_ids.next_attempt_at > fields.Datetime.now())
            self.assertRegex(move.lexware_error, r"server problem \(HTTP 50[34]\)")
            # Only a voucher POST leaves the invoice possibly booked; a contact POST does not.
            if move.lexware_transfer_ids.outcome_unknown:
                self.assertIn("Lexware may have booked the invoice anyway", move.lexware_error)
            else:
                self.assertNotIn("Lexware may have booked", move.lexware_error)
            self.assertIn("Odoo tries again later", move.lexware_error)
        self.sandbox.configure(fault_rate=0.0)
        for _round in range(3):
            self._due_now(moves.filtered(lambda m: m.lexware_state == "pending"))
            self._run_cron()
        for move in moves:
            self.assertEqual(move.lexware_state, "sent")
            self.assertEqual(len(self._voucher(move)["files"]), 1)
        self.assertEqual(
            len(self.sandbox.contacts()), len({c["id"] for c in self.sandbox.contacts()})
        )

    def test_an_unknown_contact_post_does_not_make_the_voucher_unknown(self):
        customer = self.customer.copy({"name": "Neukunde Kachel OHG"})
        move = self._invoice([(12.0, self.tax_19)], partner=customer)
        # The contact POST was carried out, then the gateway gave up (504).
        self.sandbox.fail_next(504, method="POST")
        after = fields.Datetime.now() + timedelta(seconds=1)
        self._run_cron()
        row = move.lexware_transfer_ids
        self.assertEqual(row.state, "pending")
        self.assertFalse(row.outcome_unknown, "no voucher was posted")
        # The contact is looked up on the retry: not before the POST has landed.
        self.assertGreaterEqual(row.next_attempt_at - after, timedelta(seconds=LANDING_SECONDS))
        self.assertNotIn("Lexware may have booked", move.lexware_error)
        self.assertTrue(customer.with_company(self.company).lexware_contact_unsure)
        self.assertFalse(self._vouchers(move))
        move.button_draft()  # nothing of the invoice is in Lexware
        self.assertFalse(move.lexware_state)
        move.action_post()
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
        named = [
            c for c in self.sandbox.contacts() if c.get("company", {}).get("name") == customer.name
        ]
        self.assertEqual(len(named), 1, "looked up, not created again")
        self.assertEqual(self._voucher(move)["contactId"], named[0]["id"])

    def test_504_after_create_looks_up_instead_of_sending_again(self):
        self._known_customer()
        move = self._invoice([(42.0, self.tax_19)])
        self.sandbox.configure(fault_rate=1.0, seed=seed_for_504())
        self._run_cron()
        self.sandbox.configure(fault_rate=0.0)
        row = move.lexware_transfer_ids
        self.assertEqual(row.state, "pending")
        self.assertTrue(row.outcome_unknown)
        self.assertEqual(len(self._vouchers(move)), 1, "the 504 was carried out")
        with self.assertRaises(UserError):
            move.button_draft()
        self._due_now(move)
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
        voucher = self._voucher(move)
        self.assertEqual(move.lexware_voucher_id, voucher["id"])
        self.assertEqual(len(voucher["files"]), 1)

    def test_crash_between_sending_and_the_answer_does_not_duplicate(self):
        self._known_customer()
        move = self._invoice([(77.0, self.tax_19)])
        row = move.lexware_transfer_ids
        # The dead worker's POST landed, then it died before storing the answer.
        self._post_behind_the_engine(move)
        row.write({"state": "sending", "claimed_at": fields.Datetime.now() - timedelta(hours=1)})
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
        self.assertEqual(len(self._voucher(move)["files"]), 1)

    def test_a_fresh_sending_row_is_left_to_its_worker(self):
        move = self._invoice([(5.0, self.tax_19)])
        move.lexware_transfer_ids.write({"state": "sending", "claimed_at": fields.Datetime.now()})
        from odoo import sql_db

        # Its worker is alive: it holds the company's lock (a free lock means it died).
        with sql_db.db_connect(self.env.cr.dbname).cursor() as worker:
            worker.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", (ADVISORY_LOCK_KEY, self.company.id)
            )
            self._run_cron()
        self.assertEqual(move.lexware_state, "sending")
        self.assertFalse(self._vouchers(move))

    def test_406_fails_that_invoice_in_words_and_the_next_one_goes(self):
        bad = self._invoice([(10.0, self.tax_19)], ref="bad")
        good = self._invoice([(20.0, self.tax_19)])
        original = type(self.env["account.move"])._lexware_category_id

        def category(move, kind):
            if move.ref == "bad":
                return "00000000-0000-0000-0000-000000000000"
            return original(move, kind)

        with patch.object(type(self.env["account.move"]), "_lexware_category_id", category):
            self._run_cron()
        self.assertEqual(bad.lexware_state, "failed")
        self.assertIn("Lexware refused the voucher (HTTP 406)", bad.lexware_error)
        self.assertIn("categoryId", bad.lexware_error)
        self.assertEqual(good.lexware_state, "sent")
        activity = bad.activity_ids
        self.assertEqual(activity.summary, "Lexware transfer failed")
        self.assertIn("transfer to Lexware Office failed", bad.message_ids[0].body)
        # Retry after the cause is gone.
        bad.action_lexware_send()
        self.assertEqual(bad.lexware_state, "pending")
        self._run_cron()
        self.assertEqual(bad.lexware_state, "sent")

    def test_input_lexware_cannot_take_fails_with_a_reason(self):
        untaxed = self._invoice([(10.0, self.env["account.tax"])])
        zero = self._invoice([(0.0, self.tax_19)])
        self._run_cron()
        self.assertEqual(untaxed.lexware_state, "failed")
        self.assertIn("has no tax", untaxed.lexware_error)
        self.assertEqual(zero.lexware_state, "failed")
        self.assertIn("positive total", zero.lexware_error)
        self.assertFalse(self._vouchers())

    def test_gives_up_after_the_schedule(self):
        move = self._invoice([(10.0, self.tax_19)])
        move.lexware_transfer_ids.attempts = 5
        self.sandbox.configure(fault_rate=1.0)
        self.addCleanup(self.sandbox.configure, fault_rate=0.0)
        self._run_cron()
        self.assertEqual(move.lexware_state, "failed")
        self.assertIn("Gave up after 6 attempts: Lexware Office has", move.lexware_error)
        self.assertNotIn("tries again", move.lexware_error)

    def test_retry_schedule_grows_and_triggers_the_cron(self):
        move = self._invoice([(10.0, self.tax_19)])
        self.sandbox.configure(fault_rate=1.0)
        self.addCleanup(self.sandbox.configure, fault_rate=0.0)
        cron = self.env.ref("lexware_connector.ir_cron_lexware_transfer")
        delays = []
        for _attempt in range(3):
            start = fields.Datetime.now()
            self._run_cron()
            row = move.lexware_transfer_ids
            delays.append(row.next_attempt_at - start)
            triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
            self.assertIn(row.next_attempt_at, triggers.mapped("call_at"))
            self._due_now(move)
        # Every write fails with an unknown outcome: each retry waits until a request
        # still under way has landed, and the schedule grows beyond that.
        landing = timedelta(seconds=LANDING_SECONDS)
        self.assertGreaterEqual(delays[0], landing)
        self.assertLessEqual(delays[0], delays[1])
        self.assertLess(delays[1], delays[2])

    def test_authorization_lost_rows_wait_and_go_after_reconnecting(self):
        move = self._invoice([(10.0, self.tax_19)])
        key = self.company.sudo().lexware_connection_id.api_key
        self.company.sudo().lexware_connection_id.api_key = "revoked-key"
        self._run_cron()
        self.assertEqual(self.company.lexware_connection_state, "reconnect_needed")
        row = move.lexware_transfer_ids
        self.assertEqual(row.state, "pending")
        self.assertEqual(row.attempts, 0)
        self.assertFalse(row.next_attempt_at)
        self._run_cron()  # not connected: nothing is claimed
        self.assertEqual(row.state, "pending")
        self._connect_company(self.company, api_key=key)
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")

    def test_another_worker_holding_the_company_is_left_alone(self):
        move = self._invoice([(10.0, self.tax_19)])
        from odoo import sql_db

        with sql_db.db_connect(self.env.cr.dbname).cursor() as other:
            other.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", (ADVISORY_LOCK_KEY, self.company.id)
            )
            self._run_cron()
            self.assertEqual(move.lexware_state, "pending")
            self.assertFalse(self._vouchers(move))
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")


class TestResetGuard(TransferCase):
    def test_sent_invoice_cannot_be_reset_cancelled_or_deleted(self):
        move = self._invoice([(10.0, self.tax_19)])
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
        for action in (move.button_draft, move.button_cancel):
            with self.assertRaisesRegex(UserError, "credit note"):
                action()
        with self.assertRaises(UserError):
            move.with_context(force_delete=True).unlink()
        self.assertIn("cannot delete vouchers", str(self._guard_error(move)))

    def _guard_error(self, move):
        try:
            move._lexware_check_not_in_lexware()
        except UserError as error:
            return error
        return None

    def test_queued_invoice_leaves_the_queue_when_reset_to_draft(self):
        move = self._invoice([(10.0, self.tax_19)])
        self.assertEqual(move.lexware_state, "pending")
        move.button_draft()
        self.assertFalse(move.lexware_state)
        self.assertFalse(self.env["lexware.transfer"].search([("move_id", "=", move.id)]))
        move.action_post()
        self.assertEqual(move.lexware_state, "pending")
        self._run_cron()
        self.assertEqual(len(self._vouchers(move)), 1)
