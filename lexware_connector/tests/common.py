"""Test bases against a running Lexware sandbox.

`LexwareSandboxCase` (TransactionCase) and `LexwareSandboxHttpCase` (HttpCase) start one
`SandboxServer` per class, point the system parameters at it and offer
`_connect_company()`, which connects a company the way the settings' Connect button does
with an API key, and `_connect_oauth()`, which does it with OAuth and the consent page.

Both run the registry in test mode, so that code opening its own cursor
(`env.registry.cursor()`, as the token storage does) works inside the test transaction.
"""

from urllib.parse import parse_qs, urlsplit

import requests

from odoo.tests import HttpCase, TransactionCase
from odoo.tests import common as odoo_common

from lexware_sandbox import SandboxServer

SANDBOX_API_KEY = "sandbox-api-key"
SANDBOX_CLIENT_ID = "sandbox-client"
SANDBOX_CLIENT_SECRET = "sandbox-secret"
SANDBOX_ORGANIZATION = "Muster Handwerk GmbH"
REVENUE = "8f8664a1-fd86-11e1-a21f-0800200c9a66"  # Lexware's "Einnahmen"


class LexwareSandboxMixin:
    """Class-level sandbox; `sandbox_options` go to the SandboxServer constructor."""

    sandbox_options = {"rate": 50, "burst": 50}

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        """Odoo's test guard compares the timeout with a number; the client sends a
        (connect, read) tuple. Requests to the local sandbox go out as they are."""
        if isinstance(kw.get("timeout"), tuple) and urlsplit(r.url).hostname in (
            odoo_common.HOST,
            "localhost",
        ):
            return odoo_common._super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)

    @classmethod
    def _start_sandbox(cls):
        options = {
            "api_keys": (SANDBOX_API_KEY,),
            "client_id": SANDBOX_CLIENT_ID,
            "client_secret": SANDBOX_CLIENT_SECRET,
            **cls.sandbox_options,
        }
        cls.sandbox = SandboxServer(**options).start()
        cls.addClassCleanup(cls.sandbox.stop)
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("lexware_connector.api_url", cls.sandbox.url)
        params.set_param("lexware_connector.auth_url", cls.sandbox.url)
        # The API key path unless a test turns OAuth on with _use_oauth().
        params.set_param("lexware_connector.client_id", False)
        params.set_param("lexware_connector.client_secret", False)

    @classmethod
    def _use_oauth(cls, enabled=True):
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("lexware_connector.client_id", SANDBOX_CLIENT_ID if enabled else False)
        params.set_param(
            "lexware_connector.client_secret", SANDBOX_CLIENT_SECRET if enabled else False
        )

    def _consent(self, company, decision="allow", scopes=None, organization_id=None):
        """Play the browser: Connect as the admin, then the button on Lexware's consent page
        (granting only `scopes`, into `organization_id`); return the callback's URL."""
        action = company.with_user(self.env.ref("base.user_admin"))._lexware_action_connect()
        query = {key: values[0] for key, values in parse_qs(urlsplit(action["url"]).query).items()}
        form = {**query, "code_challenge_method": "S256", "decision": decision}
        if scopes is not None:
            form["scope"] = " ".join(scopes)
        if organization_id:
            form["organizationId"] = organization_id
        answer = requests.post(
            f"{self.sandbox.url}/oauth2/authorize", data=form, allow_redirects=False, timeout=10
        )
        self.assertEqual(answer.status_code, 302)
        return answer.headers["Location"]

    def _connect_oauth(self, company=None, scopes=None, organization_id=None):
        """Connect `company` (default: the main company) with OAuth: an admin allows on the
        consent page, and the callback's work is done as the controller does it."""
        self._use_oauth()
        company = company or self.env.ref("base.main_company")
        admin = self.env.ref("base.user_admin")
        location = self._consent(company, scopes=scopes, organization_id=organization_id)
        callback = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
        found = company.with_user(admin)._lexware_company_for_state(callback["state"])
        self.assertEqual(found, company)
        found.with_user(admin)._lexware_finish_oauth(callback["code"])
        return company

    @classmethod
    def _book_by_hand(cls, number, day, voucher_type="salesinvoice"):
        """What a bookkeeper enters in Lexware itself: 100.00 net at 19 % under `number` on
        `day`, on the collective contact. Returns the voucher's id."""
        response = requests.post(
            f"{cls.sandbox.url}/v1/vouchers",
            json={
                "type": voucher_type,
                "voucherNumber": number,
                "voucherDate": day.isoformat(),
                "totalGrossAmount": 119.0,
                "totalTaxAmount": 19.0,
                "taxType": "net",
                "useCollectiveContact": True,
                "voucherItems": [
                    {
                        "amount": 100.0,
                        "taxAmount": 19.0,
                        "taxRatePercent": 19,
                        "categoryId": REVENUE,
                    }
                ],
            },
            headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()["id"]

    @classmethod
    def _connect_company(cls, company=None, api_key=SANDBOX_API_KEY, auto_transfer=True):
        """Connect `company` (default: the main company) with an API key, as Connect does."""
        company = company or cls.env.ref("base.main_company")
        company = company.with_user(cls.env.ref("base.user_admin")).sudo(False)
        company._lexware_connection().api_key = api_key
        company._lexware_action_connect(api_key=api_key)
        if auto_transfer:
            company.sudo().lexware_auto_transfer = True
        return company.with_env(cls.env)


class LexwareSandboxCase(LexwareSandboxMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.registry.in_test_mode():
            cls.registry.enter_test_mode(cls.cr)
            cls.addClassCleanup(cls.registry.leave_test_mode)
        cls._start_sandbox()


class LexwareSandboxHttpCase(LexwareSandboxMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._start_sandbox()
