"""An admin connects the company to Lexware Office with a real browser.

Playwright drives Debian's headless chromium (`/usr/bin/chromium`, no browser download):
the settings, the Connect button, the sandbox's consent page on another origin (which an
Odoo tour cannot reach), and back to the settings.
"""

import contextlib
import os
import resource
import shutil
import tempfile
import unittest

from odoo.tests import tagged

from .common import SANDBOX_ORGANIZATION, LexwareSandboxHttpCase

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the requirement is optional outside the suite
    sync_playwright = None

CHROMIUM = os.environ.get("LEXWARE_CHROMIUM", "/usr/bin/chromium")
TIMEOUT_MS = 60_000


@contextlib.contextmanager
def _unlimited_address_space():
    """Odoo's server caps the address space (limit_memory_hard); chromium reserves far more
    and dies with SIGTRAP under the cap. Odoo's own ChromeBrowser lifts it the same way."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@unittest.skipIf(sync_playwright is None, "playwright is not installed")
@unittest.skipIf(not shutil.which(CHROMIUM), f"no chromium at {CHROMIUM}")
@tagged("post_install", "-at_install")
class TestConnectInBrowser(LexwareSandboxHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._use_oauth()
        cls.company = cls.env.ref("base.main_company")
        cls.screenshot_dir = os.environ.get("LEXWARE_SCREENSHOT_DIR") or tempfile.mkdtemp(
            prefix="lexware_screens_"
        )
        os.makedirs(cls.screenshot_dir, exist_ok=True)

    def _screenshot(self, page, name):
        path = os.path.join(self.screenshot_dir, f"{name}.png")
        page.screenshot(path=path, full_page=False)
        return path

    def test_admin_connects_with_oauth_from_the_settings(self):
        base = self.base_url()
        with _unlimited_address_space(), sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            )
            try:
                page = browser.new_page(viewport={"width": 1366, "height": 900})
                page.set_default_timeout(TIMEOUT_MS)
                page.goto(f"{base}/web/login")
                page.fill("input[name=login]", "admin")
                page.fill("input[name=password]", "admin")
                page.click("button[type=submit]")
                page.wait_for_url("**/odoo**")

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
                page.wait_for_function(
                    "name => document.querySelector('#lexware_status_connected')"
                    ".innerText.includes(name)",
                    arg=SANDBOX_ORGANIZATION,
                )
                text = status.inner_text()
                self._screenshot(page, "3_settings_connected")
            finally:
                browser.close()
        self.assertIn("Connected to", text)
        self.assertIn(SANDBOX_ORGANIZATION, text)
        self.assertEqual(self.company.lexware_connection_state, "connected")
        self.assertEqual(self.company.lexware_connection_mode, "oauth")
        self.assertTrue(
            os.path.exists(os.path.join(self.screenshot_dir, "3_settings_connected.png"))
        )
