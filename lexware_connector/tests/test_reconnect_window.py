"""Never lost while the company waits for a reconnect: invoices posted meanwhile are
queued and go once afterwards; trouble while checking the authorization loses nothing."""

from unittest.mock import patch

from odoo.tests import new_test_user

from ..lexware import LexwareAccessDenied, LexwareAuthError
from ..lexware import client as lexware_client
from .test_transfer_common import TransferCase


class TestReconnectWindow(TransferCase):
    def setUp(self):
        super().setUp()
        self.key = self.company.sudo().lexware_connection_id.api_key
        # Lexware's retries of a GET, without their pauses.
        patcher = patch.object(lexware_client, "BACKOFF_BASE", 0.001)
        patcher.start()
        self.addCleanup(patcher.stop)

    def _lose_connection(self):
        self.company.sudo()._lexware_authorization_lost(LexwareAccessDenied(402))
        self.assertEqual(self.company.lexware_connection_state, "reconnect_needed")

    def test_invoice_posted_while_reconnect_needed_goes_once_after_reconnect(self):
        self._lose_connection()
        move = self._invoice([(120.0, self.tax_19)])
        self.assertEqual(move.lexware_state, "pending", "queued while the company waits")
        self._run_cron()
        self.assertEqual(move.lexware_state, "pending", "the cron leaves it until reconnected")
        self.assertFalse(self._vouchers(move))

        self._connect_company(self.company, api_key=self.key)
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
        self.assertEqual(self._voucher(move)["totalGrossAmount"], 142.8)
        self._run_cron()
        self.assertEqual(len(self._vouchers(move)), 1, "exactly once")

    def test_billing_user_queues_while_reconnect_needed(self):
        self.company.sudo().lexware_auto_transfer = False
        move = self._invoice([(80.0, self.tax_19)])
        self.assertFalse(move.lexware_state)
        self._lose_connection()
        billing = new_test_user(
            self.env, "lx_billing_window", groups="base.group_user,account.group_account_invoice"
        )
        self.assertTrue(move.with_user(billing).lexware_can_send)
        move.with_user(billing).action_lexware_send()
        self.assertEqual(move.lexware_state, "pending")
        self._connect_company(self.company, api_key=self.key, auto_transfer=False)
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
        self._voucher(move)

    def test_server_trouble_while_checking_the_authorization_loses_nothing(self):
        for status in (500, 502, 503):
            with self.subTest(status=status):
                self.sandbox.fail_next(status, times=20, method="GET")
                self.addCleanup(self.sandbox.app.failures.clear)
                self.company.sudo()._lexware_authorization_lost(LexwareAuthError("401"))
                self.sandbox.app.failures.clear()
                self.assertEqual(self.company.lexware_connection_state, "connected")
                self.assertTrue(self.company.sudo().lexware_connection_id.api_key)
        move = self._invoice([(10.0, self.tax_19)])
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")

    def test_no_network_while_checking_the_authorization_loses_nothing(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("lexware_connector.api_url", "http://127.0.0.1:9")
        try:
            self.company.sudo()._lexware_authorization_lost(LexwareAuthError("401"))
        finally:
            params.set_param("lexware_connector.api_url", self.sandbox.url)
        self.assertEqual(self.company.lexware_connection_state, "connected")

    def test_refused_credentials_are_still_a_lost_authorization(self):
        self.company.sudo().lexware_connection_id.api_key = "a-deleted-key"
        self.company.sudo()._lexware_authorization_lost(LexwareAuthError("401"))
        self.assertEqual(self.company.lexware_connection_state, "reconnect_needed")
