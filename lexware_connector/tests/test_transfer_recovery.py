"""After a worker dies: its row is taken up at once, looked up, and sent once."""

import threading
import time
from datetime import timedelta
from unittest.mock import patch

import psycopg2

from odoo import fields, sql_db
from odoo.exceptions import UserError
from odoo.tools import config, format_amount, format_date, mute_logger

from ..lexware.client import LexwareClient
from ..lexware.errors import LexwareOutOfTimeError, LexwareRetryableError
from ..models import lexware_transfer_cron
from ..models.lexware_transfer import ADVISORY_LOCK_KEY, SETTLE_SENDING
from .test_transfer_common import TransferCase, seed_for_504


class TestTransferRecovery(TransferCase):
    def _posted_by_a_dead_worker(self, move):
        """The worker POSTed the voucher, then died before it stored the answer."""
        voucher_id = self._post_behind_the_engine(move)
        # It died a moment ago; its last POST left before the settling pause.
        move.lexware_transfer_ids.write(
            {
                "state": "sending",
                "claimed_at": fields.Datetime.now() - SETTLE_SENDING - timedelta(seconds=1),
                "attempts": 1,
            }
        )
        return self.company._lexware_client(), voucher_id

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

    # A POST's last try leaves at most 5 connect timeouts of 5 s, 60 s of pauses and one
    # token refresh (5 s + 30 s) after the call began, Lexware's gateway holds it 30 s, and
    # what it passed on gets 30 s more.
    LANDS_WITHIN = timedelta(seconds=5 * 5 + 60 + 35 + 30 + 30)

    def test_the_first_retry_after_an_unknown_outcome_waits_until_a_request_has_landed(self):
        self._known_customer()
        move = self._invoice([(81.0, self.tax_19)])
        self.sandbox.configure(fault_rate=1.0, seed=seed_for_504())
        self.addCleanup(self.sandbox.configure, fault_rate=0.0)
        after = fields.Datetime.now() + timedelta(seconds=1)
        self._run_cron()
        row = move.lexware_transfer_ids
        self.assertTrue(row.outcome_unknown)
        self.assertGreaterEqual(row.next_attempt_at - after, self.LANDS_WITHIN)

    def test_a_dead_workers_row_is_not_looked_up_before_its_post_has_landed(self):
        self._known_customer()
        move = self._invoice([(88.0, self.tax_19)])
        _client, voucher_id = self._posted_by_a_dead_worker(move)
        row = move.lexware_transfer_ids
        lookups = []
        original = LexwareClient.find_vouchers_by_number

        def spy(client, number, *args, **kwargs):
            lookups.append(number)
            return original(client, number, *args, **kwargs)

        with patch.object(LexwareClient, "find_vouchers_by_number", spy):
            row.claimed_at = fields.Datetime.now() - self.LANDS_WITHIN + timedelta(seconds=5)
            self._run_cron()
            self.assertEqual(row.state, "sending", "a request may still be under way")
            self.assertEqual(lookups, [])
            row.claimed_at = fields.Datetime.now() - self.LANDS_WITHIN - timedelta(seconds=2)
            self._run_cron()
        self.assertEqual(lookups, [move.name])
        self.assertEqual(move.lexware_state, "sent")
        self.assertEqual(self._voucher(move)["id"], voucher_id)

    def test_a_voucher_booked_by_hand_under_the_number_is_not_adopted(self):
        self._known_customer()
        move = self._invoice([(89.0, self.tax_19)])
        by_hand = self._post_behind_the_engine(move, amount=90.0)
        row = move.lexware_transfer_ids
        row.outcome_unknown = True
        self._run_cron()
        self.assertEqual(move.lexware_state, "failed")
        self.assertTrue(row.outcome_unknown, "still looked up first on a retry")
        self.assertFalse(row.voucher_id)
        self.assertIn(f"voucher {by_hand}", move.lexware_error)
        self.assertIn("its total is", move.lexware_error)
        env = self.env(context={"lang": row._lexware_lang()})
        gross = format_amount(env, 105.91, self.company.currency_id)  # 89.00 + 19 %
        self.assertIn(gross, move.lexware_error)
        self.assertNotIn("its date", move.lexware_error)
        self.assertEqual([v["id"] for v in self._vouchers(move)], [by_hand], "not posted")
        self.assertEqual(move.activity_ids.summary, "Lexware transfer failed")
        with self.assertRaises(UserError):
            move.button_draft()
        move.action_lexware_send()
        self._run_cron()
        self.assertEqual(move.lexware_state, "failed")
        self.assertEqual([v["id"] for v in self._vouchers(move)], [by_hand], "nor on a retry")

    def test_a_voucher_booked_by_hand_on_another_date_is_not_adopted(self):
        self._known_customer()
        move = self._invoice([(91.0, self.tax_19)])
        by_hand = self._post_behind_the_engine(move, date="2025-03-15")
        row = move.lexware_transfer_ids
        # A dead worker's row: its POST may have gone through.
        row.write({"state": "sending", "claimed_at": fields.Datetime.now() - timedelta(hours=1)})
        self._run_cron()
        self.assertEqual(move.lexware_state, "failed")
        env = self.env(context={"lang": row._lexware_lang()})
        self.assertIn(
            f"its date is {format_date(env, '2025-03-15')}, not {format_date(env, '2025-03-14')}",
            move.lexware_error,
        )
        self.assertNotIn("its total", move.lexware_error)
        self.assertEqual([v["id"] for v in self._vouchers(move)], [by_hand])

    def test_a_voided_voucher_of_another_amount_does_not_block_the_invoice(self):
        self._known_customer()
        move = self._invoice([(92.0, self.tax_19)])
        by_hand = self._post_behind_the_engine(move, amount=93.0)
        self.sandbox.set_voucher_status(by_hand, "voided")
        move.lexware_transfer_ids.outcome_unknown = True
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
        self.assertEqual(len(self._vouchers(move)), 2)
        self.assertNotEqual(move.lexware_voucher_id, by_hand)

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

    def test_a_contact_made_by_a_dead_worker_is_looked_up_for_the_customers_next_invoice(self):
        customer = self.customer.copy({"name": "Neukunde Estrich GmbH"})
        first = self._invoice([(86.0, self.tax_19)], partner=customer)
        client_class = type(self.company._lexware_client())
        create_contact = client_class.create_contact

        def made_then_killed(client, payload):
            create_contact(client, payload)
            raise KeyboardInterrupt  # SIGKILL: nothing after the POST runs

        killed = False
        # Not assertRaises: Odoo's rolls its block back, as no killed worker's database does.
        with patch.object(client_class, "create_contact", made_then_killed):
            try:
                self._run_cron()
            except KeyboardInterrupt:
                killed = True
        self.assertTrue(killed)
        # As the dead worker left its row: sending, its POST just gone.
        first.lexware_transfer_ids.write(
            {"state": "sending", "claimed_at": fields.Datetime.now(), "attempts": 1}
        )
        [made] = self.sandbox.contacts()[-1:]

        # The customer's next invoice goes while the dead worker's row still settles.
        second = self._invoice([(87.0, self.tax_19)], partner=customer)
        self._run_cron()

        self.assertEqual(second.lexware_state, "sent")
        named = [
            c for c in self.sandbox.contacts() if c.get("company", {}).get("name") == customer.name
        ]
        self.assertEqual([c["id"] for c in named], [made["id"]])
        self.assertEqual(customer.with_company(self.company).lexware_contact_id, made["id"])
        self.assertEqual(self._voucher(second)["contactId"], made["id"])

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


class FakeTime:
    """The engine's clock: each invoice takes `row_seconds`; the rest of Python keeps time."""

    def __init__(self):
        self.offset = 0.0

    def monotonic(self):
        return time.monotonic() + self.offset

    def time(self):
        return time.time() + self.offset

    def sleep(self, seconds):
        self.offset += seconds


class TestCronTimeBudget(TransferCase):
    # One request with its full timeouts (connect 5 s, read 30 s), and the invoice's PDF,
    # chatter and commits: the least a row may need once started.
    ROW_AT_LEAST = 5 + 30 + 10

    def setUp(self):
        super().setUp()
        self.cron = self.env.ref("lexware_connector.ir_cron_lexware_transfer")
        self.clock = FakeTime()
        patcher = patch.object(lexware_transfer_cron, "time", self.clock)
        patcher.start()
        self.addCleanup(patcher.stop)

    def _rows_take(self, seconds):
        """Each attempt takes `seconds` on the engine's clock; answers their start times."""
        starts = []
        model = type(self.env["lexware.transfer"])
        original = model._lexware_attempt

        def attempt(row, *args, **kwargs):
            starts.append(self.clock.offset)
            result = original(row, *args, **kwargs)
            self.clock.offset += seconds
            return result

        patcher = patch.object(model, "_lexware_attempt", attempt)
        patcher.start()
        self.addCleanup(patcher.stop)
        return starts

    def _run_as_odoo_does(self, batch_size):
        """Odoo's cron worker running the job: `ir.cron._run_job`, which calls the job
        again at once while it reports work left (MAX_BATCH_PER_CRON_JOB times at most)."""
        model = type(self.env["lexware.transfer"])
        original = model._cron_process
        job = {
            "id": self.cron.id,
            "cron_name": self.cron.cron_name,
            "user_id": self.cron.user_id.id,
            "lastcall": self.cron.lastcall,
            "ir_actions_server_id": self.cron.ir_actions_server_id.id,
            "timed_out_counter": 0,
        }
        # Only the triggers this run leaves count; posting left one too.
        self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)]).unlink()
        self.env.flush_all()  # the job runs on a cursor of its own
        with patch.object(
            model, "_cron_process", lambda self, batch_size=batch_size: original(self, batch_size)
        ):
            type(self.env["ir.cron"])._run_job(job)
        self.env.invalidate_all()

    def _due_triggers(self):
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)])
        return triggers.filtered(lambda trigger: trigger.call_at <= fields.Datetime.now())

    def test_odoos_repeat_of_a_run_stopped_at_its_batch_size_stays_within_the_limit(self):
        moves = [self._invoice([(10.0 + n, self.tax_19)]) for n in range(10)]
        starts = self._rows_take(10.0)
        with patch.dict(config.options, {"limit_time_real_cron": 120, "workers": 0}):
            self._run_as_odoo_does(batch_size=2)
        self.assertTrue(starts)
        self.assertLessEqual(
            max(starts) + self.ROW_AT_LEAST,
            120,
            "a row started this late could still be sending when the watchdog kills the worker",
        )
        self.assertTrue(self._due_triggers(), "a fresh run takes the rest at once")
        sent = [move for move in moves if move.lexware_state == "sent"]
        self.assertEqual(len(sent), len(starts))

    def test_a_prefork_worker_counts_its_sleep_before_the_jobs(self):
        self._invoice([(10.0, self.tax_19)])
        starts = self._rows_take(1.0)
        # The worker told the watchdog it was alive, then slept up to 70 s before the jobs:
        # 120 - 70 s leave room for a row's least worst case of 45 s, 100 - 70 s do not.
        with patch.dict(config.options, {"limit_time_real_cron": 100, "workers": 2}):
            self._run_as_odoo_does(batch_size=50)
        self.assertEqual(starts, [])
        self.assertFalse(self._due_triggers(), "no fresh run could do better: no busy loop")
        with patch.dict(config.options, {"limit_time_real_cron": 120, "workers": 2}):
            self._run_as_odoo_does(batch_size=50)
        self.assertEqual(len(starts), 1)

    def test_a_threaded_cron_counts_the_jobs_before_it(self):
        self._invoice([(10.0, self.tax_19)])
        starts = self._rows_take(1.0)
        thread = threading.current_thread()
        thread.start_time = self.clock.time() - 80  # other jobs took 80 s of this call
        self.addCleanup(delattr, thread, "start_time")
        with patch.dict(config.options, {"limit_time_real_cron": 120, "workers": 0}):
            self._run_as_odoo_does(batch_size=50)
        self.assertEqual(starts, [])
        self.assertTrue(self._due_triggers(), "a fresh call of the jobs has the time")

    def test_the_limit_is_the_one_odoos_server_applies(self):
        cases = [
            # prefork: the cron worker's watchdog; -1 is limit_time_real, 0 none
            ({"workers": 2, "limit_time_real_cron": -1, "limit_time_real": 120}, 120),
            ({"workers": 2, "limit_time_real_cron": 300, "limit_time_real": 120}, 300),
            ({"workers": 2, "limit_time_real_cron": 0, "limit_time_real": 120}, None),
            # threaded: limit_time_real_cron when positive, else limit_time_real
            ({"workers": 0, "limit_time_real_cron": 0, "limit_time_real": 120}, 120),
            ({"workers": 0, "limit_time_real_cron": 300, "limit_time_real": 120}, 300),
            ({"workers": 0, "limit_time_real_cron": -1, "limit_time_real": 0}, None),
        ]
        for options, limit in cases:
            with patch.dict(config.options, options):
                self.assertEqual(lexware_transfer_cron._cron_time_limit(), limit, options)

    def test_a_row_out_of_time_waits_uncounted_for_a_fresh_run(self):
        move = self._invoice([(10.0, self.tax_19)])
        second = self._invoice([(11.0, self.tax_19)])
        self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)]).unlink()

        def no_time(client, *args, **kwargs):
            raise LexwareOutOfTimeError("no time left before the deadline")

        with patch.object(LexwareClient, "create_voucher", no_time):
            self._run_cron()
        row = move.lexware_transfer_ids
        self.assertEqual((row.state, row.attempts), ("pending", 0))
        self.assertFalse(row.next_attempt_at)
        self.assertFalse(row.last_error)
        self.assertEqual(second.lexware_transfer_ids.attempts, 0, "the run stopped")
        self.assertTrue(self._due_triggers())
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
        self.assertEqual(second.lexware_state, "sent")
