"""An admin connects the company to Lexware Office with a real browser.

Playwright drives Debian's headless chromium (`/usr/bin/chromium`, no browser download):
the settings, the Connect button, the sandbox's consent page on another origin (which an
Odoo tour cannot reach), and back to the settings.
"""

import os

from odoo.tests import tagged

from .browser import (
    ScreenshotMixin,
    chromium_page,
    login,
    skip_without_browser,
    wait_for_text,
)
from .common import SANDBOX_ORGANIZATION, LexwareSandboxHttpCase


@skip_without_browser
@tagged("post_install", "-at_install")
class TestConnectInBrowser(ScreenshotMixin, LexwareSandboxHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._use_oauth()
        cls.company = cls.env.ref("base.main_company")

    def test_admin_connects_with_oauth_from_the_settings(self):
        base = self.base_url()
        with chromium_page() as page:
            login(page, base, "admin", "admin")

            page.goto(f"{base}/odoo/settings")
            connect = page.locator("button[name=action_lexware_connect]")
            connect.scroll_into_view_if_needed()
            self._screenshot(page, "1_settings_not_connected")
            connect.click()

            page.wait_for_url(f"{self.sandbox.url}/oauth2/authorize**")
            page.wait_for_selector("#allow")
            self._screenshot(page, "2_lexware_consent")
            page.click("#allow")

            page.wait_for_url("**/odoo/settings**")
            status = page.locator("#lexware_status_connected")
            status.wait_for(state="visible")
            status.scroll_into_view_if_needed()
            wait_for_text(page, "#lexware_status_connected", SANDBOX_ORGANIZATION)
            text = status.inner_text()
            self._screenshot(page, "3_settings_connected")
        self.assertIn("Connected to", text)
        self.assertIn(SANDBOX_ORGANIZATION, text)
        self.assertEqual(self.company.lexware_connection_state, "connected")
        self.assertEqual(self.company.lexware_connection_mode, "oauth")
        self.assertTrue(
            os.path.exists(os.path.join(self.screenshot_dir, "3_settings_connected.png"))
        )
