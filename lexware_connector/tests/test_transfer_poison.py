"""Poison rows: an error while recording an outcome, or a row whose worker died in each
attempt, ends the row with its reason, and the rest of the queue goes on."""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tools import mute_logger

from ..lexware.client import LexwareClient
from ..models.lexware_transfer import MAX_ATTEMPTS
from .test_transfer_common import TransferCase

ENGINE_LOG = "odoo.addons.lexware_connector.models.lexware_transfer"


def broken(*args, **kwargs):
    raise RuntimeError("the chatter is broken")


class TestPoisonRows(TransferCase):
    def _good_one_after(self):
        return self._invoice([(99.0, self.tax_19)], ref="the good one after")

    def _assert_nothing_sending(self):
        self.assertFalse(self.env["lexware.transfer"].search([("state", "=", "sending")]))

    def test_a_failing_failure_message_leaves_the_row_failed_and_the_queue_goes_on(self):
        bad = self._invoice([(10.0, self.env["account.tax"])])
        good = self._good_one_after()
        with (
            patch.object(type(bad), "_lexware_message_failed", broken),
            mute_logger(ENGINE_LOG),
        ):
            self._run_cron()
        self._assert_nothing_sending()
        self.assertEqual(bad.lexware_state, "failed")
        self.assertIn("has no tax", bad.lexware_error)
        self.assertEqual(good.lexware_state, "sent")

    def test_a_failing_activity_after_the_last_retry_leaves_the_row_failed(self):
        bad = self._invoice([(10.0, self.tax_19)])
        bad.lexware_transfer_ids.attempts = MAX_ATTEMPTS - 1
        self.sandbox.fail_next(503, method="POST")
        good = self._good_one_after()
        with (
            patch.object(type(bad), "activity_schedule", broken),
            mute_logger(ENGINE_LOG),
        ):
            self._run_cron()
        self._assert_nothing_sending()
        self.assertEqual(bad.lexware_state, "failed")
        self.assertIn(f"Gave up after {MAX_ATTEMPTS} attempts", bad.lexware_error)
        self.assertEqual(good.lexware_state, "sent")

    def test_a_failing_sent_message_leaves_the_row_sent(self):
        move = self._invoice([(10.0, self.tax_19)])
        good = self._good_one_after()
        with (
            patch.object(type(move), "_lexware_message_sent", broken),
            mute_logger(ENGINE_LOG),
        ):
            self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
        self.assertEqual(len(self._voucher(move)["files"]), 1)
        self.assertEqual(good.lexware_state, "sent")

    def test_an_error_in_the_error_handling_leaves_the_row_waiting_to_be_looked_up(self):
        bad = self._invoice([(10.0, self.tax_19)], ref="bad")
        good = self._good_one_after()
        model = type(self.env["account.move"])
        original = model._lexware_category_id

        def category(move, kind):
            if move.ref == "bad":
                return "00000000-0000-0000-0000-000000000000"
            return original(move, kind)

        with (
            patch.object(model, "_lexware_category_id", category),
            patch.object(type(self.env["lexware.messages"]), "_issue_words", broken),
            mute_logger(ENGINE_LOG),
        ):
            self._run_cron()
        self._assert_nothing_sending()
        row = bad.lexware_transfer_ids
        self.assertEqual(row.state, "pending")
        self.assertIn("Unexpected error (RuntimeError)", bad.lexware_error)
        self.assertTrue(row.outcome_unknown, "whatever this attempt did, it is looked up first")
        self.assertEqual(good.lexware_state, "sent")

    def test_a_row_whose_attempts_are_spent_at_claim_fails_without_asking_lexware(self):
        bad = self._invoice([(10.0, self.tax_19)])
        # Its worker died in the middle of every attempt.
        bad.lexware_transfer_ids.write(
            {
                "state": "sending",
                "attempts": MAX_ATTEMPTS,
                "claimed_at": fields.Datetime.now() - timedelta(hours=1),
            }
        )
        good = self._good_one_after()
        asked = []
        original = LexwareClient.find_vouchers_by_number

        def spy(client, number, *args, **kwargs):
            asked.append(number)
            return original(client, number, *args, **kwargs)

        with patch.object(LexwareClient, "find_vouchers_by_number", spy):
            self._run_cron()
        row = bad.lexware_transfer_ids
        self.assertEqual(row.state, "failed")
        self.assertIn(f"Gave up after {MAX_ATTEMPTS} attempts", bad.lexware_error)
        self.assertIn("broke off", bad.lexware_error)
        self.assertNotIn(bad.name, asked, "Lexware was not asked again")
        self.assertFalse(self._vouchers(bad))
        self.assertTrue(row.outcome_unknown, "a retry looks it up first")
        self.assertEqual(bad.activity_ids.summary, "Lexware transfer failed")
        self.assertEqual(good.lexware_state, "sent")
        # Retried by a person: looked up first, then sent once.
        with patch.object(LexwareClient, "find_vouchers_by_number", spy):
            bad.action_lexware_send()
            self._run_cron()
        self.assertIn(bad.name, asked)
        self.assertEqual(bad.lexware_state, "sent")
        self.assertEqual(len(self._vouchers(bad)), 1)
