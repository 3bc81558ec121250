"""What a disconnect or a connection to another organisation leaves of the transfer history."""

from .test_transfer_common import TransferCase


class TestConnectionHistory(TransferCase):
    def _disconnect(self):
        self.company.with_user(self.env.ref("base.user_admin"))._lexware_action_disconnect()

    def _sent_invoice(self):
        move = self._invoice([(100.0, self.tax_19)])
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
        return move

    def test_disconnect_keeps_every_invoice_state_and_voucher(self):
        sent = self._sent_invoice()
        voucher_id = sent.lexware_voucher_id
        waiting = self._invoice([(50.0, self.tax_7)])
        self.assertEqual(waiting.lexware_state, "pending")

        self._disconnect()

        self.assertEqual(self.company.lexware_connection_state, "disconnected")
        self.assertEqual((sent.lexware_state, sent.lexware_voucher_id), ("sent", voucher_id))
        self.assertEqual(waiting.lexware_state, "pending")
        self.assertEqual(self._run_cron(), 0, "nothing goes while disconnected")
        self.assertEqual(waiting.lexware_state, "pending")

    def test_reconnecting_the_same_organisation_keeps_the_customers_contacts(self):
        self._sent_invoice()
        contact_id = self.customer.with_company(self.company).lexware_contact_id
        self.assertTrue(contact_id)

        self._disconnect()
        self._connect_company(
            self.company, api_key=f"key-{type(self).__name__}-{self._testMethodName}"
        )

        self.assertEqual(self.customer.with_company(self.company).lexware_contact_id, contact_id)

    def test_connecting_another_organisation_forgets_the_old_contact_ids(self):
        self._sent_invoice()
        self._disconnect()
        other_org = self.sandbox.add_organization("Andere Firma GmbH", api_key="key-other-org")
        self._connect_company(self.company, api_key="key-other-org")

        self.assertFalse(self.customer.with_company(self.company).lexware_contact_id)
        move = self._invoice([(80.0, self.tax_19)])
        self._run_cron()

        self.assertEqual(move.lexware_state, "sent")
        voucher = next(
            v for v in self.sandbox.vouchers(number=move.name) if v["organizationId"] == other_org
        )
        contact_ids = {
            contact["id"]
            for contact in self.sandbox.contacts()
            if contact.get("organizationId") == other_org
        }
        self.assertIn(voucher["contactId"], contact_ids)
