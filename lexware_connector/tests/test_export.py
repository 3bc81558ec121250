"""The export wizard: which invoices it queues, what it skips, who may run it."""

from datetime import date
from unittest.mock import patch

import requests

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from ..lexware import LexwareAccessDenied, LexwareClient, LexwareRetryableError
from ..wizard import lexware_export_wizard as export_wizard
from .common import SANDBOX_API_KEY as API_KEY
from .common import LexwareSandboxCase

REVENUE = "8f8664a1-fd86-11e1-a21f-0800200c9a66"


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

    def _export(self, date_from, date_to, **values):
        wizard = self._wizard(date_from, date_to, user=self.accountant, **values)
        action = wizard.action_export()
        run_id = action["params"]["next"]["res_id"]
        return self.env["lexware.export.run"].browse(run_id)

    def _transfer(self, move):
        return self.env["lexware.transfer"].search([("move_id", "=", move.id)])

    def _post_voucher(self, number, day, voucher_type="salesinvoice"):
        response = requests.post(
            f"{self.sandbox.url}/v1/vouchers",
            json={
                "type": voucher_type,
                "voucherNumber": number,
                "voucherDate": day.isoformat(),
                "totalGrossAmount": 119.0,
                "totalTaxAmount": 19.0,
                "taxType": "net",
                "useCollectiveContact": True,
                "voucherItems": [
                    {
                        "amount": 100.0,
                        "taxAmount": 19.0,
                        "taxRatePercent": 19,
                        "categoryId": REVENUE,
                    }
                ],
            },
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()["id"]


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

    def test_the_engine_is_triggered_and_the_answer_opens_the_run(self):
        self._invoice(date(2024, 7, 1))
        cron = self.env.ref("lexware_connector.ir_cron_lexware_transfer")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        wizard = self._wizard(date(2024, 7, 1), date(2024, 7, 31), user=self.accountant)
        action = wizard.action_export()
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            len(triggers),
        )
        self.assertEqual(action["tag"], "display_notification")
        run = self.env["lexware.export.run"].browse(action["params"]["next"]["res_id"])
        self.assertEqual(action["params"]["next"]["res_model"], "lexware.export.run")
        self.assertIn(f"/odoo/lexware.export.run/{run.id}", action["params"]["links"][0]["url"])
        self.assertEqual(run.user_id, self.accountant)
        self.assertEqual(run.company_id, self.company)


class TestExportLexwareFirst(ExportCase):
    def test_numbers_already_in_lexware_are_marked_sent_not_sent_again(self):
        day = date(2019, 3, 14)
        booked_by_hand = self._invoice(day)
        new = self._invoice(day)
        credit_note = self._invoice(day, move_type="out_refund")
        voucher_id = self._post_voucher(booked_by_hand.name, day)
        # The same number as a credit note, or in another period, is another voucher.
        self._post_voucher(credit_note.name.replace("R", "X"), day, "salescreditnote")
        self._post_voucher(new.name, date(2019, 4, 2))
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
        voucher_ids = [self._post_voucher(invoice.name, day) for invoice in invoices[:3]]
        # Two invoices a batch: the third found one goes in a second batch.
        with patch.object(export_wizard, "MARK_BATCH", 2):
            run = self._export(day, day)

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

    def test_a_failed_invoice_found_in_lexware_is_marked_sent(self):
        day = date(2018, 5, 6)
        invoice = self._invoice(day)
        self.env["lexware.transfer"].create(
            {
                "move_id": invoice.id,
                "state": "failed",
                "last_error": "timeout",
            }
        )
        voucher_id = self._post_voucher(invoice.name, day)
        run = self._export(day, day)
        self.assertEqual(self._transfer(invoice).state, "sent")
        self.assertEqual(self._transfer(invoice).voucher_id, voucher_id)
        self.assertFalse(run.transfer_ids)
        self.assertEqual(run.state, "done")

    def test_when_lexware_refuses_the_question_nothing_is_queued(self):
        day = date(2017, 6, 6)
        invoice = self._invoice(day)
        self.company.sudo().lexware_api_key = "revoked-key"
        wizard = self._wizard(day, day, user=self.accountant)
        with self.assertRaisesRegex(UserError, "Nothing was queued"):
            wizard.action_export()
        self.assertFalse(self._transfer(invoice))
        self.assertFalse(self.env["lexware.export.run"].search([]))
        # Marked at once (outside tests in a transaction of its own), so the settings
        # offer Connect although the export is rolled back.
        self.assertEqual(self.company.lexware_connection_state, "reconnect_needed")

    def test_a_denied_permission_or_contract_says_so_and_queues_nothing(self):
        day = date(2017, 6, 7)
        invoice = self._invoice(day)
        for denied, words in (
            (LexwareAccessDenied(403, reason="Missing scope vouchers.read"), "permission"),
            (LexwareAccessDenied(402), "contract (HTTP 402)"),
        ):
            with self.subTest(status=denied.status):
                wizard = self._wizard(day, day, user=self.accountant)
                # Not assertRaises: Odoo's rolls back a savepoint, and the company is marked
                # in a transaction of its own outside tests.
                with (
                    patch.object(LexwareClient, "iter_voucherlist", side_effect=denied),
                    self.assertRaisesRegex(UserError, "Nothing was queued") as caught,
                ):
                    wizard.action_export()
                message = str(caught.exception)
                self.assertIn(words, message)
                self.assertIn("Nothing was queued", message)
                self.assertNotIn("Try again in a moment", message)
                self.assertFalse(self._transfer(invoice))
                self.assertFalse(self.env["lexware.export.run"].search([]))
                self.assertEqual(self.company.lexware_connection_state, "reconnect_needed")
                self.assertIn(words, self.company.lexware_last_error)
                self.company.sudo().lexware_connection_state = "connected"

    def test_lexware_in_trouble_says_so_in_words_and_queues_nothing(self):
        day = date(2017, 6, 8)
        invoice = self._invoice(day)
        trouble = LexwareRetryableError(
            "Lexware GET /v1/voucherlist: server trouble (503), gave up after 5 attempts",
            status=503,
        )
        wizard = self._wizard(day, day, user=self.accountant)
        with (
            patch.object(LexwareClient, "iter_voucherlist", side_effect=trouble),
            self.assertRaises(UserError) as caught,
        ):
            wizard.action_export()
        message = str(caught.exception)
        self.assertIn("Lexware Office has a server problem (HTTP 503).", message)
        self.assertNotIn("/v1/voucherlist", message)
        self.assertIn("Try again in a moment", message)
        self.assertFalse(self._transfer(invoice))


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
        self._invoice(date(2024, 1, 15))
        wizard = self._wizard(date(2024, 1, 1), date(2024, 1, 31), user=admin)
        wizard.action_export()

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
