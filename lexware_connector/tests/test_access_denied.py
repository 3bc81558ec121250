"""A 403 (a scope the connection lacks) or a 402 (the contract) is the connection's
problem, not the invoice's: the company needs reconnecting, the invoices wait and go once."""

from unittest.mock import patch

from odoo.exceptions import UserError

from ..lexware import SCOPES, LexwareAccessDenied, LexwareClient
from .test_transfer_common import TransferCase

MISSING_VOUCHERS_WRITE = "Missing scope vouchers.write"


class TestAccessDenied(TransferCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.env.ref("base.user_admin")

    # -- helpers --------------------------------------------------------------------------

    def _connect_oauth(self, scopes=None):
        """Into this test's organisation, granting only `scopes`."""
        return super()._connect_oauth(self.company, scopes, self.organization_id)

    @staticmethod
    def _watching_profile():
        """Counts the calls of GET /v1/profile, which still go to the sandbox."""
        return patch.object(
            LexwareClient, "get_profile", autospec=True, side_effect=LexwareClient.get_profile
        )

    def _admin_notifications(self):
        return self.env["mail.notification"].search(
            [("res_partner_id", "=", self.admin.partner_id.id)], order="id desc"
        )

    def _assert_waiting_for_reconnect(self, move, words, notified_before):
        row = move.lexware_transfer_ids
        self.assertEqual(move.lexware_state, "pending", "not failed: the invoice is fine")
        self.assertEqual(row.attempts, 0)
        self.assertFalse(row.next_attempt_at)
        self.assertFalse(move.lexware_error)
        self.assertFalse(move.activity_ids, "no failure activity for the accountant")
        self.assertFalse(
            any("failed" in str(message.body) for message in move.message_ids),
            "no failure message on the invoice",
        )
        company = self.company
        self.assertEqual(company.lexware_connection_state, "reconnect_needed")
        self.assertFalse(company.lexware_connected)
        self.assertTrue(company.lexware_auto_transfer, "the switch waits for the reconnection")
        for word in words:
            self.assertIn(word, company.lexware_last_error)
        new = self._admin_notifications() - notified_before
        self.assertTrue(new, "the admins are told")
        message = new[0].mail_message_id
        self.assertIn("reconnect", message.subject.lower())
        self.assertIn(words[0], str(message.body))
        self.assertIn("stay queued", str(message.body))
        # Not connected: the next runs leave the invoice alone.
        self._run_cron()
        self.assertEqual(move.lexware_state, "pending")
        self.assertFalse(self._vouchers(move))

    # -- 403 ------------------------------------------------------------------------------

    def test_403_missing_scope_waits_for_reconnect_then_sends_once(self):
        fewer = [scope for scope in SCOPES if scope != "vouchers.write"]
        company = self._connect_oauth(fewer)
        self.assertEqual(company.lexware_connection_state, "connected")
        self.assertEqual(company.lexware_connection_mode, "oauth")
        notified_before = self._admin_notifications()
        move = self._invoice([(10.0, self.tax_19)])
        self.assertEqual(move.lexware_state, "pending")
        # The profile answers with this connection: asking it would keep the company
        # "connected" and the cron retrying the same invoice for ever.
        with self._watching_profile() as profile:
            self._run_cron()
        profile.assert_not_called()
        self._assert_waiting_for_reconnect(
            move,
            [f"HTTP 403: {MISSING_VOUCHERS_WRITE}", "permission", "allow everything"],
            notified_before,
        )

        self._connect_oauth()
        self.assertEqual(company.lexware_connection_state, "connected")
        self.assertFalse(company.lexware_last_error)
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
        self.assertEqual(self._voucher(move)["id"], move.lexware_voucher_id)
        self._run_cron()
        self.assertEqual(len(self._vouchers(move)), 1, "sent exactly once")

    def test_a_lost_authorization_is_still_verified_first(self):
        """Only 402 and 403 skip the check; a refused token may have been rotated."""
        move = self._invoice([(10.0, self.tax_19)])
        with self._watching_profile() as profile:
            self.company.sudo()._lexware_authorization_lost(RuntimeError("401"))
        profile.assert_called_once()
        self.assertEqual(self.company.lexware_connection_state, "connected")
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")

    # -- 402 ------------------------------------------------------------------------------

    def test_402_contract_waits_for_reconnect_then_sends_once(self):
        key = self.company.sudo().lexware_connection_id.api_key
        notified_before = self._admin_notifications()
        move = self._invoice([(10.0, self.tax_19)])
        # The organisation's contract no longer covers the API: every call answers 402.
        self.sandbox.set_payment_required(self.organization_id)
        with self._watching_profile() as profile:
            self._run_cron()
        profile.assert_not_called()
        self._assert_waiting_for_reconnect(
            move, ["contract (HTTP 402", "Lexware Office plan"], notified_before
        )

        # Connecting while the contract is still not in order says so.
        with self.assertRaises(UserError) as caught:
            self._connect_company(self.company, api_key=key)
        self.assertIn("contract (HTTP 402", str(caught.exception))
        self.assertNotIn("refused this API key", str(caught.exception))

        self.sandbox.set_payment_required(self.organization_id, required=False)
        self._connect_company(self.company, api_key=key)
        self.assertFalse(self.company.lexware_last_error)
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
        self._voucher(move)

    def test_the_words_are_german_for_a_german_reader(self):
        self.env["res.lang"]._activate_lang("de_DE")
        self.admin.lang = "de_DE"
        move = self._invoice([(10.0, self.tax_19)], invoice_user_id=self.admin.id)
        denied = LexwareAccessDenied(403, reason=MISSING_VOUCHERS_WRITE)
        with patch.object(LexwareClient, "create_voucher", side_effect=denied):
            self._run_cron()
        self.assertEqual(move.lexware_state, "pending")
        self.assertEqual(self.company.lexware_connection_state, "reconnect_needed")
        self.assertIn(
            f"verweigert dieser Verbindung eine Berechtigung, die sie braucht "
            f"(HTTP 403: {MISSING_VOUCHERS_WRITE})",
            self.company.lexware_last_error,
        )
        notification = self._admin_notifications()[:1]
        self.assertIn("bleiben vorgemerkt", str(notification.mail_message_id.body))

    # -- connecting -----------------------------------------------------------------------

    def test_connecting_without_profile_read_says_which_permission_is_missing(self):
        self.company.sudo()._lexware_action_disconnect()
        fewer = [scope for scope in SCOPES if scope != "profile.read"]
        with self.assertRaises(UserError) as caught:
            self._connect_oauth(fewer)
        self.assertIn("HTTP 403: Missing scope profile.read", str(caught.exception))
        self.assertNotEqual(self.company.lexware_connection_state, "connected")

    def test_connecting_without_vouchers_read_is_refused_too(self):
        """The posting categories are a voucher read: a connection that cannot read them
        cannot book either, so it is not taken."""
        self.company.sudo()._lexware_action_disconnect()
        fewer = [scope for scope in SCOPES if scope != "vouchers.read"]
        with self.assertRaises(UserError) as caught:
            self._connect_oauth(fewer)
        self.assertIn("HTTP 403: Missing scope vouchers.read", str(caught.exception))
        self.assertNotEqual(self.company.lexware_connection_state, "connected")
