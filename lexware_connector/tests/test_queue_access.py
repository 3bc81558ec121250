"""Only the engine writes the queue, and an invoice Lexware holds keeps its number.

Users' attempts go the way RPC sends them: `with_user(user).write(...)` on the records.
"""

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user

from .test_transfer_common import TransferCase

ROW_FIELDS = ("state", "voucher_id", "outcome_unknown", "attempts", "file_uploaded")


class TestQueueAccess(TransferCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.billing = new_test_user(
            cls.env,
            "lx_billing",
            groups="base.group_user,base.group_partner_manager,account.group_account_invoice",
        )
        cls.readonly = new_test_user(
            cls.env, "lx_readonly", groups="base.group_user,account.group_account_readonly"
        )
        cls.accountant = new_test_user(
            cls.env, "lx_accountant", groups="base.group_user,account.group_account_manager"
        )
        cls.access_admin = new_test_user(
            cls.env, "lx_access_admin", groups="base.group_user,base.group_erp_manager"
        )

    def _sent_invoice(self):
        move = self._invoice([(100.0, self.tax_19)])
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
        return move

    def _failed_invoice(self):
        move = self._invoice([(50.0, self.tax_19)])
        move.lexware_transfer_ids.write({"state": "failed", "last_error": "Lexware said no."})
        return move

    @staticmethod
    def _row_values(move):
        return move.lexware_transfer_ids.read(list(ROW_FIELDS))

    # -- item 4: the queue ------------------------------------------------------------

    def test_billing_user_cannot_write_create_or_delete_transfer_rows(self):
        sent = self._sent_invoice()
        pending = self._invoice([(20.0, self.tax_19)])
        before = self._row_values(sent)
        attempts = [
            (sent, {"state": "pending"}),  # a second voucher
            (sent, {"state": "failed"}),  # then reset to draft, post again, same number
            (sent, {"voucher_id": False, "outcome_unknown": False}),
            (pending, {"state": "sent"}),  # never sent
        ]
        for move, values in attempts:
            with self.subTest(values=repr(values)), self.assertRaises(AccessError):
                move.lexware_transfer_ids.with_user(self.billing).write(values)
        self.assertEqual(self._row_values(sent), before)
        self.assertEqual(pending.lexware_state, "pending")
        with self.assertRaises(AccessError):
            sent.lexware_transfer_ids.with_user(self.billing).unlink()
        draft = self._invoice([(5.0, self.tax_19)], post=False)
        with self.assertRaises(AccessError):
            self.env["lexware.transfer"].with_user(self.billing).create(
                {"move_id": draft.id, "state": "sent"}
            )
        # Reading the queue stays open to them.
        rows = self.env["lexware.transfer"].with_user(self.billing).search([])
        self.assertIn(sent.lexware_transfer_ids, rows)
        with self.assertRaises(UserError):
            sent.with_user(self.billing).button_draft()
        self._run_cron()
        self.assertEqual(len(self._vouchers(sent)), 1, "in Lexware exactly once")

    def test_users_cannot_write_the_invoices_lexware_fields(self):
        sent = self._sent_invoice()
        pending = self._invoice([(30.0, self.tax_19)])
        voucher_id = sent.lexware_voucher_id
        admin = self.env.ref("base.user_admin")
        attempts = [
            (pending, {"lexware_state": "sent"}),
            (sent, {"lexware_state": False}),
            (sent, {"lexware_voucher_id": False}),
            (pending, {"lexware_error": "Nothing to see."}),
            (
                sent,
                {
                    "lexware_transfer_ids": [
                        Command.update(sent.lexware_transfer_ids.id, {"state": "pending"})
                    ]
                },
            ),
            (sent, {"lexware_transfer_ids": [Command.unlink(sent.lexware_transfer_ids.id)]}),
        ]
        for user in (self.billing, admin):
            for move, values in attempts:
                with (
                    self.subTest(user=user.login, values=repr(values)),
                    self.assertRaises(AccessError),
                ):
                    move.with_user(user).write(values)
        self.assertEqual(pending.lexware_state, "pending")
        self.assertEqual(sent.lexware_state, "sent")
        self.assertEqual(sent.lexware_voucher_id, voucher_id)
        # The invoice stays on its way: sent once, pending goes.
        self._run_cron()
        self.assertEqual(pending.lexware_state, "sent")
        self._voucher(pending)
        self._voucher(sent)

    def test_state_written_directly_keeps_the_guard(self):
        sent = self._sent_invoice()
        pending = self._invoice([(21.0, self.tax_19)])
        for state in ("draft", "cancel"):
            with self.subTest(state=state), self.assertRaises(UserError) as caught:
                sent.with_user(self.billing).write({"state": state})
            self.assertIn("Lexware cannot delete vouchers", str(caught.exception))
        self.assertEqual(sent.state, "posted")
        # A cancelled invoice that never reached Lexware leaves the queue, as with the button.
        pending.with_user(self.billing).write({"state": "cancel"})
        self.assertFalse(pending.lexware_transfer_ids)
        self._run_cron()
        self.assertFalse(self._vouchers(pending))
        self.assertEqual(len(self._vouchers(sent)), 1)

    def test_read_only_accountant_can_neither_queue_nor_retry(self):
        failed = self._failed_invoice()
        row = failed.lexware_transfer_ids
        with self.assertRaises(AccessError):
            row.with_user(self.readonly).action_retry()
        with self.assertRaises(AccessError):
            failed.with_user(self.readonly).action_lexware_send()
        self.assertEqual(row.state, "failed")
        self.assertEqual(row.last_error, "Lexware said no.")
        # A billing user's retry goes through the same door, and works.
        row.with_user(self.billing).action_retry()
        self.assertEqual(row.state, "pending")
        self.assertFalse(row.last_error)
        self._run_cron()
        self.assertEqual(failed.lexware_state, "sent")
        self._voucher(failed)

    def test_customers_lexware_contact_is_not_users_to_change(self):
        self._sent_invoice()
        partner = self.customer.with_company(self.company)
        contact_id = partner.lexware_contact_id
        self.assertTrue(contact_id)
        for values in (
            {"lexware_contact_id": False},  # a second contact in Lexware
            {"lexware_contact_id": "00000000-0000-0000-0000-000000000000"},
            {"lexware_contact_unsure": True},
        ):
            with self.subTest(values=repr(values)), self.assertRaises(AccessError):
                partner.with_user(self.billing).write(values)
        self.assertEqual(partner.lexware_contact_id, contact_id)
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.billing).create(
                {"name": "Doppelgänger", "lexware_contact_id": contact_id}
            )
        # Unchanged values pass (a merge of customers writes them), other fields too.
        partner.with_user(self.billing).write(
            {"lexware_contact_id": contact_id, "phone": "+49 30 1234"}
        )
        self.assertEqual(partner.phone, "+49 30 1234")

    def test_company_lexware_settings_are_for_administrators(self):
        company = self.company
        company.sudo().lexware_connection_state = "reconnect_needed"
        for values in (
            {"lexware_connection_state": "connected"},
            {"lexware_organization_id": "another-organisation"},
            {"lexware_auto_transfer": False},
        ):
            with self.subTest(values=repr(values)), self.assertRaises(AccessError):
                company.with_user(self.access_admin).write(values)
        self.assertEqual(company.lexware_connection_state, "reconnect_needed")
        self.assertEqual(company.lexware_organization_id, self.organization_id)
        self.assertTrue(company.lexware_auto_transfer)
        company.with_user(self.access_admin).write({"sequence": 7})
        self.assertEqual(company.sequence, 7)

    def test_export_runs_are_not_users_to_write(self):
        pending = self._invoice([(40.0, self.tax_19)])
        run = self.env["lexware.export.run"].sudo().create({"company_id": self.company.id})
        pending.lexware_transfer_ids.sudo().export_run_id = run
        state = run.state
        for values in (
            {"state": "done"},
            {"transfer_ids": [Command.update(pending.lexware_transfer_ids.id, {"state": "sent"})]},
        ):
            with self.subTest(values=repr(values)), self.assertRaises(AccessError):
                run.with_user(self.accountant).write(values)
        with self.assertRaises(AccessError):
            run.with_user(self.accountant).unlink()
        self.assertEqual(run.state, state)
        self.assertNotEqual(state, "done")
        self.assertEqual(pending.lexware_state, "pending")

    # -- item 5: renumbering ----------------------------------------------------------

    def _assert_refused_renumbering(self, move, caught):
        message = str(caught.exception)
        self.assertIn(move.name, message)
        self.assertIn("cannot change", message)
        self.assertIn("Lexware cannot delete vouchers", message)
        self.assertIn("credit note", message)

    def test_invoice_in_lexware_keeps_its_number(self):
        sent = self._sent_invoice()
        sending = self._invoice([(11.0, self.tax_19)])
        sending.lexware_transfer_ids.write({"state": "sending"})
        unknown = self._invoice([(12.0, self.tax_19)])
        unknown.lexware_transfer_ids.write({"outcome_unknown": True})
        for move in (sent, sending, unknown):
            name = move.name
            with self.subTest(state=move.lexware_state), self.assertRaises(UserError) as caught:
                move.with_user(self.accountant).write({"name": "INV/2025/09999"})
            self._assert_refused_renumbering(move, caught)
            self.assertEqual(move.name, name)
        # Writing the same number is no change.
        sent.write({"name": sent.name})

    def test_resequence_wizard_refuses_invoices_in_lexware(self):
        sent = self._sent_invoice()
        names = sent.name
        wizard = (
            self.env["account.resequence.wizard"]
            .with_user(self.accountant)
            .with_context(active_model="account.move", active_ids=sent.ids)
            .create({"first_name": "INV/2025/00900", "ordering": "keep"})
        )
        with self.assertRaises(UserError) as caught:
            wizard.resequence()
        self._assert_refused_renumbering(sent, caught)
        self.assertEqual(sent.name, names)
        self._voucher(sent)

    def test_invoices_never_sent_may_be_renumbered(self):
        pending = self._invoice([(13.0, self.tax_19)])
        failed = self._failed_invoice()
        pending.with_user(self.accountant).write({"name": "INV/2025/00800"})
        self.assertEqual(pending.name, "INV/2025/00800")
        wizard = (
            self.env["account.resequence.wizard"]
            .with_user(self.accountant)
            .with_context(active_model="account.move", active_ids=failed.ids)
            .create({"first_name": "INV/2025/00801", "ordering": "keep"})
        )
        wizard.resequence()
        self.assertEqual(failed.name, "INV/2025/00801")
        failed.lexware_transfer_ids.sudo().action_retry()
        self._run_cron()
        self.assertEqual(self._voucher(pending)["voucherNumber"], "INV/2025/00800")
        self.assertEqual(self._voucher(failed)["voucherNumber"], "INV/2025/00801")
