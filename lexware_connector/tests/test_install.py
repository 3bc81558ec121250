"""What installing the connector gives its users, as the README describes it."""

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user


class TestInstallation(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clerk = new_test_user(
            cls.env, login="lexware_install_clerk", groups="account.group_account_invoice"
        )
        cls.accountant = new_test_user(
            cls.env, login="lexware_install_accountant", groups="account.group_account_manager"
        )
        cls.admin = new_test_user(
            cls.env,
            login="lexware_install_admin",
            groups="account.group_account_manager,base.group_system",
        )

    def test_installed_for_a_german_company(self):
        """The suite runs where the connector's users are: a German company on SKR03."""
        module = self.env["ir.module.module"].search([("name", "=", "lexware_connector")])
        self.assertEqual(module.state, "installed")
        company = self.env.ref("base.main_company")
        self.assertEqual(company.country_id.code, "DE")
        self.assertEqual(company.currency_id.name, "EUR")
        self.assertEqual(company.chart_template, "de_skr03")

    def test_two_crons_work_in_the_background_as_the_superuser(self):
        expected = {
            "lexware_connector.ir_cron_lexware_transfer": (
                "lexware.transfer",
                "model._cron_process()",
                5,
            ),
            "lexware_connector.ir_cron_lexware_export": (
                "lexware.export.run",
                "model._cron_export()",
                10,
            ),
        }
        for xmlid, (model, code, minutes) in expected.items():
            with self.subTest(cron=xmlid):
                cron = self.env.ref(xmlid)
                self.assertTrue(cron.active)
                self.assertEqual((cron.model_id.model, cron.code), (model, code))
                self.assertEqual((cron.interval_number, cron.interval_type), (minutes, "minutes"))
                self.assertEqual(cron.user_id, self.env.ref("base.user_root"))

    def test_the_lexware_menu_under_invoicing_shows_each_user_what_he_may_use(self):
        root = self.env.ref("lexware_connector.menu_lexware_root")
        self.assertEqual(root.parent_id, self.env.ref("account.menu_finance"))
        self.assertEqual(root.name, "Lexware")
        menus = self.env["ir.ui.menu"]
        self.assertEqual(
            menus.with_user(self.accountant).search([("parent_id", "=", root.id)]).mapped("name"),
            ["Transfers", "Export to Lexware", "Export runs"],
        )
        self.assertEqual(
            menus.with_user(self.clerk).search([("parent_id", "=", root.id)]).mapped("name"),
            ["Transfers"],
        )
        self.assertEqual(
            menus.with_user(self.admin).search([("parent_id", "=", root.id)]).mapped("name"),
            ["Transfers", "Export to Lexware", "Export runs", "Events"],
        )

    def test_admins_read_lexwares_events_and_nobody_edits_them(self):
        action = self.env.ref("lexware_connector.action_lexware_webhook_event")
        self.assertEqual(action.res_model, "lexware.webhook.event")
        events = self.env["lexware.webhook.event"]
        self.assertTrue(events.with_user(self.admin).has_access("read"))
        self.assertFalse(events.with_user(self.admin).has_access("write"))
        self.assertFalse(events.with_user(self.accountant).has_access("read"))

    def test_billing_users_read_the_queue_and_only_accountants_export(self):
        transfers = self.env["lexware.transfer"]
        self.assertTrue(transfers.with_user(self.clerk).has_access("read"))
        self.assertFalse(transfers.with_user(self.clerk).has_access("write"))
        self.assertFalse(transfers.with_user(self.accountant).has_access("create"))
        for model in ("lexware.export.wizard", "lexware.export.run"):
            with self.subTest(model=model):
                self.assertTrue(self.env[model].with_user(self.accountant).has_access("create"))
                with self.assertRaises(AccessError):
                    self.env[model].with_user(self.clerk).check_access("read")

    def test_the_settings_offer_the_connection_and_the_business_options(self):
        settings = self.env["res.config.settings"]
        self.assertEqual(settings._fields["lexware_api_key"].groups, "base.group_system")
        for name in ("lexware_auto_transfer", "lexware_use_collective_contact"):
            with self.subTest(field=name):
                self.assertFalse(settings._fields[name].readonly)
        categories = dict(
            settings._fields["lexware_revenue_category"]._description_selection(self.env)
        )
        self.assertEqual(
            sorted(categories.values()), ["Dienstleistungen", "Einnahmen", "Warenverkäufe"]
        )
        arch = settings.get_views([(False, "form")])["views"]["form"]["arch"]
        for name in (
            "lexware_api_key",
            "lexware_auto_transfer",
            "lexware_revenue_category",
            "lexware_use_collective_contact",
        ):
            with self.subTest(field=name):
                self.assertIn(f'name="{name}"', arch)
