"""One organisation, one company; and a connection that ended or was replaced leaves no
tokens behind: not the ones a worker refreshes late, not the previous authorization."""

from unittest.mock import patch

import requests

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..lexware import LexwareAuthError, LexwareRetryableError, OAuthApp
from .common import (
    SANDBOX_API_KEY,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_ORGANIZATION,
    LexwareSandboxCase,
)


@tagged("post_install", "-at_install")
class TestConnectGuard(LexwareSandboxCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        cls.admin = cls.env.ref("base.user_admin")
        cls.other = cls.env["res.company"].create(
            {"name": "Zweitfirma GmbH", "currency_id": cls.env.ref("base.EUR").id}
        )
        cls.admin.company_ids |= cls.other
        cls.env["ir.config_parameter"].sudo().set_param("web.base.url", "http://odoo.test")

    # -- helpers --------------------------------------------------------------------------

    def _refresh_at_lexware(self, refresh_token):
        """What Lexware's token endpoint answers to `refresh_token`."""
        return requests.post(
            f"{self.sandbox.url}/oauth2/token",
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET),
            timeout=10,
        )

    def _assert_refused_for_first(self, caught, second):
        message = str(caught.exception)
        self.assertIn(self.company.name, message)
        self.assertIn(SANDBOX_ORGANIZATION, message)
        self.assertEqual(second.lexware_connection_state, "disconnected")
        self.assertFalse(second.lexware_organization_id)
        self.assertFalse(second.sudo().lexware_connection_id.refresh_token)
        self.assertFalse(second.sudo().lexware_connection_id.access_token)

    @staticmethod
    def _revoke_fails():
        return patch.object(OAuthApp, "revoke", side_effect=LexwareRetryableError("unreachable"))

    # -- item 6: one organisation, one company --------------------------------------------

    def test_second_company_with_an_api_key_of_the_same_organisation_is_refused(self):
        self._connect_company(self.company)
        organization_id = self.company.lexware_organization_id
        self.sandbox.store.register_api_key("same-org-second-key", organization_id)
        for first_state in ("connected", "reconnect_needed"):
            self.company.sudo().lexware_connection_state = first_state
            with self.subTest(first=first_state), self.assertRaises(UserError) as caught:
                self.other.with_user(self.admin)._lexware_action_connect(
                    api_key="same-org-second-key"
                )
            self._assert_refused_for_first(caught, self.other)
        # Once the first company has let go, the organisation is free.
        self.company.with_user(self.admin)._lexware_action_disconnect()
        self.other.with_user(self.admin)._lexware_action_connect(api_key="same-org-second-key")
        self.assertEqual(self.other.lexware_organization_id, organization_id)

    def test_second_company_through_oauth_is_refused_and_its_tokens_revoked(self):
        self._connect_company(self.company, api_key=SANDBOX_API_KEY)
        issued = []
        exchange = OAuthApp.exchange_code

        def spy(app, code, verifier):
            tokens = exchange(app, code, verifier)
            issued.append(tokens)
            return tokens

        with (
            patch.object(OAuthApp, "exchange_code", autospec=True, side_effect=spy),
            self.assertRaises(UserError) as caught,
        ):
            self._connect_oauth(self.other, organization_id=self.company.lexware_organization_id)
        self._assert_refused_for_first(caught, self.other)
        self.assertEqual(len(issued), 1)
        answer = self._refresh_at_lexware(issued[0].refresh_token)
        self.assertEqual(answer.status_code, 400, "the refused authorization is revoked")
        self.assertEqual(answer.json()["error"], "invalid_grant")

    def test_the_same_company_reconnects_to_its_organisation(self):
        self._connect_company(self.company)
        self._connect_company(self.company)
        self.assertEqual(self.company.lexware_connection_state, "connected")

    # -- item 9: tokens -------------------------------------------------------------------

    def test_reconnecting_revokes_the_previous_authorization(self):
        company = self._connect_oauth(self.company)
        old_refresh = company.sudo().lexware_connection_id.refresh_token
        self._connect_oauth(company)
        new_refresh = company.sudo().lexware_connection_id.refresh_token
        self.assertNotEqual(new_refresh, old_refresh)
        self.assertEqual(self._refresh_at_lexware(old_refresh).json().get("error"), "invalid_grant")
        self.assertEqual(
            company._lexware_client().get_profile()["companyName"], SANDBOX_ORGANIZATION
        )

    def test_reconnecting_goes_on_when_revoking_the_previous_fails(self):
        company = self._connect_oauth(self.company)
        with (
            self._revoke_fails(),
            self.assertLogs("odoo.addons.lexware_connector.models", "WARNING") as logs,
        ):
            self._connect_oauth(company)
        self.assertEqual(company.lexware_connection_state, "connected")
        self.assertIn("revoking", "\n".join(logs.output))
        self.assertNotIn(company.sudo().lexware_connection_id.refresh_token, "\n".join(logs.output))

    def test_a_client_from_before_a_disconnect_stores_no_refreshed_tokens(self):
        company = self._connect_oauth(self.company)
        stale = company._lexware_client()
        connection_id = stale.get_profile()["connectionId"]
        with self._revoke_fails():
            company.with_user(self.admin)._lexware_action_disconnect()
        self.sandbox.expire_access_tokens()
        # The revoke was lost, so Lexware refreshes the old authorization once more.
        with self.assertRaises(LexwareAuthError):
            stale.get_profile()
        self.assertEqual(company.lexware_connection_state, "disconnected")
        self.assertFalse(company.sudo().lexware_connection_id.refresh_token)
        self.assertFalse(company.sudo().lexware_connection_id.access_token)
        self.assertTrue(
            self.sandbox.store.connection(connection_id)["revoked"],
            "the tokens nobody may keep are revoked",
        )

    def test_a_client_from_before_a_reconnect_to_another_organisation_stores_nothing(self):
        company = self._connect_oauth(self.company)
        stale = company._lexware_client()
        self.assertEqual(stale.get_profile()["companyName"], SANDBOX_ORGANIZATION)
        second = self.sandbox.add_organization("Neue Organisation KG")
        with self._revoke_fails():
            self._connect_oauth(company, organization_id=second)
        self.assertEqual(company.lexware_organization_id, second)
        self.sandbox.expire_access_tokens()
        with self.assertRaises(LexwareAuthError):
            stale.get_profile()
        profile = company._lexware_client().get_profile()
        self.assertEqual(profile["organizationId"], second, "the new connection's tokens stay")
