"""After a worker dies: its row is taken up at once, looked up, and sent once."""

from datetime import timedelta
from unittest.mock import patch

import psycopg2

from odoo import fields, sql_db
from odoo.tools import config, mute_logger

from ..lexware.client import LexwareClient
from ..lexware.errors import LexwareRetryableError
from ..lexware.voucher import build_voucher
from ..models.lexware_transfer import (
    ADVISORY_LOCK_KEY,
    RETRY_DELAYS,
    SETTLE_SENDING,
    TIME_BUDGET_MAX,
)
from .test_transfer_common import TransferCase, seed_for_504


class TestTransferRecovery(TransferCase):
    def _known_customer(self):
        warm_up = self._invoice([(1.0, self.tax_19)])
        self._run_cron()
        self.assertEqual(warm_up.lexware_state, "sent")

    def _posted_by_a_dead_worker(self, move):
        """The worker POSTed the voucher, then died before it stored the answer."""
        client = self.company._lexware_client()
        contact_id = self.customer.with_company(self.company).lexware_contact_id
        answer = client.create_voucher(build_voucher(move._lexware_invoice_data(contact_id)))
        # It died a moment ago; its last POST left before the settling pause.
        move.lexware_transfer_ids.write(
            {
                "state": "sending",
                "claimed_at": fields.Datetime.now() - SETTLE_SENDING - timedelta(seconds=1),
                "attempts": 1,
            }
        )
        return client, answer["id"]

    def test_a_dead_workers_row_is_looked_up_and_sent_once(self):
        self._known_customer()
        move = self._invoice([(77.0, self.tax_19)])
        _client, voucher_id = self._posted_by_a_dead_worker(move)
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
        voucher = self._voucher(move)  # exactly once: looked up, not posted again
        self.assertEqual(voucher["id"], voucher_id)
        self.assertEqual(move.lexware_voucher_id, voucher_id)
        self.assertEqual(len(voucher["files"]), 1)

    def test_a_sending_row_waits_until_its_last_post_has_settled(self):
        self._known_customer()
        move = self._invoice([(76.0, self.tax_19)])
        self._posted_by_a_dead_worker(move)
        move.lexware_transfer_ids.claimed_at = fields.Datetime.now()
        self._run_cron()
        self.assertEqual(move.lexware_state, "sending", "a request may still be under way")
        move.lexware_transfer_ids.claimed_at = (
            fields.Datetime.now() - SETTLE_SENDING - timedelta(seconds=1)
        )
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
        self.assertEqual(len(self._voucher(move)["files"]), 1)

    def test_a_sending_row_waits_while_a_worker_holds_its_company(self):
        self._known_customer()
        move = self._invoice([(78.0, self.tax_19)])
        self._posted_by_a_dead_worker(move)
        move.lexware_transfer_ids.claimed_at = fields.Datetime.now() - timedelta(hours=1)
        with sql_db.db_connect(self.env.cr.dbname).cursor() as other:
            other.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", (ADVISORY_LOCK_KEY, self.company.id)
            )
            self._run_cron()
            self.assertEqual(move.lexware_state, "sending")
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
        self.assertEqual(len(self._voucher(move)["files"]), 1)

    def test_a_file_uploaded_before_the_crash_is_not_uploaded_again(self):
        self._known_customer()
        move = self._invoice([(79.0, self.tax_19)])
        client, voucher_id = self._posted_by_a_dead_worker(move)
        # The dead worker's PDF: rendered again, it differs (wkhtmltopdf dates each file).
        client.upload_voucher_file(voucher_id, "first.pdf", b"%PDF-1.4 rendered at 10:00")
        move.lexware_transfer_ids.voucher_id = voucher_id
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
        self.assertEqual(len(self._voucher(move)["files"]), 1)

    def test_a_voucher_stored_before_the_crash_still_gets_its_file(self):
        self._known_customer()
        move = self._invoice([(80.0, self.tax_19)])
        _client, voucher_id = self._posted_by_a_dead_worker(move)
        move.lexware_transfer_ids.voucher_id = voucher_id
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
        self.assertEqual(len(self._voucher(move)["files"]), 1)

    def test_the_first_retry_after_an_unknown_outcome_comes_within_a_minute(self):
        self._known_customer()
        move = self._invoice([(81.0, self.tax_19)])
        self.sandbox.configure(fault_rate=1.0, seed=seed_for_504())
        self.addCleanup(self.sandbox.configure, fault_rate=0.0)
        before = fields.Datetime.now()
        self._run_cron()
        row = move.lexware_transfer_ids
        self.assertTrue(row.outcome_unknown)
        self.assertEqual(RETRY_DELAYS[0], timedelta(minutes=1))
        self.assertLessEqual(row.next_attempt_at - before, timedelta(minutes=1, seconds=5))

    def test_the_file_after_a_booked_voucher_has_a_schedule_of_its_own(self):
        self._known_customer()
        move = self._invoice([(82.0, self.tax_19)])
        row = move.lexware_transfer_ids
        row.attempts = 3

        def unavailable(client, *args, **kwargs):
            raise LexwareRetryableError("server trouble (503)", status=503)

        with patch.object(LexwareClient, "upload_voucher_file", unavailable):
            before = fields.Datetime.now()
            self._run_cron()
        self.assertEqual(row.state, "pending")
        self.assertTrue(row.voucher_id)
        self.assertEqual(row.attempts, 0)
        self.assertLessEqual(row.next_attempt_at - before, timedelta(minutes=1, seconds=5))
        row.next_attempt_at = fields.Datetime.now()
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
        self.assertEqual(len(self._voucher(move)["files"]), 1)

    def test_an_answer_lost_to_an_unexpected_error_is_looked_up_not_posted_again(self):
        self._known_customer()
        move = self._invoice([(83.0, self.tax_19)])
        row = move.lexware_transfer_ids
        model = type(row)
        original = model._lexware_create_voucher

        def booked_then_lost(transfer, client):
            original(transfer, client)
            # The commit of the answer lost to a concurrent update; after the rollback the
            # row knows nothing of the voucher.
            transfer.voucher_id = False
            raise psycopg2.errors.SerializationFailure("could not serialize access")

        with (
            patch.object(model, "_lexware_create_voucher", booked_then_lost),
            mute_logger("odoo.addons.lexware_connector.models.lexware_transfer"),
        ):
            self._run_cron()
        self.assertEqual(row.state, "pending")
        self.assertTrue(row.outcome_unknown)
        row.next_attempt_at = fields.Datetime.now()
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
        self.assertEqual(len(self._voucher(move)["files"]), 1)

    def test_a_contact_lost_to_an_unexpected_error_is_looked_up_not_created_again(self):
        customer = self.customer.copy({"name": "Neukunde Fliesen KG"})
        move = self._invoice([(84.0, self.tax_19)], partner=customer)
        model = type(move.lexware_transfer_ids)

        def lost(transfer, client):
            partner = transfer.move_id.commercial_partner_id.with_company(self.company)
            partner._lexware_ensure_contact(self.company, client, False, commit=lambda: None)
            partner.lexware_contact_id = False
            raise psycopg2.errors.SerializationFailure("could not serialize access")

        with (
            patch.object(model, "_lexware_create_voucher", lost),
            mute_logger("odoo.addons.lexware_connector.models.lexware_transfer"),
        ):
            self._run_cron()
        partner = customer.with_company(self.company)
        self.assertTrue(partner.lexware_contact_unsure)
        move.lexware_transfer_ids.next_attempt_at = fields.Datetime.now()
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
        named = [
            c for c in self.sandbox.contacts() if c.get("company", {}).get("name") == customer.name
        ]
        self.assertEqual(len(named), 1)

    def test_a_retry_that_is_due_goes_before_invoices_posted_after_it(self):
        self._known_customer()
        waiting = self._invoice([(85.0, self.tax_19)])
        row = waiting.lexware_transfer_ids
        row.write({"attempts": 1, "outcome_unknown": True})
        later = [self._invoice([(86.0 + n, self.tax_19)]) for n in range(2)]
        self.env.cr.execute(
            "UPDATE lexware_transfer SET next_attempt_at = create_date - interval '1 second'"
            " WHERE id = %s",
            (row.id,),
        )
        self.env.cr.execute(
            "UPDATE lexware_transfer SET create_date = now() + interval '1 second'"
            " WHERE move_id IN %s",
            (tuple(move.id for move in later),),
        )
        row.invalidate_recordset()
        claimed = self.env["lexware.transfer"]._lexware_claim(set())
        self.assertEqual(claimed, row, "the retry was due first")


class TestCronTimeBudget(TransferCase):
    def test_the_budget_is_a_share_of_the_cron_real_time_limit(self):
        transfer = self.env["lexware.transfer"]
        self.assertEqual(transfer._lexware_time_budget(), float("inf"), "outside the cron")
        in_cron = transfer.with_context(cron_id=1)
        with patch.dict(config.options, {"limit_time_real_cron": -1, "limit_time_real": 120}):
            self.assertEqual(in_cron._lexware_time_budget(), 30)
        with patch.dict(config.options, {"limit_time_real_cron": 600}):
            self.assertEqual(in_cron._lexware_time_budget(), TIME_BUDGET_MAX)
        with patch.dict(config.options, {"limit_time_real_cron": 0}):
            self.assertEqual(in_cron._lexware_time_budget(), TIME_BUDGET_MAX)

    def test_a_run_out_of_time_leaves_the_rest_to_a_fresh_run_at_once(self):
        move = self._invoice([(10.0, self.tax_19)])
        cron = self.env.ref("lexware_connector.ir_cron_lexware_transfer")
        self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]).unlink()
        transfer = self.env["lexware.transfer"]
        with patch.object(type(transfer), "_lexware_time_budget", lambda model: 0.0):
            done = transfer._cron_process()
        self.assertEqual(done, 0)
        self.assertEqual(move.lexware_state, "pending")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        self.assertTrue(triggers)
        self.assertLessEqual(min(triggers.mapped("call_at")), fields.Datetime.now())
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
