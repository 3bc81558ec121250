from odoo.tests import TransactionCase


class TestInstallation(TransactionCase):
    def test_installed_for_a_german_company(self):
        """The suite runs where the connector's users are: a German company on SKR03."""
        module = self.env["ir.module.module"].search([("name", "=", "lexware_connector")])
        self.assertEqual(module.state, "installed")
        company = self.env.ref("base.main_company")
        self.assertEqual(company.country_id.code, "DE")
        self.assertEqual(company.currency_id.name, "EUR")
        self.assertEqual(company.chart_template, "de_skr03")
