"""Secrets stay with the system admins: an accountant reaches none of them through RPC,
neither on the company's connection nor on the company, which holds none."""

import logging

import psycopg2

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from ..models.lexware_connection import SECRET_FIELDS
from .common import SANDBOX_API_KEY, LexwareSandboxCase

TOKEN_FIELDS = ("api_key", "access_token", "refresh_token")
# The names the secrets had on res.company up to 18.0.1.
COMPANY_SECRET_NAMES = tuple(f"lexware_{name}" for name in SECRET_FIELDS) + (
    "lexware_connection_generation",
)


@tagged("post_install", "-at_install")
class TestSecrets(LexwareSandboxCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls._connect_company()
        cls.connection = cls.company.sudo().lexware_connection_id
        cls.connection.write(
            {
                "access_token": "secret-access-token",
                "refresh_token": "secret-refresh-token",
            }
        )
        cls.accountant = new_test_user(
            cls.env,
            "lexware_accountant",
            groups="base.group_user,account.group_account_manager,base.group_allow_export",
            company_id=cls.company.id,
        )
        cls.as_accountant = cls.company.with_user(cls.accountant)
        cls.connection_as_accountant = cls.connection.with_user(cls.accountant)

    def test_accountant_is_not_a_system_admin(self):
        self.assertTrue(self.accountant.has_group("account.group_account_manager"))
        self.assertFalse(self.accountant.has_group("base.group_system"))

    def test_the_company_holds_no_secret(self):
        self.assertFalse(set(COMPANY_SECRET_NAMES) & set(self.env["res.company"]._fields))
        self.env.cr.execute(
            """SELECT column_name FROM information_schema.columns
                WHERE table_name = 'res_company' AND column_name IN %s""",
            [COMPANY_SECRET_NAMES],
        )
        self.assertFalse(self.env.cr.fetchall())

    def test_the_accountant_reads_the_company_but_no_secret(self):
        values = self.as_accountant.read()[0]
        self.assertFalse(set(COMPANY_SECRET_NAMES) & set(values))
        self.assertNotIn("lexware_connection_id", values)
        self.assertEqual(values["lexware_organization_name"], "Muster Handwerk GmbH")
        self.assertEqual(values["lexware_connection_state"], "connected")
        for name in ("lexware_connection_id", "lexware_connection_ids"):
            with self.subTest(field=name), self.assertRaises(AccessError):
                self.as_accountant.read([name])
        described = self.env["res.company"].with_user(self.accountant).fields_get()
        self.assertNotIn("lexware_connection_id", described)
        self.assertIn("lexware_organization_name", described)

    def test_the_accountant_reads_nothing_of_the_connection(self):
        for name in (*SECRET_FIELDS, "organization_name"):
            with self.subTest(field=name), self.assertRaises(AccessError):
                self.connection_as_accountant.read([name])
        connections = self.env["lexware.connection"].with_user(self.accountant)
        with self.assertRaises(AccessError):
            connections.search_read([("company_id", "=", self.company.id)], ["api_key"])
        with self.assertRaises(AccessError):
            connections.search([("api_key", "=", SANDBOX_API_KEY)])
        for name in TOKEN_FIELDS:
            with self.subTest(field=name), self.assertRaises(AccessError):
                self.connection_as_accountant.export_data([name])
            with self.subTest(field=name), self.assertRaises(AccessError):
                self.connection_as_accountant.web_read({name: {}})

    def test_accountant_cannot_write_the_connection(self):
        for values in ({"lexware_organization_id": "another"}, {"lexware_last_error": False}):
            with self.subTest(values=repr(values)), self.assertRaises(AccessError):
                self.as_accountant.write(values)
        for values in ({"api_key": "stolen"}, {"state": "disconnected"}):
            with self.subTest(values=repr(values)), self.assertRaises(AccessError):
                self.connection_as_accountant.write(values)
        with self.assertRaises(AccessError):
            self.env["lexware.connection"].with_user(self.accountant).create(
                {"company_id": self.company.id}
            )
        self.assertEqual(self.connection.api_key, SANDBOX_API_KEY)

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
        for name in (*SECRET_FIELDS, "generation"):
            field = self.env["lexware.connection"]._fields[name]
            self.assertFalse(field.copy, name)
            self.assertEqual(field.groups, "base.group_system")

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


@tagged("post_install", "-at_install")
class TestOneConnectionPerCompany(LexwareSandboxCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls._connect_company()
        cls.admin = cls.env.ref("base.user_admin")

    def test_a_second_connection_row_for_a_company_is_refused(self):
        connections = self.env["lexware.connection"].sudo()
        self.assertEqual(connections.search_count([("company_id", "=", self.company.id)]), 1)
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.IntegrityError),
            self.env.cr.savepoint(),
        ):
            connections.create({"company_id": self.company.id})
        self.assertEqual(connections.search_count([("company_id", "=", self.company.id)]), 1)

    def test_a_second_company_connects_its_own_organisation_on_its_own_row(self):
        self.sandbox.add_organization("Zweite Firma KG", api_key="second-key")
        other = self.env["res.company"].create(
            {"name": "Zweite Firma", "currency_id": self.env.ref("base.EUR").id}
        )
        self.admin.company_ids |= other
        self._connect_company(other, api_key="second-key")
        first = self.company.sudo().lexware_connection_id
        second = other.sudo().lexware_connection_id
        self.assertTrue(second)
        self.assertNotEqual(first, second)
        self.assertEqual(second.company_id, other)
        self.assertEqual((first.api_key, second.api_key), (SANDBOX_API_KEY, "second-key"))
        self.assertEqual(second.organization_name, "Zweite Firma KG")
        self.assertEqual(first.organization_name, "Muster Handwerk GmbH")
        self.assertEqual(other._lexware_client().get_profile()["companyName"], "Zweite Firma KG")

    def test_an_admin_reads_the_connections_of_his_companies_only(self):
        other = self.env["res.company"].create(
            {"name": "Fremdfirma GmbH", "currency_id": self.env.ref("base.EUR").id}
        )
        foreign = other._lexware_connection().sudo()
        admin = new_test_user(
            self.env,
            "lexware_other_admin",
            groups="base.group_user,base.group_system",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        connections = self.env["lexware.connection"].with_user(admin)
        self.assertEqual(connections.search([]).company_id, self.company)
        with self.assertRaises(AccessError):
            foreign.with_user(admin).read(["api_key"])
        self.assertEqual(
            self.company.with_user(admin).sudo(False).lexware_connection_id.api_key,
            SANDBOX_API_KEY,
        )

    def test_a_new_company_keeps_the_connection_values_it_was_made_with(self):
        other = self.env["res.company"].create(
            {
                "name": "Dritte Firma GmbH",
                "currency_id": self.env.ref("base.EUR").id,
                "lexware_small_business": True,
            }
        )
        self.assertTrue(other.sudo().lexware_connection_id.small_business)
        self.assertTrue(other.lexware_small_business)
