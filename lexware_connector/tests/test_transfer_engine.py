"""The engine against the sandbox: from posting to a voucher with its PDF, exactly once."""

from .test_transfer_common import FAKE_PDF, TransferCase


class TestTransferHappyPath(TransferCase):
    def test_posting_queues_without_http_and_the_cron_books_voucher_and_pdf(self):
        before = self.sandbox.counters().get("requests", 0)
        # Connecting in setUp already left a trigger: only a new one shows that posting woke it.
        triggers_before = self._transfer_triggers()
        move = self._invoice([(100.0, self.tax_19), (50.0, self.tax_7)])
        self.assertEqual(move.lexware_state, "pending")
        self.assertEqual(self.sandbox.counters().get("requests", 0), before, "no HTTP on posting")
        self.assertEqual(self._transfer_triggers(), triggers_before + 1, "posting wakes the cron")

        self._run_cron()

        self.assertEqual(move.lexware_state, "sent")
        voucher = self._voucher(move)
        self.assertEqual(move.lexware_voucher_id, voucher["id"])
        self.assertIn(f"/permalink/vouchers/view/{voucher['id']}", move.lexware_voucher_url)
        self.assertEqual(voucher["type"], "salesinvoice")
        self.assertEqual(voucher["voucherDate"][:10], "2025-03-14")
        self.assertEqual(voucher["totalGrossAmount"], 172.5)
        self.assertEqual(voucher["totalTaxAmount"], 22.5)
        self.assertEqual(len(voucher["files"]), 1)
        self.assertTrue(voucher["contactId"])
        contact = next(c for c in self.sandbox.contacts() if c["id"] == voucher["contactId"])
        self.assertEqual(contact["company"]["name"], "Kunde Bau GmbH")
        self.assertEqual(
            self.customer.with_company(self.company).lexware_contact_id, voucher["contactId"]
        )
        self.assertIn("Booked in Lexware Office", move.message_ids[0].body)

    def test_a_known_customer_costs_two_requests_per_invoice(self):
        first = self._invoice([(10.0, self.tax_19)])
        self._run_cron()
        self.assertEqual(first.lexware_state, "sent")
        before = self.sandbox.counters()["requests"]
        moves = [self._invoice([(20.0 + n, self.tax_19)]) for n in range(3)]
        self._run_cron()
        self.assertEqual([m.lexware_state for m in moves], ["sent"] * 3)
        self.assertEqual(self.sandbox.counters()["requests"] - before, 6)

    def test_credit_note_goes_as_salescreditnote_with_positive_amounts(self):
        refund = self._invoice([(119.0, self.tax_19)], move_type="out_refund")
        self._run_cron()
        voucher = self._voucher(refund)
        self.assertEqual(voucher["type"], "salescreditnote")
        self.assertEqual(voucher["totalGrossAmount"], 141.61)
        self.assertEqual(voucher["voucherItems"][0]["amount"], 119.0)

    def test_auto_transfer_off_queues_nothing_but_send_does(self):
        self.company.lexware_auto_transfer = False
        move = self._invoice([(10.0, self.tax_19)])
        self.assertFalse(move.lexware_state)
        move.action_lexware_send()
        self.assertEqual(move.lexware_state, "pending")
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
        result = move.action_lexware_send()
        self.assertEqual(result["params"]["type"], "warning", "a sent invoice is skipped")
        self.assertEqual(len(self._vouchers(move)), 1)

    def test_stored_pdf_is_used(self):
        move = self._invoice([(10.0, self.tax_19)])
        stored = FAKE_PDF + b"stored"
        self.env["ir.attachment"].create(
            {
                "name": "stored.pdf",
                "raw": stored,
                "res_model": "account.move",
                "res_id": move.id,
                "res_field": "invoice_pdf_report_file",
                "mimetype": "application/pdf",
            }
        )
        move.invalidate_recordset(["invoice_pdf_report_id"])
        self.assertEqual(move._lexware_invoice_pdf()[1], stored)
        self.assertEqual(move._lexware_invoice_pdf()[0], "stored.pdf")

    def test_a_pdf_in_the_chatter_is_not_taken_for_the_invoice(self):
        purchase_order = b"%PDF-1.4\n% the customer's purchase order\n"
        move = self._invoice([(10.0, self.tax_19)], post=False)
        move.message_post(
            body="Bestellung des Kunden", attachments=[("Bestellung.pdf", purchase_order)]
        )
        self.assertEqual(move.message_main_attachment_id.raw, purchase_order)
        move.action_post()
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
        files = self._voucher(move)["files"]
        self.assertEqual(len(files), 1)
        _filename, content = self.sandbox.store.file(files[0])
        self.assertEqual(content, FAKE_PDF + move.name.encode(), "the invoice's own PDF")
