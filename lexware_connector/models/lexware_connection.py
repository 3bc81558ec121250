"""A company's connection to its Lexware Office organisation: one row per company.

The row holds what the connection is (mode, organisation, state and last problem), its
secrets (the API key, the OAuth tokens and a pending OAuth state: readable and writable by
system admins only, never copied, never logged, never put in a message) and what Odoo
learned about the organisation while connected (asked again at every connect).
The company keeps its business settings and shows this row's state (`res.company`).
The webhook subscriptions of Lexware's payment events (issue 16) will live here as well.

Connecting, disconnecting and the admins' notices are here; OAuth, the tokens and the
client factory in `lexware_connection_oauth.py`.
"""

import json
import logging

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..lexware import ApiKeyAuth, LexwareAccessDenied, LexwareAuthError, LexwareError
from ..lexware.client import DEFAULT_API_URL
from ..lexware.oauth import DEFAULT_AUTH_URL
from .lexware_states import CONNECTED, CONNECTION_STATES, DISCONNECTED, LINKED_STATES

_logger = logging.getLogger(__name__)

SECRET_FIELDS = (
    "api_key",
    "access_token",
    "refresh_token",
    "token_expires_at",
    "oauth_state_hash",
    "oauth_verifier",
    "oauth_user_id",
    "oauth_state_expires",
)
# The first key of the advisory lock taken while connecting to an organisation: "LXO".
ORGANIZATION_LOCK_KEY = 0x4C584F


class LexwareConnection(models.Model):
    _name = "lexware.connection"
    _description = "Lexware Office Connection"
    _rec_name = "company_id"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, ondelete="cascade", copy=False
    )
    state = fields.Selection(
        CONNECTION_STATES,
        string="Lexware Connection",
        default=DISCONNECTED,
        required=True,
        copy=False,
    )
    mode = fields.Selection(
        [("oauth", "OAuth"), ("api_key", "API key")], string="Lexware Connection Kind", copy=False
    )
    organization_id = fields.Char(string="Lexware Organisation ID", copy=False)
    organization_name = fields.Char(string="Lexware Organisation", copy=False)
    contacts_organization_id = fields.Char(
        string="Lexware Organisation of the Contact IDs",
        copy=False,
        help="The organisation the Lexware contact ids cached on customers belong to; kept "
        "when disconnecting, so that connecting to another organisation forgets them.",
    )
    connected_since = fields.Datetime(string="Connected to Lexware Since", copy=False)
    connected_by = fields.Many2one(
        "res.users", string="Connected to Lexware By", copy=False, ondelete="set null"
    )
    last_error = fields.Char(
        string="Lexware Connection Problem",
        copy=False,
        help="What went wrong at the last attempt to connect, shown in the settings.",
    )

    # What Odoo learned about the organisation; a new connection asks again.
    small_business = fields.Boolean(string="Small Business (§19 UStG) in Lexware", copy=False)
    posting_categories = fields.Text(
        string="Lexware Posting Categories (JSON)",
        copy=False,
        help="The last answer of Lexware's /v1/posting-categories.",
    )
    repeated_items_refused = fields.Datetime(
        string="Lexware Refused Repeated Voucher Items",
        copy=False,
        help="When Lexware refused a voucher with two items of the same tax rate and "
        "category. Since then each rate and category goes as one item. A new connection "
        "asks Lexware again.",
    )
    xml_refused = fields.Datetime(
        string="Lexware Refused XML Files",
        copy=False,
        help="When Lexware last refused an invoice's XRechnung XML: the organisation takes "
        "XML files only with its e-invoice feature on. For a while since, invoices go with "
        "their PDF alone; a new connection asks Lexware again.",
    )
    tax_tolerance = fields.Selection(
        [("strict", "Exact Amount Times Rate"), ("lenient", "Rounded Amount Times Rate")],
        string="Lexware's Tax Check",
        copy=False,
        help="How Lexware checked a voucher item's tax against its amount times the rate, "
        "as far as Odoo has seen: within a cent of the exact product, or of the product "
        "rounded to cents. Empty until Lexware answered; a new connection asks again.",
    )

    # Secrets: system admins only.
    api_key = fields.Char(string="Lexware API Key", groups="base.group_system", copy=False)
    access_token = fields.Char(
        string="Lexware Access Token", groups="base.group_system", copy=False
    )
    refresh_token = fields.Char(
        string="Lexware Refresh Token", groups="base.group_system", copy=False
    )
    token_expires_at = fields.Float(
        string="Lexware Access Token Expiry (epoch seconds)", groups="base.group_system", copy=False
    )
    oauth_state_hash = fields.Char(
        string="Lexware Oauth State Hash", groups="base.group_system", copy=False
    )
    oauth_verifier = fields.Char(
        string="Lexware Oauth Verifier", groups="base.group_system", copy=False
    )
    oauth_user_id = fields.Many2one(
        "res.users",
        string="Lexware Oauth User",
        groups="base.group_system",
        copy=False,
        ondelete="set null",
    )
    oauth_state_expires = fields.Datetime(
        string="Lexware Oauth State Expires", groups="base.group_system", copy=False
    )
    generation = fields.Integer(
        string="Lexware Connection Generation",
        groups="base.group_system",
        copy=False,
        readonly=True,
        help="Counts the connects and disconnects. A client made before the last one does "
        "not store the tokens it refreshes: they belong to a connection that is gone.",
    )

    _sql_constraints = [
        (
            "company_uniq",
            "unique(company_id)",
            "A company has one connection to Lexware Office.",
        ),
    ]

    # -- who may write the connection -----------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        self._check_writer()
        return super().create(vals_list)

    def write(self, vals):
        self._check_writer()
        return super().write(vals)

    def _check_writer(self):
        """Administrators (through the settings) and the connector (with sudo) only: anyone
        else could point a company at another organisation, or mark it connected."""
        if not self.env.su and not self.env.user.has_group("base.group_system"):
            raise AccessError(
                self.env._("Only administrators can change the connection to Lexware Office.")
            )

    def _check_admin(self):
        if not self.env.su and not self.env.user.has_group("base.group_system"):
            raise AccessError(
                self.env._("Only administrators can connect or disconnect Lexware Office.")
            )

    def _check_currency(self):
        company = self.company_id
        if company.currency_id.name != "EUR":
            raise UserError(
                self.env._(
                    "Lexware Office books in euros only. The currency of %(company)s is "
                    "%(currency)s, so it cannot be connected to Lexware Office.",
                    company=company.name,
                    currency=company.currency_id.name,
                )
            )

    # -- configuration --------------------------------------------------------------------

    @api.model
    def _params(self):
        get = self.env["ir.config_parameter"].sudo().get_param
        return {
            "api_url": get("lexware_connector.api_url") or DEFAULT_API_URL,
            "auth_url": get("lexware_connector.auth_url") or DEFAULT_AUTH_URL,
            "client_id": get("lexware_connector.client_id") or "",
            "client_secret": get("lexware_connector.client_secret") or "",
        }

    @api.model
    def _oauth_configured(self):
        params = self._params()
        return bool(params["client_id"] and params["client_secret"])

    # -- connect --------------------------------------------------------------------------

    def _action_connect(self, api_key=None):
        """What the settings' Connect button does: OAuth redirect, or check the API key."""
        self.ensure_one()
        self._check_admin()
        self._check_currency()
        if self._oauth_configured():
            return self._start_oauth()
        api_key = (api_key or self.sudo().api_key or "").strip()
        if not api_key:
            raise UserError(
                self.env._(
                    "Paste the API key you created in Lexware Office "
                    "(Erweiterungen > Public API) before you connect."
                )
            )
        client = self._new_client(ApiKeyAuth(api_key))
        try:
            profile = client.get_profile()
        except LexwareAccessDenied as exc:
            raise UserError(self.env["lexware.messages"]._access_denied_words(exc)) from None
        except LexwareAuthError:
            raise UserError(
                self.env._(
                    "Lexware Office refused this API key. Check that you copied it "
                    "completely and that it has not been revoked, or create a new one."
                )
            ) from None
        except LexwareError as exc:
            _logger.warning("Lexware: checking the API key failed (%s)", type(exc).__name__)
            raise UserError(
                self.env._(
                    "Lexware Office could not be reached to check the API key. Try again later."
                )
            ) from None
        credentials = {
            "api_key": api_key,
            "access_token": False,
            "refresh_token": False,
            "token_expires_at": 0.0,
        }
        self._set_connected("api_key", profile, client, lambda: credentials)
        return True

    def _set_connected(self, mode, profile, client, credentials):
        """Take the connection: `credentials()` are the secret values to store with it.

        Every connect starts a new connection generation, and the authorization it replaces
        is revoked once the new one is stored.
        """
        self.ensure_one()
        organization_id = profile.get("organizationId") or False
        self._check_organization_free(organization_id, profile.get("companyName"))
        previous_refresh_token = self._stored_refresh_token()
        if self.contacts_organization_id != organization_id:
            self._forget_contacts()
        values = {
            "contacts_organization_id": organization_id,
            "state": CONNECTED,
            "mode": mode,
            "organization_id": organization_id,
            "organization_name": profile.get("companyName") or False,
            "small_business": bool(profile.get("smallBusiness")),
            "connected_since": fields.Datetime.now(),
            "connected_by": self.env.uid,
            "last_error": False,
            "repeated_items_refused": False,
            "tax_tolerance": False,
            "xml_refused": False,
        }
        categories = self._read_posting_categories(client)
        if categories is not None:
            values["posting_categories"] = json.dumps(categories)
        values.update(credentials())
        self.sudo().write(values)
        self._next_generation()
        if previous_refresh_token and previous_refresh_token != values.get("refresh_token"):
            self._revoke_quietly(previous_refresh_token)
        self.company_id._lexware_default_category_on_connect()
        self._post_note(
            self.env._(
                "Connected to the Lexware Office organisation %(organisation)s by %(user)s.",
                organisation=self.organization_name or "?",
                user=self.env.user.name,
            )
        )
        cron = self.env.ref("lexware_connector.ir_cron_lexware_transfer", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()

    def _read_posting_categories(self, client):
        """Lexware's posting categories, or None when Lexware could not be asked now."""
        try:
            return client.get_posting_categories() or []
        except LexwareAccessDenied as exc:
            # Not a hiccup: this connection could not book either.
            raise UserError(self.env["lexware.messages"]._access_denied_words(exc)) from None
        except LexwareError as exc:
            _logger.warning(
                "Lexware: reading the posting categories failed (%s)", type(exc).__name__
            )
            return None

    def _check_organization_free(self, organization_id, organization_name):
        """One organisation keeps one company's books: a second company in it would book
        its invoices among the first one's, under numbers that may repeat."""
        if not organization_id:
            return
        # Two admins connecting two companies at once: the second waits, then sees the first.
        self.env.cr.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
            (ORGANIZATION_LOCK_KEY, organization_id),
        )
        other = self.sudo().search(
            [
                ("id", "!=", self.id),
                ("organization_id", "=", organization_id),
                ("state", "in", LINKED_STATES),
            ],
            limit=1,
        )
        if other:
            raise UserError(
                self.env._(
                    "The Lexware Office organisation %(organisation)s is already connected to "
                    "the company %(company)s. One organisation keeps the books of one company: "
                    "connect %(this)s to its own organisation, or disconnect %(company)s first.",
                    organisation=organization_name or organization_id,
                    company=other.company_id.name,
                    this=self.company_id.name,
                )
            )

    def _next_generation(self):
        """Start a new connection generation, in one statement so that two never share one."""
        self.ensure_one()
        self.flush_recordset()
        self.env.cr.execute(
            "UPDATE lexware_connection SET generation = COALESCE(generation, 0) + 1 WHERE id = %s",
            [self.id],
        )
        self.invalidate_recordset(["generation"])

    def _forget_contacts(self):
        """Contact ids of another organisation mean nothing in this one."""
        self.ensure_one()
        partners = (
            self.env["res.partner"]
            .sudo()
            .with_company(self.company_id)
            .with_context(active_test=False)
            .search([("lexware_contact_id", "!=", False)])
        )
        partners.write({"lexware_contact_id": False, "lexware_contact_unsure": False})

    # -- disconnect -----------------------------------------------------------------------

    def _action_disconnect(self):
        """Revoke at Lexware (OAuth), erase the secrets, switch auto transfer off.

        Transfers and invoices keep their history and state; the row stays, with the
        organisation the cached contact ids belong to and the generation.
        """
        self.ensure_one()
        self._check_admin()
        connection = self.sudo()
        if connection.mode == "oauth" and connection.refresh_token:
            connection._revoke_quietly(connection.refresh_token)
        organisation = connection.organization_name
        connection.write(
            {
                "state": DISCONNECTED,
                "mode": False,
                "organization_id": False,
                "organization_name": False,
                "connected_since": False,
                "connected_by": False,
                "last_error": False,
                **dict.fromkeys(SECRET_FIELDS, False),
            }
        )
        connection.company_id.lexware_auto_transfer = False
        self._next_generation()
        self._post_note(
            self.env._(
                "Disconnected from the Lexware Office organisation %(organisation)s by %(user)s.",
                organisation=organisation or "?",
                user=self.env.user.name,
            )
        )
        return True

    # -- the admins' notices --------------------------------------------------------------

    def _notify_admins(self, problem=None):
        """Tell the admins the company must be connected again; `problem` in words, else
        the authorization is lost."""
        self.ensure_one()
        admins = self._admins()
        if not admins:
            return
        company = self.company_id
        messages = self.env["lexware.messages"]
        company.partner_id.sudo().message_notify(
            partner_ids=admins.partner_id.ids,
            subject=messages._reconnect_subject(company),
            body=messages._reconnect_words(company, problem),
            subtype_xmlid="mail.mt_comment",
        )

    def _admins(self):
        self.ensure_one()
        return (
            self.env["res.users"]
            .sudo()
            .search(
                [
                    ("groups_id", "in", self.env.ref("base.group_system").id),
                    ("share", "=", False),
                    ("company_ids", "in", self.company_id.id),
                    ("id", "!=", SUPERUSER_ID),
                ]
            )
        )

    def _post_note(self, body):
        self.company_id.partner_id.sudo().message_post(body=body, subtype_xmlid="mail.mt_note")

    # -- the posting categories of the organisation ---------------------------------------

    def _posting_category_list(self):
        self.ensure_one()
        try:
            categories = json.loads(self.sudo().posting_categories or "[]")
        except ValueError:
            categories = []
        return categories if isinstance(categories, list) else []

    def _refresh_posting_categories(self):
        """Re-read the posting categories (after Lexware refused a category id)."""
        self.ensure_one()
        categories = self._client().get_posting_categories()
        self.sudo().posting_categories = json.dumps(categories or [])
        return categories
