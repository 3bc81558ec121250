"""Shared setup for the payment sync tests: a connected company with the sync on, invoices
sent to the sandbox, payments booked there as Lexware's web app books them, and the
polling run inside the test transaction."""

from odoo import fields

from .test_transfer_common import TransferCase

INVOICE_DATE = fields.Date.from_string("2025-03-14")


class PaymentsCase(TransferCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.journal = cls.env["account.journal"].search(
            [("company_id", "=", cls.company.id), ("type", "=", "bank")], limit=1
        )

    def setUp(self):
        super().setUp()
        self.company.sudo().write(
            {"lexware_payment_sync": True, "lexware_payment_journal_id": self.journal.id}
        )

    def _sent(self, amount=100.0, move_type="out_invoice", **values):
        """An invoice (or credit note) of `amount` net at 19 %, sent to Lexware."""
        move = self._invoice([(amount, self.tax_19)], move_type=move_type, **values)
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent", move.lexware_error)
        return move

    def _sync(self):
        """One polling run; answers the requests it made to Lexware."""
        before = self.sandbox.counters()["requests"]
        self.env["lexware.payment.sync"]._cron_sync()
        self.env.invalidate_all()
        return self.sandbox.counters()["requests"] - before

    def _registered(self, move):
        return move.lexware_payment_ids.filtered(lambda row: row.outcome == "registered")

    def _notes(self, move, text):
        return move.message_ids.filtered(lambda message: text in (message.body or ""))
