"""The export: which invoices it queues, what it skips, who may run it, and how its run
asks Lexware in the background."""

from datetime import date, timedelta
from unittest.mock import patch

from odoo import Command, fields, sql_db
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from ..lexware import LexwareAccessDenied, LexwareClient, LexwareRetryableError
from ..models import lexware_export_run_check as export_check
from ..models.lexware_transfer import ADVISORY_LOCK_KEY, FoundVoucher
from ..models.lexware_transfer_cron import RunClock
from .common import SANDBOX_API_KEY as API_KEY
from .common import LexwareSandboxCase


@tagged("post_install", "-at_install")
class ExportCase(LexwareSandboxCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Exporting needs a connection, not auto transfer: with it off, posting queues
        # nothing and each test decides what is queued.
        cls.company = cls._connect_company(cls.env.company, auto_transfer=False)
        cls.partner = cls.env["res.partner"].create({"name": "Kunde GmbH"})
        cls.tax = cls.env["account.tax"].search(
            [
                ("company_id", "=", cls.company.id),
                ("type_tax_use", "=", "sale"),
                ("amount", "=", 19),
            ],
            limit=1,
        )
        cls.accountant = new_test_user(
            cls.env,
            login="lexware_accountant",
            groups="account.group_account_manager",
            company_id=cls.company.id,
        )

    @classmethod
    def _invoice(cls, day, move_type="out_invoice", post=True, company=None, amount=100.0):
        company = company or cls.company
        move = (
            cls.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": move_type,
                    "partner_id": cls.partner.id,
                    "invoice_date": day,
                    "invoice_line_ids": [
                        Command.create({"name": "Arbeit", "quantity": 1, "price_unit": amount})
                    ],
                }
            )
        )
        if post:
            move.action_post()
        return move

    def _wizard(self, date_from, date_to, user=None, **values):
        env = self.env(user=user) if user else self.env
        return (
            env["lexware.export.wizard"]
            .with_company(self.company)
            .create({"date_from": date_from, "date_to": date_to, **values})
        )

    def _start(self, date_from, date_to, **values):
        """The wizard's part: the run, not yet worked."""
        wizard = self._wizard(date_from, date_to, user=self.accountant, **values)
        action = wizard.action_export()
        run_id = action["params"]["next"]["res_id"]
        return self.env["lexware.export.run"].browse(run_id)

    def _run_cron(self):
        """Run the export cron where Odoo would, as its user (the superuser), again while
        it reports runs due (as Odoo does); answer the voucherlist pages asked."""
        runs = self.env["lexware.export.run"].sudo()
        pages = 0
        for _call in range(10):
            self.env.invalidate_all()
            pages += runs._cron_export()
            self.env.invalidate_all()
            if not runs._lexware_due_count():
                break
        return pages

    def _export(self, date_from, date_to, **values):
        """Wizard, then the export cron: the run has asked Lexware and queued."""
        run = self._start(date_from, date_to, **values)
        self._run_cron()
        return run

    def _due_now(self, run):
        run.sudo().next_check_at = fields.Datetime.now() - timedelta(seconds=1)

    def _transfer(self, move):
        return self.env["lexware.transfer"].search([("move_id", "=", move.id)])


class TestExportPeriod(ExportCase):
    def test_defaults_are_last_month_and_both_kinds(self):
        wizard = self.env["lexware.export.wizard"].create({})
        first_of_this_month = date.today().replace(day=1)
        self.assertEqual((first_of_this_month - wizard.date_to).days, 1)
        self.assertEqual(wizard.date_from, wizard.date_to.replace(day=1))
        self.assertEqual(wizard.move_types, "both")
        self.assertEqual(wizard.company_id, self.env.company)
        self.assertFalse(wizard.from_selection)

    def test_first_and_last_day_are_included_day_before_and_after_are_not(self):
        before = self._invoice(date(2024, 2, 29))
        first = self._invoice(date(2024, 3, 1))
        last = self._invoice(date(2024, 3, 31))
        after = self._invoice(date(2024, 4, 1))
        run = self._export(date(2024, 3, 1), date(2024, 3, 31))
        self.assertEqual(run.transfer_ids.move_id, first | last)
        self.assertEqual(run.transfer_ids.mapped("state"), ["pending", "pending"])
        self.assertFalse(self._transfer(before))
        self.assertFalse(self._transfer(after))
        self.assertEqual((run.total_count, run.pending_count, run.state), (2, 2, "running"))

    def test_drafts_cancelled_vendor_bills_and_other_companies_are_never_queued(self):
        day = date(2024, 5, 10)
        invoice = self._invoice(day)
        credit_note = self._invoice(day, move_type="out_refund")
        draft = self._invoice(day, post=False)
        cancelled = self._invoice(day)
        cancelled.button_draft()
        cancelled.button_cancel()
        bill = self._invoice(day, move_type="in_invoice")
        other_company_move = self._invoice(day)
        other = self.env["res.company"].create({"name": "Andere GmbH"})
        # A company without a chart can't post; moving a posted invoice there is enough
        # for what the wizard reads.
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE account_move SET company_id = %s WHERE id = %s",
            (other.id, other_company_move.id),
        )
        self.env.invalidate_all()
        run = self._export(date(2024, 5, 1), date(2024, 5, 31))
        self.assertEqual(run.transfer_ids.move_id, invoice | credit_note)
        for move in (draft, cancelled, bill, other_company_move):
            self.assertFalse(self._transfer(move), move.name)

    def test_invoices_only_or_credit_notes_only(self):
        day = date(2024, 6, 3)
        invoice = self._invoice(day)
        credit_note = self._invoice(day, move_type="out_refund")
        run = self._export(day, day, move_types="credit_notes")
        self.assertEqual(run.transfer_ids.move_id, credit_note)
        run = self._export(day, day, move_types="invoices")
        self.assertEqual(run.transfer_ids.move_id, invoice)

    def test_the_wizard_hands_over_to_the_export_cron_which_wakes_the_engine(self):
        invoice = self._invoice(date(2024, 7, 1))
        export_cron = self.env.ref("lexware_connector.ir_cron_lexware_export")
        transfer_cron = self.env.ref("lexware_connector.ir_cron_lexware_transfer")
        triggers = self.env["ir.cron.trigger"]
        before = {
            cron: triggers.search_count([("cron_id", "=", cron.id)])
            for cron in (export_cron, transfer_cron)
        }
        wizard = self._wizard(date(2024, 7, 1), date(2024, 7, 31), user=self.accountant)
        with patch.object(
            LexwareClient, "voucherlist_page", side_effect=AssertionError("asked in the wizard")
        ):
            action = wizard.action_export()
        self.assertEqual(action["tag"], "display_notification")
        run = self.env["lexware.export.run"].browse(action["params"]["next"]["res_id"])
        self.assertEqual(action["params"]["next"]["res_model"], "lexware.export.run")
        self.assertIn(f"/odoo/lexware.export.run/{run.id}", action["params"]["links"][0]["url"])
        self.assertIn("runs in the background", action["params"]["message"])
        self.assertEqual(run.user_id, self.accountant)
        self.assertEqual(run.company_id, self.company)
        # The wizard only created the run: nothing asked, nothing queued yet.
        self.assertEqual((run.state, run.progress, run.checked_count), ("checking", 0.0, 0))
        self.assertFalse(self._transfer(invoice))
        self.assertGreater(
            triggers.search_count([("cron_id", "=", export_cron.id)]), before[export_cron]
        )
        self.assertEqual(
            triggers.search_count([("cron_id", "=", transfer_cron.id)]), before[transfer_cron]
        )

        self._run_cron()
        self.assertEqual(run.state, "running")
        self.assertEqual(self._transfer(invoice).export_run_id, run)
        self.assertGreater(
            triggers.search_count([("cron_id", "=", transfer_cron.id)]), before[transfer_cron]
        )
        note = run.message_ids.filtered(lambda m: "Lexware was asked" in (m.body or ""))
        self.assertIn("1 queued for Lexware", note.body)


class TestExportLexwareFirst(ExportCase):
    def test_numbers_already_in_lexware_are_marked_sent_not_sent_again(self):
        day = date(2019, 3, 14)
        booked_by_hand = self._invoice(day)
        new = self._invoice(day)
        credit_note = self._invoice(day, move_type="out_refund")
        voucher_id = self._book_by_hand(booked_by_hand.name, day)
        # The same number as a credit note, or in another period, is another voucher.
        self._book_by_hand(credit_note.name.replace("R", "X"), day, "salescreditnote")
        self._book_by_hand(new.name, date(2019, 4, 2))
        run = self._export(date(2019, 3, 1), date(2019, 3, 31))

        transfer = self._transfer(booked_by_hand)
        self.assertEqual(transfer.state, "sent")
        self.assertEqual(transfer.voucher_id, voucher_id)
        self.assertEqual(booked_by_hand.lexware_state, "sent")
        self.assertEqual(booked_by_hand.lexware_voucher_id, voucher_id)
        self.assertEqual(len(self.sandbox.vouchers(number=booked_by_hand.name)), 1)
        self.assertEqual(run.transfer_ids.move_id, new | credit_note)
        self.assertEqual((run.skipped_count, run.found_count, run.total_count), (1, 1, 3))

    def test_found_invoices_are_flagged_and_marked_while_the_pages_come_in(self):
        day = date(2013, 7, 9)
        invoices = [self._invoice(day) for _i in range(5)]
        voucher_ids = [self._book_by_hand(invoice.name, day) for invoice in invoices[:3]]
        # Two vouchers a page: each page's invoices are marked before the next is asked.
        with patch.object(export_check, "PAGE_SIZE", 2):
            run = self._export(day, day)
        self.assertEqual(run.checked_count, 3)

        for invoice, voucher_id in zip(invoices[:3], voucher_ids, strict=True):
            transfer = self._transfer(invoice)
            self.assertEqual(
                (transfer.state, transfer.voucher_id, transfer.found_in_lexware),
                ("sent", voucher_id, True),
            )
            self.assertFalse(transfer.file_uploaded)
            self.assertTrue(invoice.lexware_found_in_lexware)
        self.assertFalse(any(invoice.lexware_found_in_lexware for invoice in invoices[3:]))
        self.assertEqual(run.transfer_ids.move_id.ids, [invoice.id for invoice in invoices[3:]])
        self.assertFalse(any(run.transfer_ids.mapped("found_in_lexware")))
        self.assertEqual((run.found_count, run.skipped_count, run.total_count), (3, 3, 5))
        for invoice in invoices:
            self.assertEqual(
                len(self.sandbox.vouchers(number=invoice.name)), invoice in invoices[:3]
            )

    def test_a_failed_invoice_lexware_refused_but_holds_by_hand_is_marked_sent(self):
        day = date(2018, 5, 6)
        invoice = self._invoice(day)
        # Lexware refused Odoo's voucher (no voucher, no unknown outcome); someone booked
        # the invoice there by hand since.
        self.env["lexware.transfer"].create(
            {
                "move_id": invoice.id,
                "state": "failed",
                "last_error": "Lexware refused the voucher (HTTP 406).",
            }
        )
        voucher_id = self._book_by_hand(invoice.name, day)
        run = self._export(day, day)
        self.assertEqual(self._transfer(invoice).state, "sent")
        self.assertEqual(self._transfer(invoice).voucher_id, voucher_id)
        self.assertFalse(run.transfer_ids)
        self.assertEqual(run.state, "done")

    def test_when_lexware_refuses_the_connection_the_run_says_so_and_waits(self):
        day = date(2017, 6, 6)
        invoice = self._invoice(day)
        self.company.sudo().lexware_connection_id.api_key = "revoked-key"
        run = self._export(day, day)
        self.assertFalse(self._transfer(invoice))
        self.assertEqual(run.state, "checking")
        self.assertIn("Lexware refused the connection", run.problem)
        self.assertIn("once an administrator has connected it again", run.problem)
        self.assertEqual(self.company.lexware_connection_state, "reconnect_needed")
        # It waits for the reconnect, then goes on by itself.
        self.assertEqual(self._run_cron(), 0)
        self.company.sudo().lexware_connection_id.api_key = API_KEY
        self.company.sudo().lexware_connection_state = "connected"
        self._due_now(run)
        self._run_cron()
        self.assertEqual(run.state, "running")
        self.assertFalse(run.problem)
        self.assertEqual(self._transfer(invoice).export_run_id, run)

    def test_a_denied_permission_or_contract_lands_on_the_run(self):
        day = date(2017, 6, 7)
        invoice = self._invoice(day)
        for denied, words in (
            (LexwareAccessDenied(403, reason="Missing scope vouchers.read"), "permission"),
            (LexwareAccessDenied(402), "contract (HTTP 402)"),
        ):
            with self.subTest(status=denied.status):
                with patch.object(LexwareClient, "voucherlist_page", side_effect=denied):
                    run = self._export(day, day)
                self.assertIn(words, run.problem)
                self.assertNotIn("asks again", run.problem)
                self.assertEqual(run.state, "checking")
                self.assertFalse(self._transfer(invoice))
                self.assertEqual(self.company.lexware_connection_state, "reconnect_needed")
                self.assertIn(words, self.company.lexware_last_error)
                run.action_stop()
                self.assertEqual(run.state, "stopped")
                self.company.sudo().lexware_connection_state = "connected"
        # A stopped run stays stopped once the company is connected again.
        self._run_cron()
        self.assertFalse(self._transfer(invoice))

    def test_lexware_in_trouble_is_said_in_words_and_asked_again_later(self):
        day = date(2017, 6, 8)
        invoice = self._invoice(day)
        trouble = LexwareRetryableError(
            "Lexware GET /v1/voucherlist: server trouble (503), gave up after 5 attempts",
            status=503,
        )
        with patch.object(LexwareClient, "voucherlist_page", side_effect=trouble):
            run = self._export(day, day)
        self.assertIn("Lexware Office has a server problem (HTTP 503).", run.problem)
        self.assertIn("Odoo asks again", run.problem)
        self.assertNotIn("/v1/voucherlist", run.problem)
        self.assertEqual(run.state, "checking")
        self.assertGreater(run.next_check_at, fields.Datetime.now())
        self.assertFalse(self._transfer(invoice))
        self.assertEqual(self.company.lexware_connection_state, "connected")
        # Not due yet: the cron leaves it; once due, it goes on.
        self.assertEqual(self._run_cron(), 0)
        self._due_now(run)
        self._run_cron()
        self.assertEqual((run.state, run.problem), ("running", False))
        self.assertEqual(self._transfer(invoice).export_run_id, run)


class TestExportOdoosOwnFailures(ExportCase):
    """Item 8: what Odoo booked itself, or may have, is never "found in Lexware"."""

    def _send(self):
        """Run the transfer engine where its cron would."""
        self.env["lexware.transfer"]._cron_process()
        self.env.invalidate_all()

    def test_a_voucher_whose_file_failed_is_retried_and_its_file_uploaded(self):
        day = date(2016, 4, 4)
        invoice = self._invoice(day)
        voucher_id = self._book_by_hand(invoice.name, day)
        self.env["lexware.transfer"].create(
            {
                "move_id": invoice.id,
                "state": "failed",
                "voucher_id": voucher_id,
                "attempts": 6,
                "last_error": "Gave up after 6 attempts: Lexware Office is busy (HTTP 429).",
            }
        )
        run = self._export(day, day)
        transfer = self._transfer(invoice)
        self.assertEqual((transfer.state, transfer.export_run_id), ("pending", run))
        self.assertEqual(transfer.voucher_id, voucher_id)
        self.assertEqual((run.found_count, run.skipped_count, run.total_count), (0, 0, 1))
        self._send()
        self.assertEqual(transfer.state, "sent")
        self.assertFalse(transfer.found_in_lexware)
        self.assertTrue(transfer.file_uploaded)
        vouchers = self.sandbox.vouchers(number=invoice.name)
        self.assertEqual([v["id"] for v in vouchers], [voucher_id])
        self.assertEqual(len(vouchers[0]["files"]), 1)
        self.assertEqual(run.state, "done")

    def test_an_unknown_outcome_whose_retries_ran_out_is_looked_up_and_gets_its_file(self):
        day = date(2014, 4, 5)
        invoice = self._invoice(day)
        # The POST that never answered did land in Lexware.
        voucher_id = self._book_by_hand(invoice.name, day)
        self.env["lexware.transfer"].create(
            {
                "move_id": invoice.id,
                "state": "failed",
                "outcome_unknown": True,
                "attempts": 6,
                "last_error": "Gave up after 6 attempts: Lexware Office did not answer in time.",
            }
        )
        run = self._export(day, day)
        transfer = self._transfer(invoice)
        self.assertEqual((transfer.state, transfer.export_run_id), ("pending", run))
        self.assertTrue(transfer.outcome_unknown)
        self.assertEqual(run.found_count, 0)
        self._send()
        self.assertEqual((transfer.state, transfer.voucher_id), ("sent", voucher_id))
        self.assertFalse(transfer.found_in_lexware)
        vouchers = self.sandbox.vouchers(number=invoice.name)
        self.assertEqual(len(vouchers), 1, "looked up and adopted, not booked twice")
        self.assertEqual(len(vouchers[0]["files"]), 1)

    def test_only_rows_odoo_never_sent_are_marked_found(self):
        day = date(2012, 4, 6)
        invoices = [self._invoice(day) for _i in range(3)]
        voucher_ids = [self._book_by_hand(invoice.name, day) for invoice in invoices]
        transfers = self.env["lexware.transfer"]
        rows = transfers.create(
            [
                {"move_id": invoices[0].id, "state": "failed", "voucher_id": voucher_ids[0]},
                {"move_id": invoices[1].id, "state": "failed", "outcome_unknown": True},
            ]
        )
        found = [
            FoundVoucher(invoice.id, row.id, voucher_id)
            for invoice, row, voucher_id in zip(invoices[:2], rows, voucher_ids[:2], strict=True)
        ]
        found.append(FoundVoucher(invoices[2].id, None, voucher_ids[2]))
        marked = transfers._lexware_mark_found_in_lexware(found)
        self.assertEqual(marked, {invoices[2].id})
        self.assertEqual(rows.mapped("state"), ["failed", "failed"])
        self.assertFalse(any(rows.mapped("found_in_lexware")))
        self.assertTrue(self._transfer(invoices[2]).found_in_lexware)


class TestExportInTheBackground(ExportCase):
    """Item 15: the cron asks Lexware in bounded steps, remembers where it got to, and
    shares the company's Lexware lock with the transfer."""

    def _asked_pages(self):
        return patch.object(
            LexwareClient,
            "voucherlist_page",
            autospec=True,
            side_effect=LexwareClient.voucherlist_page,
        )

    def test_a_step_stops_at_its_time_budget_and_the_next_goes_on_from_its_page(self):
        day = date(2015, 2, 3)
        invoices = [self._invoice(day) for _i in range(5)]
        for invoice in invoices[:4]:
            self._book_by_hand(invoice.name, day)
        run = self._start(day, day)
        cron = self.env.ref("lexware_connector.ir_cron_lexware_export")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        transfers = type(self.env["lexware.transfer"])
        runs = self.env["lexware.export.run"].sudo()
        clock = _ClockForPages(1)
        check_page = type(runs)._lexware_check_page

        def counted_page(export, client):
            check_page(export, client)
            clock.pages -= 1

        with (
            patch.object(export_check, "PAGE_SIZE", 2),
            patch.object(transfers, "_lexware_clock", return_value=clock),
            patch.object(
                type(runs), "_lexware_check_page", autospec=True, side_effect=counted_page
            ),
            self._asked_pages() as asked,
        ):
            progress = self.env["ir.cron.progress"].sudo().create({"cron_id": cron.id})
            self.assertEqual(runs.with_context(ir_cron_progress_id=progress.id)._cron_export(), 1)
            self.env.invalidate_all()
            # Out of time with work left: the cron is triggered afresh rather than called
            # again by Odoo within the same watchdog period.
            self.assertEqual((progress.done, progress.remaining), (1, 0))
            # One page per step: two found, the run remembers the next page.
            self.assertEqual((run.state, run.check_page, run.found_count), ("checking", 1, 2))
            self.assertEqual(run.checked_count, 2)
            self.assertGreater(
                self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers
            )
            # The fresh run has time for its page again.
            clock.pages = 1
            self.assertEqual(self.env["lexware.export.run"].sudo()._cron_export(), 1)
            self.env.invalidate_all()
            self.assertEqual((run.state, run.found_count, run.checked_count), ("running", 4, 4))
        self.assertEqual([call.args[4] for call in asked.call_args_list], [0, 1])
        self.assertEqual(run.transfer_ids.move_id, invoices[4])
        self.assertEqual(
            [self._transfer(invoice).found_in_lexware for invoice in invoices[:4]], [True] * 4
        )

    def test_a_step_cut_off_midway_resumes_at_its_page_and_marks_nothing_twice(self):
        day = date(2011, 3, 4)
        invoices = [self._invoice(day) for _i in range(5)]
        for invoice in invoices:
            self._book_by_hand(invoice.name, day)
        run = self._start(day, day)
        original = LexwareClient.voucherlist_page
        calls = []

        def cut_off_at_the_second_page(client, *args, **kwargs):
            calls.append(args[3])
            if len(calls) == 2:
                raise LexwareRetryableError("connection reset", kind="network")
            return original(client, *args, **kwargs)

        with (
            patch.object(export_check, "PAGE_SIZE", 2),
            patch.object(LexwareClient, "voucherlist_page", cut_off_at_the_second_page),
        ):
            self._run_cron()
            self.assertEqual((run.check_page, run.found_count, run.checked_count), (1, 2, 2))
            first_marked = self._transfer(invoices[0]).sent_at
            self.assertTrue(run.problem)
            self._due_now(run)
            self._run_cron()
        self.assertEqual(calls, [0, 1, 1, 2])
        # All five were in Lexware: nothing to send, the run is done.
        self.assertEqual((run.state, run.found_count, run.checked_count), ("done", 5, 5))
        self.assertEqual((run.skipped_count, run.total_count, run.progress), (5, 5, 100.0))
        self.assertEqual(self._transfer(invoices[0]).sent_at, first_marked)
        self.assertFalse(run.problem)

    def test_the_export_waits_while_the_transfer_talks_to_lexware_for_the_company(self):
        day = date(2015, 4, 5)
        invoice = self._invoice(day)
        run = self._start(day, day)
        # The transfer's worker holds the company's lock on its own connection.
        holder = sql_db.db_connect(self.env.cr.dbname).cursor()
        self.addCleanup(holder.close)
        holder.execute(
            "SELECT pg_try_advisory_xact_lock(%s, %s)", (ADVISORY_LOCK_KEY, self.company.id)
        )
        self.assertTrue(holder.fetchone()[0])
        with self._asked_pages() as asked:
            self.assertEqual(self.env["lexware.export.run"].sudo()._cron_export(), 0)
        self.assertFalse(asked.called)
        self.assertEqual(run.state, "checking")
        self.assertFalse(self._transfer(invoice))
        holder.rollback()
        self._run_cron()
        self.assertEqual(run.state, "running")

    def test_one_export_per_company_at_a_time(self):
        day = date(2015, 5, 6)
        invoice = self._invoice(day)
        trouble = LexwareRetryableError("server trouble (503)", status=503)
        with patch.object(LexwareClient, "voucherlist_page", side_effect=trouble):
            first = self._export(day, day)
        second = self._start(day, day)
        # The first waits for Lexware: the second waits behind it.
        self._run_cron()
        self.assertEqual((first.state, second.state), ("checking", "checking"))
        self.assertFalse(self._transfer(invoice))
        self._due_now(first)
        self._run_cron()
        # The second finds the invoice queued by the first: nothing of its own to send.
        self.assertEqual((first.state, second.state), ("running", "done"))
        self.assertEqual(self._transfer(invoice).export_run_id, first)
        self.assertEqual((second.queued_elsewhere_count, len(second.transfer_ids)), (1, 0))


class TestExportQueue(ExportCase):
    def test_rerunning_the_same_export_queues_nothing_new(self):
        day = date(2024, 8, 15)
        self._invoice(day)
        self._invoice(day, move_type="out_refund")
        first = self._export(day, day)
        rows = self.env["lexware.transfer"].search_count([])
        second = self._export(day, day)
        self.assertEqual(len(first.transfer_ids), 2)
        self.assertFalse(second.transfer_ids)
        self.assertEqual(self.env["lexware.transfer"].search_count([]), rows)
        self.assertEqual(second.queued_elsewhere_count, 2)

    def test_sent_invoices_are_skipped_and_failed_ones_retried(self):
        day = date(2024, 9, 2)
        sent, failed, new = self._invoice(day), self._invoice(day), self._invoice(day)
        transfers = self.env["lexware.transfer"]
        transfers.create(
            [
                {"move_id": sent.id, "state": "sent"},
                {
                    "move_id": failed.id,
                    "state": "failed",
                    "last_error": "categoryId: not found",
                },
            ]
        )
        run = self._export(day, day)
        self.assertEqual(run.transfer_ids.move_id, failed | new)
        self.assertEqual(self._transfer(failed).state, "pending")
        self.assertEqual(self._transfer(sent).state, "sent")
        self.assertEqual((run.total_count, run.skipped_count, run.pending_count), (3, 1, 2))

    def test_the_summary_lists_failures_once_all_rows_are_settled(self):
        day = date(2024, 10, 1)
        good, bad = self._invoice(day), self._invoice(day)
        run = self._export(day, day)
        self.assertEqual(run.state, "running")
        self._transfer(good).write({"state": "sent", "voucher_id": "v-1"})
        self.assertEqual(run.state, "running")
        self.assertAlmostEqual(run.progress, 50.0)
        self._transfer(bad).write(
            {"state": "failed", "last_error": "totalGrossAmount: invalid_total_amount"}
        )
        run.invalidate_recordset()
        self.assertEqual(run.state, "done")
        self.assertEqual((run.sent_count, run.failed_count, run.progress), (1, 1, 100.0))
        self.assertIn("invalid_total_amount", run.failure_summary)
        self.assertIn(bad.name, run.failure_summary)
        summaries = run.message_ids.filtered(lambda m: "invalid_total_amount" in (m.body or ""))
        self.assertEqual(len(summaries), 1)
        self._transfer(bad).write({"last_error": "still"})
        self._transfer(good).write({"state": "sent"})
        self.assertEqual(
            len(run.message_ids.filtered(lambda m: "Export finished" in (m.body or ""))), 1
        )

    def test_selected_invoices_instead_of_a_period(self):
        first = self._invoice(date(2024, 11, 1))
        second = self._invoice(date(2024, 11, 20))
        draft = self._invoice(date(2024, 11, 5), post=False)
        self._invoice(date(2024, 11, 10))
        wizard = (
            self.env["lexware.export.wizard"]
            .with_user(self.accountant)
            .with_context(active_model="account.move", active_ids=(first | second | draft).ids)
            .create({})
        )
        self.assertTrue(wizard.from_selection)
        self.assertIn("2 invoices", wizard.preview)
        action = wizard.action_export()
        run = self.env["lexware.export.run"].browse(action["params"]["next"]["res_id"])
        self._run_cron()
        self.assertEqual(run.transfer_ids.move_id, first | second)
        self.assertEqual((run.date_from, run.date_to), (date(2024, 11, 1), date(2024, 11, 20)))
        self.assertTrue(run.from_selection)

    def test_preview_counts(self):
        day = date(2024, 12, 5)
        invoices = [self._invoice(day) for _ in range(3)]
        self._invoice(day, move_type="out_refund")
        self.env["lexware.transfer"].create(
            [
                {"move_id": invoices[0].id, "state": "sent"},
                {"move_id": invoices[1].id, "state": "failed"},
            ]
        )
        wizard = self._wizard(date(2024, 12, 1), date(2024, 12, 31))
        self.assertEqual(
            (
                wizard.invoice_count,
                wizard.credit_note_count,
                wizard.sent_count,
                wizard.failed_count,
            ),
            (3, 1, 1, 1),
        )
        self.assertEqual(
            wizard.preview,
            "3 invoices, 1 credit note, 1 already in Lexware (skipped), 1 failed before (retried)",
        )
        wizard.move_types = "invoices"
        self.assertEqual(
            wizard.preview,
            "3 invoices, 0 credit notes, 1 already in Lexware (skipped), 1 failed before (retried)",
        )
        wizard.date_from = date(2024, 12, 6)
        self.assertTrue(wizard.preview.startswith("0 invoices, 0 credit notes"))


class TestExportAccess(ExportCase):
    def test_a_plain_invoicing_user_may_not_export(self):
        clerk = new_test_user(
            self.env, login="lexware_clerk", groups="account.group_account_invoice"
        )
        with self.assertRaises(AccessError):
            self._wizard(date(2024, 1, 1), date(2024, 1, 31), user=clerk)
        wizard = self._wizard(date(2024, 1, 1), date(2024, 1, 31))
        with self.assertRaises(AccessError):
            wizard.with_user(clerk).action_export()
        with self.assertRaises(AccessError):
            self.env["lexware.export.run"].with_user(clerk).search([])

    def test_an_administrator_may_export(self):
        admin = new_test_user(self.env, login="lexware_admin", groups="base.group_system")
        invoice = self._invoice(date(2024, 1, 15))
        wizard = self._wizard(date(2024, 1, 1), date(2024, 1, 31), user=admin)
        action = wizard.action_export()
        run = self.env["lexware.export.run"].browse(action["params"]["next"]["res_id"])
        self.assertEqual((run.user_id, run.state), (admin, "checking"))
        self.assertFalse(admin.has_group("account.group_account_manager"), "not as accountant")
        self._run_cron()
        self.assertEqual(run.transfer_ids.move_id, invoice)
        self.assertEqual(run.state, "running")
        self.assertEqual(self.env["lexware.export.run"].with_user(admin).search([]), run)

    def test_an_unconnected_company_is_refused_clearly(self):
        self.company.sudo().lexware_connection_state = "disconnected"
        wizard = self._wizard(date(2024, 1, 1), date(2024, 1, 31), user=self.accountant)
        with self.assertRaisesRegex(UserError, "not connected to Lexware"):
            wizard.action_export()

    def test_runs_and_rows_of_another_company_are_invisible(self):
        other = self.env["res.company"].create({"name": "Filiale B GmbH"})
        run_b = self.env["lexware.export.run"].create({"company_id": other.id})
        run_a = self.env["lexware.export.run"].create({"company_id": self.company.id})
        invoice_b = self._invoice(date(2024, 2, 2))
        row_b = self.env["lexware.transfer"].create(
            {"move_id": invoice_b.id, "export_run_id": run_b.id}
        )
        # A company without a chart can't post: move the posted invoice and its row there.
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE account_move SET company_id = %s WHERE id = %s", (other.id, invoice_b.id)
        )
        self.env.cr.execute(
            "UPDATE lexware_transfer SET company_id = %s WHERE id = %s", (other.id, row_b.id)
        )
        self.env.invalidate_all()
        runs = self.env["lexware.export.run"].with_user(self.accountant).search([])
        self.assertIn(run_a, runs)
        self.assertNotIn(run_b, runs)
        with self.assertRaises(AccessError):
            run_b.with_user(self.accountant).read(["name"])
        rows = self.env["lexware.transfer"].with_user(self.accountant).search([])
        self.assertNotIn(row_b, rows)
        # The wizard of company A never touches company B's invoices either.
        run = self._export(date(2024, 2, 1), date(2024, 2, 29))
        self.assertFalse(run.transfer_ids)
        self.assertEqual(run.total_count, 0)


class _ClockForPages(RunClock):
    """A cron run's clock with time for `pages` voucherlist pages, then none."""

    def __init__(self, pages):
        super().__init__(limit=None, used=0.0, run_max=None)
        self.pages = pages

    def row_deadline(self):
        return super().row_deadline() if self.pages > 0 else None
