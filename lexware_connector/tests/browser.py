"""A real browser for the HttpCase tests: Playwright driving Debian's headless chromium.

`/usr/bin/chromium` (or `LEXWARE_CHROMIUM`), no browser download. Playwright reaches what
an Odoo tour cannot: the Lexware consent page on another origin.

Screenshots go to `LEXWARE_SCREENSHOT_DIR` when it is set (the documentation's images are
taken that way), else to a temporary directory.
"""

import contextlib
import os
import resource
import shutil
import tempfile
import unittest

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the requirement is optional outside the suite
    sync_playwright = None

CHROMIUM = os.environ.get("LEXWARE_CHROMIUM", "/usr/bin/chromium")
TIMEOUT_MS = 60_000
VIEWPORT = {"width": 1280, "height": 800}

skip_without_browser = unittest.skipIf(
    sync_playwright is None or not shutil.which(CHROMIUM),
    f"playwright or chromium ({CHROMIUM}) is not installed",
)


@contextlib.contextmanager
def unlimited_address_space():
    """Odoo's server caps the address space (limit_memory_hard); chromium reserves far more
    and dies with SIGTRAP under the cap. Odoo's own ChromeBrowser lifts it the same way."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def screenshot_dir():
    path = os.environ.get("LEXWARE_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="lexware_screens_")
    os.makedirs(path, exist_ok=True)
    return path


@contextlib.contextmanager
def chromium_page(viewport=None):
    """A fresh headless chromium page, closed with its browser afterwards."""
    with unlimited_address_space(), sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            context = browser.new_context(viewport=viewport or VIEWPORT, locale="en-US")
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            yield page
        finally:
            browser.close()


def login(page, base_url, user, password):
    page.goto(f"{base_url}/web/login")
    page.fill("input[name=login]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/odoo**")


def logout(page, base_url):
    page.goto(f"{base_url}/web/session/logout")
    page.wait_for_url("**/web/login**")


def wait_for_text(page, selector, text):
    """Wait until an element matching `selector` shows `text`."""
    page.wait_for_function(
        "([selector, text]) => [...document.querySelectorAll(selector)]"
        ".some(element => element.innerText.includes(text))",
        arg=[selector, text],
    )


class ScreenshotMixin:
    """`_screenshot(page, name)`: the viewport as `name`.png in the class's directory."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.screenshot_dir = screenshot_dir()

    def _screenshot(self, page, name):
        path = os.path.join(self.screenshot_dir, f"{name}.png")
        page.screenshot(path=path, full_page=False)
        return path
