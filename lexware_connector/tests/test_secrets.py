"""Secrets stay with the system admins: an accountant reaches none of them through RPC."""

import logging

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..models.res_company import SECRET_FIELDS
from .common import SANDBOX_API_KEY, LexwareSandboxCase

TOKEN_FIELDS = ("lexware_api_key", "lexware_access_token", "lexware_refresh_token")


@tagged("post_install", "-at_install")
class TestSecrets(LexwareSandboxCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls._connect_company()
        cls.company.sudo().write(
            {
                "lexware_access_token": "secret-access-token",
                "lexware_refresh_token": "secret-refresh-token",
            }
        )
        cls.accountant = new_test_user(
            cls.env,
            "lexware_accountant",
            groups="base.group_user,account.group_account_manager,base.group_allow_export",
            company_id=cls.company.id,
        )
        cls.as_accountant = cls.company.with_user(cls.accountant)

    def test_accountant_is_not_a_system_admin(self):
        self.assertTrue(self.accountant.has_group("account.group_account_manager"))
        self.assertFalse(self.accountant.has_group("base.group_system"))

    def test_read_refuses_secret_fields(self):
        for name in SECRET_FIELDS:
            with self.subTest(field=name), self.assertRaises(AccessError):
                self.as_accountant.read([name])
        # Reading everything leaves them out.
        values = self.as_accountant.read()[0]
        self.assertFalse(set(SECRET_FIELDS) & set(values))
        self.assertEqual(values["lexware_organization_name"], "Muster Handwerk GmbH")

    def test_search_read_refuses_secret_fields(self):
        companies = self.env["res.company"].with_user(self.accountant)
        for name in TOKEN_FIELDS:
            with self.subTest(field=name), self.assertRaises(AccessError):
                companies.search_read([("id", "=", self.company.id)], [name])
        rows = companies.search_read([("id", "=", self.company.id)])
        self.assertFalse(set(SECRET_FIELDS) & set(rows[0]))

    def test_search_on_a_secret_is_refused(self):
        companies = self.env["res.company"].with_user(self.accountant)
        with self.assertRaises(AccessError):
            companies.search([("lexware_api_key", "=", SANDBOX_API_KEY)])

    def test_export_refuses_secret_fields(self):
        for name in TOKEN_FIELDS:
            with self.subTest(field=name), self.assertRaises(AccessError):
                self.as_accountant.export_data([name])

    def test_web_read_and_onchange_refuse_secret_fields(self):
        for name in TOKEN_FIELDS:
            with self.subTest(field=name), self.assertRaises(AccessError):
                self.as_accountant.web_read({name: {}})
        with self.assertRaises(AccessError):
            self.as_accountant.onchange({}, [], {"lexware_api_key": {}})

    def test_fields_get_hides_secrets(self):
        described = self.env["res.company"].with_user(self.accountant).fields_get()
        self.assertFalse(set(SECRET_FIELDS) & set(described))
        self.assertIn("lexware_organization_name", described)

    def test_accountant_cannot_write_secrets(self):
        with self.assertRaises(AccessError):
            self.as_accountant.write({"lexware_api_key": "stolen"})

    def test_accountant_cannot_use_the_settings(self):
        settings = self.env["res.config.settings"].with_user(self.accountant)
        with self.assertRaises(AccessError):
            settings.create({})
        record = self.env["res.config.settings"].create({})
        for method in ("action_lexware_connect", "action_lexware_disconnect"):
            with self.subTest(method=method), self.assertRaises(AccessError):
                getattr(record.with_user(self.accountant), method)()
        self.assertTrue(self.company.lexware_connected)

    def test_accountant_cannot_connect_or_disconnect_the_company(self):
        with self.assertRaises(AccessError):
            self.as_accountant._lexware_action_disconnect()
        with self.assertRaises(AccessError):
            self.as_accountant._lexware_action_connect(api_key=SANDBOX_API_KEY)
        self.assertTrue(self.company.lexware_connected)

    def test_secrets_are_not_copied(self):
        for name in SECRET_FIELDS:
            self.assertFalse(self.env["res.company"]._fields[name].copy, name)
            self.assertEqual(self.env["res.company"]._fields[name].groups, "base.group_system")

    def test_the_client_shows_no_secret(self):
        client = self.company._lexware_client()
        self.assertNotIn(SANDBOX_API_KEY, repr(client))

    def test_logs_carry_no_secret(self):
        self.company.sudo().write({"lexware_connection_mode": "oauth"})
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("lexware_connector.client_id", "sandbox-client")
        params.set_param("lexware_connector.client_secret", "sandbox-secret")
        with self.assertLogs("odoo.addons.lexware_connector", logging.DEBUG) as logs:
            # Revoking an unknown token fails softly; then a valid API key connects.
            self.company._lexware_action_disconnect()
            params.set_param("lexware_connector.client_id", False)
            self.company._lexware_action_connect(api_key=SANDBOX_API_KEY)
            logging.getLogger("odoo.addons.lexware_connector").debug("end")
        text = "\n".join(logs.output)
        for secret in (SANDBOX_API_KEY, "secret-access-token", "secret-refresh-token"):
            self.assertNotIn(secret, text)
        self.assertNotIn("sandbox-secret", text)
