"""A database of 18.0.1 keeps its connection when it moves to 18.0.2: the columns of
res_company become the company's lexware.connection row, and no secret stays behind."""

import json

from odoo.tests import tagged

from ..upgrades import CONNECTION_COLUMNS, move_connections_to_their_model
from .common import SANDBOX_API_KEY, SANDBOX_ORGANIZATION, LexwareSandboxCase

# The columns 18.0.1 kept on res_company, as it declared them.
OLD_COLUMNS = {
    "lexware_connection_mode": "varchar",
    "lexware_organization_id": "varchar",
    "lexware_organization_name": "varchar",
    "lexware_contacts_organization_id": "varchar",
    "lexware_connected_since": "timestamp",
    "lexware_connected_by": "int4",
    "lexware_last_error": "varchar",
    "lexware_small_business": "bool",
    "lexware_posting_categories": "text",
    "lexware_repeated_items_refused": "timestamp",
    "lexware_tax_tolerance": "varchar",
    "lexware_api_key": "varchar",
    "lexware_access_token": "varchar",
    "lexware_refresh_token": "varchar",
    "lexware_token_expires_at": "float8",
    "lexware_oauth_state_hash": "varchar",
    "lexware_oauth_verifier": "varchar",
    "lexware_oauth_user_id": "int4",
    "lexware_oauth_state_expires": "timestamp",
    "lexware_connection_generation": "int4",
}
CATEGORIES = '[{"id": "8f8664a1-fd86-11e1-a21f-0800200c9a66", "name": "Einnahmen"}]'


@tagged("post_install", "-at_install")
class TestMigrationToTheConnectionModel(LexwareSandboxCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        cls.admin = cls.env.ref("base.user_admin")
        cls.organization_id = cls.sandbox.default_organization()

    def _company_columns(self):
        self.env.cr.execute(
            """SELECT column_name FROM information_schema.columns
                WHERE table_name = 'res_company' AND column_name IN %s""",
            [tuple(OLD_COLUMNS)],
        )
        return {row[0] for row in self.env.cr.fetchall()}

    def _as_in_18_0_1(self):
        """res_company as a connected 18.0.1 database has it: the connection in its
        columns, and no lexware_connection row."""
        self.assertEqual(set(OLD_COLUMNS), set(CONNECTION_COLUMNS))
        self.env.flush_all()
        self.env.cr.execute(
            "ALTER TABLE res_company "
            + ", ".join(f"ADD COLUMN {name} {kind}" for name, kind in OLD_COLUMNS.items())
        )
        self.env.cr.execute(
            "DELETE FROM lexware_connection WHERE company_id = %s", [self.company.id]
        )
        self.env.cr.execute(
            """UPDATE res_company
                  SET lexware_connection_state = 'connected',
                      lexware_connected = TRUE,
                      lexware_connection_mode = 'api_key',
                      lexware_organization_id = %(organization)s,
                      lexware_organization_name = %(name)s,
                      lexware_contacts_organization_id = %(organization)s,
                      lexware_connected_since = '2026-03-01 09:00:00',
                      lexware_connected_by = %(admin)s,
                      lexware_small_business = TRUE,
                      lexware_posting_categories = %(categories)s,
                      lexware_tax_tolerance = 'lenient',
                      lexware_api_key = %(key)s,
                      lexware_connection_generation = 3
                WHERE id = %(company)s""",
            {
                "organization": self.organization_id,
                "name": SANDBOX_ORGANIZATION,
                "admin": self.admin.id,
                "categories": CATEGORIES,
                "key": SANDBOX_API_KEY,
                "company": self.company.id,
            },
        )
        self.env.invalidate_all()

    def test_a_connected_company_keeps_its_connection(self):
        self._as_in_18_0_1()
        self.assertFalse(self.company.sudo().lexware_connection_id)

        self.assertEqual(move_connections_to_their_model(self.env.cr), 1)
        self.env.invalidate_all()

        connection = self.company.sudo().lexware_connection_id
        self.assertEqual(
            connection.read(
                [
                    "state",
                    "mode",
                    "organization_id",
                    "organization_name",
                    "contacts_organization_id",
                    "connected_by",
                    "small_business",
                    "tax_tolerance",
                    "api_key",
                    "refresh_token",
                    "generation",
                ],
                load=None,
            )[0],
            {
                "id": connection.id,
                "state": "connected",
                "mode": "api_key",
                "organization_id": self.organization_id,
                "organization_name": SANDBOX_ORGANIZATION,
                "contacts_organization_id": self.organization_id,
                "connected_by": self.admin.id,
                "small_business": True,
                "tax_tolerance": "lenient",
                "api_key": SANDBOX_API_KEY,
                "refresh_token": False,
                "generation": 3,
            },
        )
        self.assertEqual(str(connection.connected_since), "2026-03-01 09:00:00")
        self.assertTrue(self.company.lexware_connected)
        self.assertEqual(self.company.lexware_organization_name, SANDBOX_ORGANIZATION)
        self.assertEqual(self.company._lexware_posting_category_list(), json.loads(CATEGORIES))
        profile = self.company._lexware_client().get_profile()
        self.assertEqual(profile["companyName"], SANDBOX_ORGANIZATION)
        self.assertFalse(self._company_columns(), "no secret lingers on res_company")

    def test_a_fresh_database_migrates_to_no_change(self):
        self.assertFalse(self._company_columns())
        connections = self.env["lexware.connection"].sudo()
        before = connections.search([]).read(load=None)
        self.assertEqual(move_connections_to_their_model(self.env.cr), 0)
        self.env.invalidate_all()
        self.assertEqual(connections.search([]).read(load=None), before)
        self.assertFalse(self._company_columns())
