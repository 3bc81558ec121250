import json
import time
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

import requests

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from ..lexware import LexwareAuthError
from .common import (
    SANDBOX_API_KEY,
    SANDBOX_CLIENT_ID,
    SANDBOX_ORGANIZATION,
    LexwareSandboxCase,
    LexwareSandboxHttpCase,
)

EINNAHMEN = "8f8664a1-fd86-11e1-a21f-0800200c9a66"
SETTINGS_URL = "/odoo/settings"


def _settings(env, company=None):
    company = company or env.company
    return env["res.config.settings"].with_company(company).create({})


@tagged("post_install", "-at_install")
class TestConnectApiKey(LexwareSandboxCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        cls.admin = cls.env.ref("base.user_admin")
        cls.admin_env = cls.env(user=cls.admin)

    def _connect_with_key(self, key, company=None):
        company = company or self.company
        env = self.admin_env(context={"allowed_company_ids": [company.id]})
        settings = _settings(env, company)
        settings.lexware_api_key = key
        settings.execute()
        return _settings(env, company).action_lexware_connect()

    def test_valid_api_key_connects_and_reads_profile_and_categories(self):
        action = self._connect_with_key(SANDBOX_API_KEY)
        self.assertEqual(action["tag"], "display_notification")
        company = self.company
        self.assertEqual(company.lexware_connection_state, "connected")
        self.assertTrue(company.lexware_connected)
        self.assertEqual(company.lexware_connection_mode, "api_key")
        self.assertEqual(company.lexware_organization_name, SANDBOX_ORGANIZATION)
        self.assertTrue(company.lexware_organization_id)
        self.assertEqual(company.lexware_connected_by, self.admin)
        self.assertTrue(company.lexware_connected_since)
        self.assertFalse(company.lexware_auto_transfer, "auto transfer is off by default")
        categories = json.loads(company.lexware_posting_categories)
        self.assertIn(EINNAHMEN, {category["id"] for category in categories})
        self.assertEqual(company.lexware_default_category_id, EINNAHMEN)
        self.assertEqual(company._lexware_category("revenue"), EINNAHMEN)
        self.assertEqual(_settings(self.admin_env).lexware_revenue_category, "revenue_general")
        profile = company._lexware_client().get_profile()
        self.assertEqual(profile["companyName"], SANDBOX_ORGANIZATION)
        note = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", company.partner_id.id)], limit=1
        )
        self.assertIn(SANDBOX_ORGANIZATION, note.body)

    def test_invalid_api_key_is_refused_and_nothing_is_connected(self):
        with self.assertRaises(UserError) as caught:
            self._connect_with_key("not-a-key")
        self.assertIn("refused this API key", str(caught.exception))
        self.assertNotIn("not-a-key", str(caught.exception))
        self.assertEqual(self.company.lexware_connection_state, "disconnected")
        self.assertFalse(self.company.lexware_organization_name)

    def test_connect_without_a_key_asks_for_one(self):
        with self.assertRaises(UserError):
            _settings(self.admin_env).action_lexware_connect()
        self.assertFalse(self.company.lexware_connected)

    def test_non_eur_company_is_refused(self):
        usd = self.env.ref("base.USD")
        usd.active = True
        other = self.env["res.company"].create({"name": "Dollar GmbH", "currency_id": usd.id})
        self.admin.company_ids |= other
        with self.assertRaises(UserError) as caught:
            self._connect_with_key(SANDBOX_API_KEY, company=other)
        self.assertIn("euros", str(caught.exception))
        self.assertFalse(other.lexware_connected)

    def test_each_company_connects_its_own_organisation(self):
        self.sandbox.add_organization("Zweite Firma KG", api_key="second-key")
        other = self.env["res.company"].create(
            {"name": "Zweite Firma", "currency_id": self.env.ref("base.EUR").id}
        )
        self.admin.company_ids |= other
        self._connect_with_key(SANDBOX_API_KEY)
        self._connect_with_key("second-key", company=other)
        self.assertEqual(self.company.lexware_organization_name, SANDBOX_ORGANIZATION)
        self.assertEqual(other.lexware_organization_name, "Zweite Firma KG")
        self.assertNotEqual(self.company.lexware_organization_id, other.lexware_organization_id)
        env = self.admin_env(context={"allowed_company_ids": [other.id]})
        _settings(env, other).action_lexware_disconnect()
        self.assertFalse(other.lexware_connected)
        self.assertTrue(self.company.lexware_connected, "the other company stays connected")

    def test_connect_helper_and_settings_fields(self):
        company = self._connect_company()
        self.assertTrue(company.lexware_connected)
        self.assertTrue(company.lexware_auto_transfer)
        settings = _settings(self.admin_env)
        self.assertEqual(settings.lexware_organization_name, SANDBOX_ORGANIZATION)
        self.assertEqual(settings.lexware_connection_mode, "api_key")
        self.assertTrue(settings.lexware_auto_transfer)

    def test_choosing_the_default_revenue_category(self):
        self._connect_company()
        settings = _settings(self.admin_env)
        settings.lexware_revenue_category = "revenue_services"
        settings.execute()
        self.assertEqual(
            self.company.lexware_default_category_id, "8f8664a0-fd86-11e1-a21f-0800200c9a66"
        )
        self.assertEqual(_settings(self.admin_env).lexware_revenue_category, "revenue_services")

    def test_disconnect_erases_secrets_switches_auto_transfer_off_keeps_history(self):
        company = self._connect_company()
        moves = self.env["account.move"].search([("company_id", "=", company.id)], limit=5)
        tracked = [
            name for name in ("lexware_state", "lexware_voucher_id") if name in moves._fields
        ]
        before = moves.read(tracked) if tracked else []
        _settings(self.admin_env).action_lexware_disconnect()
        self.assertEqual(company.lexware_connection_state, "disconnected")
        self.assertFalse(company.lexware_auto_transfer)
        self.assertFalse(company.sudo().lexware_connection_id.api_key)
        self.assertFalse(company.lexware_organization_name)
        if tracked:
            self.assertEqual(moves.read(tracked), before)
        with self.assertRaises(UserError):
            company._lexware_client()

    def test_client_of_a_disconnected_company_raises_user_error(self):
        with self.assertRaises(UserError):
            self.company._lexware_client()

    def test_connect_triggers_the_transfer_cron(self):
        cron = self.env.ref("lexware_connector.ir_cron_lexware_transfer")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        self._connect_company()
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers
        )

    def test_a_revoked_api_key_means_reconnect_needed(self):
        company = self._connect_company()
        # As if the key had been deleted in Lexware: it no longer opens the door.
        company.sudo().lexware_connection_id.api_key = "a-deleted-key"
        self._assert_lost_and_admins_told(company)

    def _assert_lost_and_admins_told(self, company):
        with self.assertRaises(LexwareAuthError) as caught:
            company._lexware_client().get_profile()
        company._lexware_authorization_lost(caught.exception)
        self.assertEqual(company.lexware_connection_state, "reconnect_needed")
        self.assertFalse(company.lexware_connected)
        self.assertTrue(company.lexware_auto_transfer, "the switch waits for the reconnection")
        admin_env = self.env(user=self.admin)
        self.assertEqual(_settings(admin_env).lexware_connection_state, "reconnect_needed")
        notification = self.env["mail.notification"].search(
            [("res_partner_id", "=", self.admin.partner_id.id)], order="id desc", limit=1
        )
        self.assertIn("reconnect", notification.mail_message_id.subject.lower())
        self.assertIn("Connect", str(notification.mail_message_id.body))


@tagged("post_install", "-at_install")
class TestOAuthTokens(LexwareSandboxCase):
    """The token lifecycle of an OAuth connection, driven without a browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._use_oauth()
        cls.company = cls.env.ref("base.main_company")
        cls.admin = cls.env.ref("base.user_admin")
        cls.env["ir.config_parameter"].sudo().set_param("web.base.url", "http://odoo.test")

    def test_authorize_url_carries_what_lexware_needs(self):
        action = self.company.with_user(self.admin)._lexware_action_connect()
        self.assertEqual(action["type"], "ir.actions.act_url")
        parts = urlsplit(action["url"])
        self.assertEqual(f"{parts.scheme}://{parts.netloc}", self.sandbox.url)
        self.assertEqual(parts.path, "/oauth2/authorize")
        query = parse_qs(parts.query)
        self.assertEqual(query["client_id"], [SANDBOX_CLIENT_ID])
        self.assertEqual(query["redirect_uri"], ["http://odoo.test/lexware/oauth/callback"])
        self.assertEqual(query["response_type"], ["code"])
        self.assertIn("vouchers.write", query["scope"][0].split())
        self.assertEqual(query["code_challenge_method"], ["S256"])
        state = query["state"][0]
        self.assertTrue(state.startswith(f"{self.company.id}."))
        self.assertNotIn(
            state.split(".", 1)[1], str(self.company.sudo().lexware_connection_id.oauth_state_hash)
        )
        self.assertEqual(self.company.sudo().lexware_connection_id.oauth_user_id, self.admin)

    def test_code_exchange_connects_with_oauth(self):
        location = self._consent(self.company)
        self.assertTrue(location.startswith("http://odoo.test/lexware/oauth/callback?"))
        company = self._connect_oauth()
        self.assertEqual(company.lexware_connection_state, "connected")
        self.assertEqual(company.lexware_connection_mode, "oauth")
        self.assertEqual(company.lexware_organization_name, SANDBOX_ORGANIZATION)
        self.assertTrue(company.sudo().lexware_connection_id.refresh_token)
        self.assertGreater(
            company.sudo().lexware_connection_id.token_expires_at, time.time() + 3000
        )
        self.assertFalse(
            company.sudo().lexware_connection_id.oauth_state_hash, "the state is used up"
        )

    def test_refresh_before_expiry_stores_the_rotated_tokens(self):
        company = self._connect_oauth()
        old_refresh = company.sudo().lexware_connection_id.refresh_token
        company.sudo().lexware_connection_id.token_expires_at = (
            time.time() + 10
        )  # within the margin
        profile = company._lexware_client().get_profile()
        self.assertEqual(profile["companyName"], SANDBOX_ORGANIZATION)
        new_refresh = company.sudo().lexware_connection_id.refresh_token
        self.assertTrue(new_refresh)
        self.assertNotEqual(new_refresh, old_refresh)
        self.assertGreater(
            company.sudo().lexware_connection_id.token_expires_at, time.time() + 3000
        )
        # The next client starts from the stored, rotated tokens.
        self.assertEqual(
            company._lexware_client().get_profile()["companyName"], SANDBOX_ORGANIZATION
        )

    def test_refresh_after_401_stores_the_rotated_tokens(self):
        company = self._connect_oauth()
        old_access = company.sudo().lexware_connection_id.access_token
        old_refresh = company.sudo().lexware_connection_id.refresh_token
        self.sandbox.expire_access_tokens()
        self.assertEqual(
            company._lexware_client().get_profile()["companyName"], SANDBOX_ORGANIZATION
        )
        self.assertNotEqual(company.sudo().lexware_connection_id.access_token, old_access)
        self.assertNotEqual(company.sudo().lexware_connection_id.refresh_token, old_refresh)

    def test_rotated_tokens_are_stored_in_their_own_transaction(self):
        company = self._connect_oauth()
        self.sandbox.expire_access_tokens()
        opened = []
        registry_cursor = type(self.registry).cursor

        def spy(registry, *args, **kwargs):
            opened.append(True)
            return registry_cursor(registry, *args, **kwargs)

        with patch.object(type(self.registry), "cursor", spy):
            company._lexware_client().get_profile()
        self.assertGreaterEqual(len(opened), 2, "one cursor to read, one to store")

    def test_a_token_rotated_by_another_worker_is_no_lost_authorization(self):
        company = self._connect_oauth()
        stale_client = company._lexware_client()
        self.sandbox.expire_access_tokens()
        # Another worker refreshes first and stores the rotated tokens.
        company._lexware_client().get_profile()
        with self.assertRaises(LexwareAuthError) as caught:
            stale_client.get_profile()
        company._lexware_authorization_lost(caught.exception)
        self.assertEqual(company.lexware_connection_state, "connected")
        self.assertEqual(
            company._lexware_client().get_profile()["companyName"], SANDBOX_ORGANIZATION
        )

    def test_refused_refresh_means_reconnect_needed_and_admins_told(self):
        company = self._connect_oauth()
        company.lexware_auto_transfer = True
        self.sandbox.revoke_all()
        self.sandbox.expire_access_tokens()
        TestConnectApiKey._assert_lost_and_admins_told(self, company)
        self.assertFalse(company.sudo().lexware_connection_id.access_token)

    def test_disconnect_revokes_the_refresh_token(self):
        company = self._connect_oauth()
        refresh_token = company.sudo().lexware_connection_id.refresh_token
        company.with_user(self.admin)._lexware_action_disconnect()
        self.assertEqual(company.lexware_connection_state, "disconnected")
        self.assertFalse(company.sudo().lexware_connection_id.refresh_token)
        self.assertFalse(company.sudo().lexware_connection_id.access_token)
        answer = requests.post(
            f"{self.sandbox.url}/oauth2/token",
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=(SANDBOX_CLIENT_ID, "sandbox-secret"),
            timeout=10,
        )
        self.assertEqual(answer.status_code, 400)
        self.assertEqual(answer.json()["error"], "invalid_grant")

    def test_disconnect_goes_on_when_revoking_fails(self):
        company = self._connect_oauth()
        self.env["ir.config_parameter"].sudo().set_param(
            "lexware_connector.auth_url", "http://127.0.0.1:9"
        )
        try:
            with self.assertLogs("odoo.addons.lexware_connector.models", "WARNING") as logs:
                company.with_user(self.admin)._lexware_action_disconnect()
        finally:
            self.env["ir.config_parameter"].sudo().set_param(
                "lexware_connector.auth_url", self.sandbox.url
            )
        self.assertEqual(company.lexware_connection_state, "disconnected")
        self.assertFalse(company.sudo().lexware_connection_id.refresh_token)
        self.assertIn("revoking", "\n".join(logs.output))

    def test_non_admin_cannot_start_the_flow(self):
        accountant = new_test_user(
            self.env, "acc_oauth", groups="account.group_account_manager,base.group_user"
        )
        with self.assertRaises(AccessError):
            self.company.with_user(accountant)._lexware_action_connect()


@tagged("post_install", "-at_install")
class TestOAuthCallback(LexwareSandboxHttpCase):
    """The callback controller, through real HTTP."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._use_oauth()
        cls.company = cls.env.ref("base.main_company")
        cls.admin = cls.env.ref("base.user_admin")

    def _start(self):
        self.authenticate("admin", "admin")
        return self.company.with_user(self.admin)._lexware_action_connect()

    def _consent(self, action, decision="allow"):
        query = {key: values[0] for key, values in parse_qs(urlsplit(action["url"]).query).items()}
        form = {**query, "code_challenge_method": "S256", "decision": decision}
        answer = requests.post(
            f"{self.sandbox.url}/oauth2/authorize", data=form, allow_redirects=False, timeout=10
        )
        return answer.headers["Location"]

    def _callback(self, location):
        path = location[location.index("/lexware/oauth/callback") :]
        return self.url_open(path, allow_redirects=False)

    def test_allow_connects_and_lands_on_settings(self):
        location = self._consent(self._start())
        response = self._callback(location)
        self.assertEqual(response.status_code, 303)
        self.assertIn("/odoo/settings", response.headers["Location"])
        self.assertEqual(self.company.lexware_connection_state, "connected")
        self.assertEqual(self.company.lexware_connection_mode, "oauth")
        self.assertEqual(self.company.lexware_organization_name, SANDBOX_ORGANIZATION)
        self.assertEqual(self.company.lexware_connected_by, self.admin)

    def test_reused_state_is_refused(self):
        location = self._consent(self._start())
        self.assertEqual(self._callback(location).status_code, 303)
        again = self._callback(location)
        self.assertEqual(again.status_code, 403)

    def test_wrong_state_is_refused(self):
        location = self._consent(self._start())
        forged = location.replace("state=", "state=x")
        self.assertEqual(self._callback(forged).status_code, 403)
        self.assertFalse(self.company.lexware_connected)
        other = f"/lexware/oauth/callback?code=abc&state={self.company.id}.not-the-token"
        self.assertEqual(self.url_open(other, allow_redirects=False).status_code, 403)
        self.assertFalse(
            self.url_open("/lexware/oauth/callback?code=abc", allow_redirects=False).ok
        )
        self.assertFalse(self.company.lexware_connected)

    def test_expired_state_is_refused(self):
        location = self._consent(self._start())
        self.company.sudo().lexware_connection_id.oauth_state_expires = "2000-01-01 00:00:00"
        self.assertEqual(self._callback(location).status_code, 403)
        self.assertFalse(self.company.lexware_connected)

    def test_state_of_another_admin_is_refused(self):
        location = self._consent(self._start())
        new_test_user(self.env, "admin2", password="admin2pass", groups="base.group_system")
        self.authenticate("admin2", "admin2pass")
        self.assertEqual(self._callback(location).status_code, 403)
        self.assertFalse(self.company.lexware_connected)

    def test_non_admin_is_refused(self):
        location = self._consent(self._start())
        new_test_user(
            self.env,
            "accountant",
            password="accountantpass",
            groups="account.group_account_manager,base.group_user",
        )
        self.authenticate("accountant", "accountantpass")
        self.assertEqual(self._callback(location).status_code, 403)
        self.assertFalse(self.company.lexware_connected)

    def test_deny_shows_a_message_in_the_settings(self):
        location = self._consent(self._start(), decision="deny")
        self.assertIn("error=access_denied", location)
        response = self._callback(location)
        self.assertEqual(response.status_code, 303)
        self.assertIn("/odoo/settings", response.headers["Location"])
        self.assertFalse(self.company.lexware_connected)
        self.assertIn("did not allow", self.company.lexware_last_error)
        self.assertFalse(self.company.sudo().lexware_connection_id.oauth_state_hash)
        page = self.url_open(SETTINGS_URL)
        self.assertEqual(page.status_code, 200)
