"""The whole story in a real browser, as the users live it.

1. The admin connects the company through OAuth on Lexware's consent page.
2. The admin turns on auto transfer and saves the settings.
3. An accountant confirms an invoice and, once the transfer ran, sees the Sent badge and
   the link to the voucher in Lexware.
4. The accountant exports last month's invoices and watches the export run complete.

Each step leaves a screenshot (`LEXWARE_SCREENSHOT_DIR`, else a temporary directory);
pointed at `static/description/screenshots`, they are the documentation's images.

The crons do not run inside an HttpCase: the test runs the export and the transfer itself
where the cron would, with the page parked on about:blank so that no request shares the test
cursor meanwhile, then reloads the page.
"""

import contextlib
from datetime import date, timedelta

from odoo import Command
from odoo.tests import new_test_user, tagged

from .browser import (
    ScreenshotMixin,
    chromium_page,
    login,
    logout,
    skip_without_browser,
    wait_for_text,
)
from .common import SANDBOX_ORGANIZATION, LexwareSandboxHttpCase

ACCOUNTANT_LOGIN = "buchhaltung"
ACCOUNTANT_PASSWORD = "buchhaltung-story"  # noqa: S105 (a test user's password)

CUSTOMERS = [
    ("Bäckerei Sonnenschein GmbH", True, "Hauptstraße 12", "80331", "München"),
    ("Hotel Alpenblick KG", True, "Bergweg 3", "87561", "Oberstdorf"),
    ("Erika Mustermann", False, "Lindenallee 7", "50667", "Köln"),
]


def _center(locator):
    """Scroll `locator` to the middle of the viewport, where a screenshot shows its context."""
    locator.wait_for(state="visible")
    locator.evaluate("element => element.scrollIntoView({block: 'center'})")


@skip_without_browser
@tagged("post_install", "-at_install")
class TestStoryInBrowser(ScreenshotMixin, LexwareSandboxHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._use_oauth()
        cls.company = cls.env.ref("base.main_company")
        cls.company.write(
            {"name": "Schreinerei Holzwurm GmbH", "street": "Werkstattweg 5", "zip": "10115"}
        )
        cls.accountant = new_test_user(
            cls.env,
            login=ACCOUNTANT_LOGIN,
            password=ACCOUNTANT_PASSWORD,
            name="Anna Buchhalter",
            groups="base.group_user,account.group_account_manager",
            company_id=cls.company.id,
        )
        tax_19 = cls.env["account.chart.template"].with_company(cls.company).ref("tax_ust_19_skr03")
        cls.product = cls.env["product.product"].create(
            {
                "name": "Montagestunde Tischler",
                "type": "service",
                "list_price": 68.0,
                "taxes_id": [Command.set(tax_19.ids)],
            }
        )
        cls.customers = cls.env["res.partner"].create(
            [
                {
                    "name": name,
                    "is_company": is_company,
                    "street": street,
                    "zip": zip_code,
                    "city": city,
                    "country_id": cls.env.ref("base.de").id,
                }
                for name, is_company, street, zip_code, city in CUSTOMERS
            ]
        )
        # Last month's invoices, posted before the company was connected: the export's job.
        last_month_end = date.today().replace(day=1) - timedelta(days=1)
        cls.last_month = cls.env["account.move"]
        for index, customer in enumerate(cls.customers):
            cls.last_month |= cls._invoice(
                customer, last_month_end.replace(day=10 + index), 2 + index
            )
        cls.last_month.action_post()
        # Today's invoice, a draft the accountant confirms.
        cls.draft = cls._invoice(cls.customers[0], date.today(), 6)

    @classmethod
    def _invoice(cls, customer, invoice_date, hours):
        return cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": invoice_date,
                "invoice_line_ids": [
                    Command.create({"product_id": cls.product.id, "quantity": hours})
                ],
            }
        )

    # -- helpers --------------------------------------------------------------------------

    def _run_transfers(self, page):
        """Run the transfer engine where the cron would, then show the page again."""
        return self._run_cron(page, self.env["lexware.transfer"]._cron_process)

    def _run_export(self, page):
        """Run the export cron (asks Lexware, queues) where Odoo would, then show the page."""
        return self._run_cron(page, self.env["lexware.export.run"].sudo()._cron_export)

    def _run_cron(self, page, job):
        url = page.url
        page.goto("about:blank")
        self._wait_remaining_requests()
        self.env.invalidate_all()
        done = job()
        self.env.flush_all()
        self.env.invalidate_all()
        page.goto(url)
        return done

    @contextlib.contextmanager
    def _database(self):
        """Read the database from the test while no request of the browser uses the test
        cursor: the server's requests share it and hold this lock while they run."""
        with self.registry.test_lock:
            self.env.invalidate_all()
            yield

    # -- the story ------------------------------------------------------------------------

    def test_connect_transfer_and_export_in_the_browser(self):
        base = self.base_url()
        with chromium_page() as page:
            login(page, base, "admin", "admin")
            self._admin_connects_with_oauth(page, base)
            self._admin_turns_on_auto_transfer(page)
            logout(page, base)

            login(page, base, ACCOUNTANT_LOGIN, ACCOUNTANT_PASSWORD)
            self._accountant_confirms_an_invoice(page, base)
            self._accountant_exports_last_month(page, base)
            self._lexware_received_the_vouchers(page)

    def _admin_connects_with_oauth(self, page, base):
        page.goto(f"{base}/odoo/settings")
        connect = page.locator("button[name=action_lexware_connect]")
        _center(connect)
        self._screenshot(page, "01_settings_connect")
        connect.click()

        page.wait_for_url(f"{self.sandbox.url}/oauth2/authorize**")
        page.wait_for_selector("#allow")
        self._screenshot(page, "02_lexware_consent")
        page.click("#allow")

        page.wait_for_url("**/odoo/settings**")
        wait_for_text(page, "#lexware_status_connected", SANDBOX_ORGANIZATION)
        status = page.locator("#lexware_status_connected")
        _center(status)
        self._screenshot(page, "03_settings_connected")
        self.assertIn(f"Connected to {SANDBOX_ORGANIZATION}", status.inner_text())
        with self._database():
            self.assertEqual(self.company.lexware_connection_state, "connected")
            self.assertEqual(self.company.lexware_connection_mode, "oauth")

    def _admin_turns_on_auto_transfer(self, page):
        checkbox = page.locator("div[name=lexware_auto_transfer] input[type=checkbox]")
        _center(checkbox)
        self.assertFalse(checkbox.is_checked())
        checkbox.check()
        page.locator(".o_form_button_save").click()
        # Saving reloads the settings; the switch is on from the database.
        page.wait_for_selector(".o_form_button_save", state="hidden")
        checkbox = page.locator("div[name=lexware_auto_transfer] input[type=checkbox]:checked")
        _center(checkbox)
        self._screenshot(page, "04_settings_auto_transfer")
        with self._database():
            self.assertTrue(self.company.lexware_auto_transfer)

    def _accountant_confirms_an_invoice(self, page, base):
        page.goto(f"{base}/odoo/action-account.action_move_out_invoice_type/{self.draft.id}")
        confirm = page.locator(".o_form_view button[name=action_post]:visible").first
        confirm.wait_for()
        self._screenshot(page, "05_invoice_draft")
        confirm.click()
        badge = page.locator("div[name=lexware_state] .badge")
        wait_for_text(page, "div[name=lexware_state] .badge", "Pending")
        self.assertEqual(badge.inner_text().strip(), "Pending")

        self.assertEqual(self._run_transfers(page), 1)
        wait_for_text(page, "div[name=lexware_state] .badge", "Sent")
        link = page.locator("div[name=lexware_voucher_url] a")
        link.wait_for()
        self._screenshot(page, "06_invoice_sent")
        self.assertEqual(badge.inner_text().strip(), "Sent")
        self.assertEqual(link.inner_text().strip(), "Open in Lexware")

        href = link.get_attribute("href")
        with self._database():
            self.assertEqual(self.draft.state, "posted")
            self.assertEqual(self.draft.lexware_state, "sent")
            self.assertIn(self.draft.lexware_voucher_id, href)
            vouchers = self.sandbox.vouchers(number=self.draft.name)
            self.assertEqual(len(vouchers), 1, "the invoice is in Lexware once, under its number")
            self.assertEqual(vouchers[0]["id"], self.draft.lexware_voucher_id)
            self.assertAlmostEqual(vouchers[0]["totalGrossAmount"], self.draft.amount_total)

    def _accountant_exports_last_month(self, page, base):
        page.goto(f"{base}/odoo")
        page.locator(".o_navbar_apps_menu button").click()
        page.locator(".o_app[data-menu-xmlid='account.menu_finance']").click()
        page.locator("button[data-menu-xmlid='lexware_connector.menu_lexware_root']").click()
        page.locator("[data-menu-xmlid='lexware_connector.menu_lexware_export_wizard']").click()
        dialog = page.locator(".modal .o_form_view")
        wait_for_text(page, ".modal div[name=preview]", "3 invoices")
        page.locator(".modal-title").click()  # the period's field has the focus: let go
        self._screenshot(page, "07_export_wizard")
        self.assertIn("0 already in Lexware", dialog.locator("div[name=preview]").inner_text())
        page.locator(".modal button[name=action_export]").click()

        # The wizard's answer opens the export run; the cron asks Lexware and queues.
        page.wait_for_url("**/lexware.export.run/**")
        wait_for_text(page, ".o_statusbar_status .o_arrow_button_current", "Checking")
        wait_for_text(page, ".o_notification", "runs in the background")
        self._run_export(page)
        wait_for_text(page, ".o_statusbar_status .o_arrow_button_current", "Sending")
        wait_for_text(page, ".o-mail-Message", "3 queued for Lexware")
        self._screenshot(page, "08_export_run_running")

        self.assertEqual(self._run_transfers(page), 3)
        wait_for_text(page, ".o_statusbar_status .o_arrow_button_current", "Done")
        wait_for_text(page, "div[name=progress]", "100")
        wait_for_text(page, ".o-mail-Message", "Export finished: 3 sent, 0 failed")
        self._screenshot(page, "09_export_run_done")

        with self._database():
            run = self.env["lexware.export.run"].search([], limit=1)
            self.assertEqual(run.user_id, self.accountant)
            self.assertEqual(
                (run.state, run.total_count, run.sent_count, run.failed_count, run.pending_count),
                ("done", 3, 3, 0, 0),
            )
            self.assertEqual(run.progress, 100.0)
            self.assertEqual(set(self.last_month.mapped("lexware_state")), {"sent"})
        sent_count = page.locator("div[name=sent_count]").inner_text().strip()
        self.assertEqual(sent_count, "3")

    def _lexware_received_the_vouchers(self, page):
        page.goto(f"{self.sandbox.url}/")
        page.wait_for_selector("#vouchers")
        self._screenshot(page, "10_lexware_vouchers")
        numbers = page.locator("#vouchers td.number").all_inner_texts()
        with self._database():
            expected = (self.last_month | self.draft).mapped("name")
        self.assertCountEqual(numbers, expected)
        self.assertEqual(
            set(page.locator("#vouchers tbody tr td:first-child").all_inner_texts()),
            {SANDBOX_ORGANIZATION},
        )
