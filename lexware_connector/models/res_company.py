"""A company's connection to its Lexware Office organisation.

Secrets (API key, tokens, the pending OAuth state) live on the company in fields only system
admins can read or write. They are never copied, never logged and never put in a message.
"""

import hashlib
import json
import logging
import secrets
from datetime import timedelta

import psycopg2

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import consteq

from ..lexware import (
    ApiKeyAuth,
    LexwareAccessDenied,
    LexwareAuthError,
    LexwareClient,
    LexwareError,
    OAuthApp,
    OAuthTokens,
    OAuthTokenSource,
    make_pkce_pair,
)
from ..lexware.categories import CATEGORY_NAMES, DOCUMENTED_IDS, resolve_categories
from ..lexware.client import DEFAULT_API_URL
from ..lexware.errors import REFUSED
from ..lexware.oauth import DEFAULT_AUTH_URL
from .lexware_states import (
    CONNECTED,
    CONNECTION_STATES,
    DISCONNECTED,
    LINKED_STATES,
    RECONNECT_NEEDED,
    is_connected,
)

_logger = logging.getLogger(__name__)

CALLBACK_PATH = "/lexware/oauth/callback"
OAUTH_STATE_TTL = timedelta(minutes=10)

SECRET_FIELDS = (
    "lexware_api_key",
    "lexware_access_token",
    "lexware_refresh_token",
    "lexware_token_expires_at",
    "lexware_oauth_state_hash",
    "lexware_oauth_verifier",
    "lexware_oauth_user_id",
    "lexware_oauth_state_expires",
)
_TOKEN_COLUMNS = ("lexware_access_token", "lexware_refresh_token", "lexware_token_expires_at")
# The first key of the advisory lock taken while connecting to an organisation: "LXO".
ORGANIZATION_LOCK_KEY = 0x4C584F


def _hash_state(token):
    return hashlib.sha256(token.encode()).hexdigest()


class ResCompany(models.Model):
    _inherit = "res.company"

    lexware_connection_state = fields.Selection(
        CONNECTION_STATES,
        string="Lexware Connection",
        default=DISCONNECTED,
        required=True,
        copy=False,
    )
    lexware_connected = fields.Boolean(
        string="Connected to Lexware Office",
        compute="_compute_lexware_connected",
        store=True,
        help="False while the connection is lost and needs the admin to reconnect; "
        "the auto transfer switch keeps its value meanwhile.",
    )
    lexware_connection_mode = fields.Selection(
        [("oauth", "OAuth"), ("api_key", "API key")],
        string="Lexware Connection Kind",
        copy=False,
    )
    lexware_organization_id = fields.Char(string="Lexware Organisation ID", copy=False)
    lexware_organization_name = fields.Char(string="Lexware Organisation", copy=False)
    lexware_contacts_organization_id = fields.Char(
        string="Lexware Organisation of the Contact IDs",
        copy=False,
        help="The organisation the Lexware contact ids cached on customers belong to; kept "
        "when disconnecting, so that connecting to another organisation forgets them.",
    )
    lexware_connected_since = fields.Datetime(string="Connected to Lexware Since", copy=False)
    lexware_connected_by = fields.Many2one(
        "res.users", string="Connected to Lexware By", copy=False, ondelete="set null"
    )
    lexware_last_error = fields.Char(
        string="Lexware Connection Problem",
        copy=False,
        help="What went wrong at the last attempt to connect, shown in the settings.",
    )
    lexware_auto_transfer = fields.Boolean(
        string="Transfer Invoices to Lexware Automatically", copy=False
    )
    lexware_small_business = fields.Boolean(
        string="Small Business (§19 UStG) in Lexware", copy=False
    )
    lexware_default_category_id = fields.Char(string="Default Lexware Revenue Category", copy=False)
    lexware_use_collective_contact = fields.Boolean(
        string="Book Private Customers on Lexware's Collective Contact"
    )
    lexware_repeated_items_refused = fields.Datetime(
        string="Lexware Refused Repeated Voucher Items",
        copy=False,
        readonly=True,
        help="When Lexware refused a voucher with two items of the same tax rate and "
        "category. Since then each rate and category goes as one item. A new connection "
        "asks Lexware again.",
    )
    lexware_tax_tolerance = fields.Selection(
        [("strict", "Exact Amount Times Rate"), ("lenient", "Rounded Amount Times Rate")],
        string="Lexware's Tax Check",
        copy=False,
        readonly=True,
        help="How Lexware checked a voucher item's tax against its amount times the rate, "
        "as far as Odoo has seen: within a cent of the exact product, or of the product "
        "rounded to cents. Empty until Lexware answered; a new connection asks again.",
    )
    lexware_posting_categories = fields.Text(
        string="Lexware Posting Categories (JSON)",
        copy=False,
        help="The last answer of Lexware's /v1/posting-categories.",
    )

    # Secrets: system admins only.
    lexware_api_key = fields.Char(string="Lexware API Key", groups="base.group_system", copy=False)
    lexware_access_token = fields.Char(groups="base.group_system", copy=False)
    lexware_refresh_token = fields.Char(groups="base.group_system", copy=False)
    lexware_token_expires_at = fields.Float(
        string="Lexware Access Token Expiry (epoch seconds)", groups="base.group_system", copy=False
    )
    lexware_oauth_state_hash = fields.Char(groups="base.group_system", copy=False)
    lexware_oauth_verifier = fields.Char(groups="base.group_system", copy=False)
    lexware_oauth_user_id = fields.Many2one(
        "res.users", groups="base.group_system", copy=False, ondelete="set null"
    )
    lexware_oauth_state_expires = fields.Datetime(groups="base.group_system", copy=False)
    lexware_connection_generation = fields.Integer(
        groups="base.group_system",
        copy=False,
        readonly=True,
        help="Counts the connects and disconnects. A client made before the last one does "
        "not store the tokens it refreshes: they belong to a connection that is gone.",
    )

    @api.depends("lexware_connection_state")
    def _compute_lexware_connected(self):
        for company in self:
            company.lexware_connected = is_connected(company)

    # -- who may write the connection -----------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._lexware_check_settings_writer(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._lexware_check_settings_writer(vals)
        return super().write(vals)

    def _lexware_check_settings_writer(self, vals):
        """The connection and its switches are the administrators' (through the settings)
        and the connector's (with sudo): written by anyone else they could point the
        company at another organisation, or mark it connected when it is not."""
        names = sorted(name for name in vals if name.startswith("lexware_"))
        if names and not self.env.su and not self.env.user.has_group("base.group_system"):
            raise AccessError(
                self.env._(
                    "Only administrators can change the Lexware Office settings of a company "
                    "(%(fields)s).",
                    fields=", ".join(names),
                )
            )

    # -- configuration --------------------------------------------------------------------

    @api.model
    def _lexware_params(self):
        get = self.env["ir.config_parameter"].sudo().get_param
        return {
            "api_url": get("lexware_connector.api_url") or DEFAULT_API_URL,
            "auth_url": get("lexware_connector.auth_url") or DEFAULT_AUTH_URL,
            "client_id": get("lexware_connector.client_id") or "",
            "client_secret": get("lexware_connector.client_secret") or "",
        }

    @api.model
    def _lexware_oauth_configured(self):
        params = self._lexware_params()
        return bool(params["client_id"] and params["client_secret"])

    @api.model
    def _lexware_oauth_app(self):
        params = self._lexware_params()
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        return OAuthApp(
            auth_url=params["auth_url"],
            client_id=params["client_id"],
            client_secret=params["client_secret"],
            redirect_uri=base_url.rstrip("/") + CALLBACK_PATH,
        )

    def _lexware_check_admin(self):
        if not self.env.su and not self.env.user.has_group("base.group_system"):
            raise AccessError(
                self.env._("Only administrators can connect or disconnect Lexware Office.")
            )

    def _lexware_check_currency(self):
        self.ensure_one()
        if self.currency_id.name != "EUR":
            raise UserError(
                self.env._(
                    "Lexware Office books in euros only. The currency of %(company)s is "
                    "%(currency)s, so it cannot be connected to Lexware Office.",
                    company=self.name,
                    currency=self.currency_id.name,
                )
            )

    # -- connect --------------------------------------------------------------------------

    def _lexware_action_connect(self, api_key=None):
        """What the settings' Connect button does: OAuth redirect, or check the API key."""
        self.ensure_one()
        self._lexware_check_admin()
        self._lexware_check_currency()
        if self._lexware_oauth_configured():
            return self._lexware_start_oauth()
        company = self.sudo()
        api_key = (api_key or company.lexware_api_key or "").strip()
        if not api_key:
            raise UserError(
                self.env._(
                    "Paste the API key you created in Lexware Office "
                    "(Erweiterungen > Public API) before you connect."
                )
            )
        client = self._lexware_new_client(ApiKeyAuth(api_key))
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
            "lexware_api_key": api_key,
            "lexware_access_token": False,
            "lexware_refresh_token": False,
            "lexware_token_expires_at": 0.0,
        }
        self._lexware_set_connected("api_key", profile, client, lambda: credentials)
        return True

    def _lexware_start_oauth(self):
        """A fresh single-use state bound to this company and user, and the authorize URL."""
        self.ensure_one()
        token = secrets.token_urlsafe(32)
        verifier, challenge = make_pkce_pair()
        self.sudo().write(
            {
                "lexware_oauth_state_hash": _hash_state(token),
                "lexware_oauth_verifier": verifier,
                "lexware_oauth_user_id": self.env.uid,
                "lexware_oauth_state_expires": fields.Datetime.now() + OAUTH_STATE_TTL,
                "lexware_last_error": False,
            }
        )
        state = f"{self.id}.{token}"
        return {
            "type": "ir.actions.act_url",
            "url": self._lexware_oauth_app().authorize_url(state, challenge),
            "target": "self",
        }

    @api.model
    def _lexware_company_for_state(self, state):
        """The company whose pending OAuth state `state` is, for the current user; or None.

        The state is accepted once: a match clears it. Expired states are cleared as well.
        """
        company_id, _dot, token = (state or "").partition(".")
        if not company_id.isdigit() or not token:
            return None
        company = self.sudo().browse(int(company_id)).exists()
        if not company or company not in self.env.user.company_ids:
            return None
        stored = company.lexware_oauth_state_hash
        if not stored or not consteq(stored, _hash_state(token)):
            return None
        if company.lexware_oauth_user_id.id != self.env.uid:
            return None
        expired = (
            not company.lexware_oauth_state_expires
            or company.lexware_oauth_state_expires < fields.Datetime.now()
        )
        verifier = company.lexware_oauth_verifier
        company.write(
            {
                "lexware_oauth_state_hash": False,
                "lexware_oauth_verifier": False,
                "lexware_oauth_user_id": False,
                "lexware_oauth_state_expires": False,
            }
        )
        if expired:
            return None
        return company.with_context(lexware_oauth_verifier=verifier)

    def _lexware_finish_oauth(self, code):
        """Exchange the code, store the tokens and read the profile. Raises UserError."""
        self.ensure_one()
        self._lexware_check_admin()
        self._lexware_check_currency()
        verifier = self.env.context.get("lexware_oauth_verifier")
        app = self._lexware_oauth_app()
        try:
            tokens = app.exchange_code(code, verifier)
        except LexwareError as exc:
            _logger.warning("Lexware: the OAuth code exchange failed (%s)", type(exc).__name__)
            raise UserError(
                self.env._("Lexware Office did not accept the authorization. Please connect again.")
            ) from None
        # A candidate until the connection is taken: its tokens (refreshed or not) are
        # stored with it, and revoked when it is refused.
        source = OAuthTokenSource(app, tokens, connection_key=str(self.id))
        client = self._lexware_new_client(source)
        try:
            profile = self._lexware_authorized_profile(client)
            self._lexware_set_connected(
                "oauth",
                profile,
                client,
                lambda: {"lexware_api_key": False, **self._lexware_token_values(source.tokens)},
            )
        except UserError:
            self._lexware_revoke_quietly(source.tokens.refresh_token, app)
            raise

    def _lexware_authorized_profile(self, client):
        try:
            return client.get_profile()
        except LexwareAccessDenied as exc:
            raise UserError(self.env["lexware.messages"]._access_denied_words(exc)) from None
        except LexwareError as exc:
            _logger.warning("Lexware: reading the profile failed (%s)", type(exc).__name__)
            raise UserError(
                self.env._(
                    "Lexware Office could not be reached after the authorization. Try again later."
                )
            ) from None

    def _lexware_set_connected(self, mode, profile, client, credentials):
        """Take the connection: `credentials()` are the secret values to store with it.

        Every connect starts a new connection generation, and the authorization it replaces
        is revoked once the new one is stored.
        """
        self.ensure_one()
        organization_id = profile.get("organizationId") or False
        self._lexware_check_organization_free(organization_id, profile.get("companyName"))
        previous_refresh_token = self._lexware_stored_refresh_token()
        if self.lexware_contacts_organization_id != organization_id:
            self._lexware_forget_contacts()
        values = {
            "lexware_contacts_organization_id": organization_id,
            "lexware_connection_state": CONNECTED,
            "lexware_connection_mode": mode,
            "lexware_organization_id": organization_id,
            "lexware_organization_name": profile.get("companyName") or False,
            "lexware_small_business": bool(profile.get("smallBusiness")),
            "lexware_connected_since": fields.Datetime.now(),
            "lexware_connected_by": self.env.uid,
            "lexware_last_error": False,
            "lexware_repeated_items_refused": False,
            "lexware_tax_tolerance": False,
        }
        try:
            categories = client.get_posting_categories()
        except LexwareAccessDenied as exc:
            # Not a hiccup: this connection could not book either.
            raise UserError(self.env["lexware.messages"]._access_denied_words(exc)) from None
        except LexwareError as exc:
            _logger.warning(
                "Lexware: reading the posting categories failed (%s)", type(exc).__name__
            )
        else:
            values["lexware_posting_categories"] = json.dumps(categories or [])
        values.update(credentials())
        self.sudo().write(values)
        self._lexware_next_generation()
        if previous_refresh_token and previous_refresh_token != values.get("lexware_refresh_token"):
            self._lexware_revoke_quietly(previous_refresh_token)
        if not self.lexware_default_category_id:
            category = self._lexware_revenue_category_id("revenue_general")
            if category:
                self.sudo().lexware_default_category_id = category
        self._lexware_post_note(
            self.env._(
                "Connected to the Lexware Office organisation %(organisation)s by %(user)s.",
                organisation=self.lexware_organization_name or "?",
                user=self.env.user.name,
            )
        )
        cron = self.env.ref("lexware_connector.ir_cron_lexware_transfer", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()

    def _lexware_check_organization_free(self, organization_id, organization_name):
        """One organisation keeps one company's books: a second company in it would book
        its invoices among the first one's, under numbers that may repeat."""
        if not organization_id:
            return
        # Two admins connecting two companies at once: the second waits, then sees the first.
        self.env.cr.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
            (ORGANIZATION_LOCK_KEY, organization_id),
        )
        other = (
            self.sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("id", "!=", self.id),
                    ("lexware_organization_id", "=", organization_id),
                    ("lexware_connection_state", "in", LINKED_STATES),
                ],
                limit=1,
            )
        )
        if other:
            raise UserError(
                self.env._(
                    "The Lexware Office organisation %(organisation)s is already connected to "
                    "the company %(company)s. One organisation keeps the books of one company: "
                    "connect %(this)s to its own organisation, or disconnect %(company)s first.",
                    organisation=organization_name or organization_id,
                    company=other.name,
                    this=self.name,
                )
            )

    def _lexware_stored_refresh_token(self):
        """The refresh token of the stored OAuth connection, as last committed; or None."""
        if self.sudo().lexware_connection_mode != "oauth":
            return None
        stored = self._lexware_read_tokens()
        return stored[0].refresh_token if stored else None

    def _lexware_next_generation(self):
        """Start a new connection generation, in one statement so that two never share one."""
        self.ensure_one()
        self.env.cr.execute(
            "UPDATE res_company SET lexware_connection_generation = "
            "COALESCE(lexware_connection_generation, 0) + 1 WHERE id = %s",
            [self.id],
        )
        self.invalidate_recordset(["lexware_connection_generation"])

    def _lexware_revoke_quietly(self, refresh_token, app=None):
        """Ask Lexware to end an authorization; best effort, never logging the token."""
        if not refresh_token:
            return
        try:
            (app or self._lexware_oauth_app()).revoke(refresh_token)
        except LexwareError as exc:
            _logger.warning(
                "Lexware: revoking an authorization of company %s failed (%s)",
                self.id,
                type(exc).__name__,
            )

    def _lexware_forget_contacts(self):
        """Contact ids of another organisation mean nothing in this one."""
        self.ensure_one()
        partners = (
            self.env["res.partner"]
            .sudo()
            .with_company(self)
            .with_context(active_test=False)
            .search([("lexware_contact_id", "!=", False)])
        )
        partners.write({"lexware_contact_id": False, "lexware_contact_unsure": False})

    # -- disconnect -----------------------------------------------------------------------

    def _lexware_action_disconnect(self):
        """Revoke at Lexware (OAuth), erase the secrets, switch auto transfer off.

        Transfers and invoices keep their history and state.
        """
        self.ensure_one()
        self._lexware_check_admin()
        company = self.sudo()
        if company.lexware_connection_mode == "oauth" and company.lexware_refresh_token:
            try:
                self._lexware_oauth_app().revoke(company.lexware_refresh_token)
            except LexwareError as exc:
                _logger.warning(
                    "Lexware: revoking the authorization of company %s failed (%s); "
                    "erasing it here anyway",
                    self.id,
                    type(exc).__name__,
                )
        organisation = company.lexware_organization_name
        company.write(
            {
                "lexware_connection_state": DISCONNECTED,
                "lexware_connection_mode": False,
                "lexware_auto_transfer": False,
                "lexware_organization_id": False,
                "lexware_organization_name": False,
                "lexware_connected_since": False,
                "lexware_connected_by": False,
                "lexware_last_error": False,
                **dict.fromkeys(SECRET_FIELDS, False),
            }
        )
        self._lexware_next_generation()
        self._lexware_post_note(
            self.env._(
                "Disconnected from the Lexware Office organisation %(organisation)s by %(user)s.",
                organisation=organisation or "?",
                user=self.env.user.name,
            )
        )
        return True

    # -- the client -----------------------------------------------------------------------

    def _lexware_new_client(self, auth):
        return LexwareClient(self._lexware_params()["api_url"], auth)

    def _lexware_client(self):
        """A ready LexwareClient for this company; UserError when it is not connected.

        OAuth tokens are read fresh from the database (another worker may have rotated them)
        and every refresh is stored at once in its own transaction.
        """
        self.ensure_one()
        company = self.sudo()
        if not is_connected(company):
            raise UserError(
                self.env._(
                    "%(company)s is not connected to Lexware Office. An administrator can "
                    "connect it in Settings > Integrations > Lexware Office.",
                    company=self.name,
                )
            )
        if company.lexware_connection_mode == "api_key":
            return self._lexware_new_client(ApiKeyAuth(company.lexware_api_key or ""))
        stored = self._lexware_read_tokens()
        if stored is None:
            raise UserError(
                self.env._(
                    "%(company)s has no Lexware Office authorization. An administrator can "
                    "connect it again in Settings > Integrations > Lexware Office.",
                    company=self.name,
                )
            )
        tokens, generation = stored
        return self._lexware_new_client(
            self._lexware_token_source(self._lexware_oauth_app(), tokens, generation)
        )

    def _lexware_token_source(self, app, tokens, generation):
        """The tokens of connection `generation`; refreshed ones are stored only while that
        connection is still the company's, else revoked and the client stops."""
        company_id = self.id
        registry = self.env.registry

        def on_refresh(new_tokens):
            if not self._lexware_store_tokens(registry, company_id, new_tokens, generation):
                self._lexware_revoke_quietly(new_tokens.refresh_token, app)
                raise LexwareAuthError(
                    "The connection these tokens belong to was ended or replaced",
                    kind=REFUSED,
                )

        return OAuthTokenSource(app, tokens, on_refresh, connection_key=str(company_id))

    @staticmethod
    def _lexware_token_values(tokens):
        return {
            "lexware_access_token": tokens.access_token,
            "lexware_refresh_token": tokens.refresh_token,
            "lexware_token_expires_at": tokens.expires_at,
        }

    def _lexware_read_tokens(self):
        """(tokens, connection generation) as last committed, whatever this transaction's
        snapshot says; or None. Read in one statement: the tokens belong to the generation."""
        self.ensure_one()
        self.env.flush_all()
        with self.env.registry.cursor() as cr:
            cr.execute(
                "SELECT lexware_access_token, lexware_refresh_token, lexware_token_expires_at, "
                "lexware_connection_generation FROM res_company WHERE id = %s",
                [self.id],
            )
            row = cr.fetchone()
        if not row or not row[1]:
            # Not committed yet (stored by this very transaction): take what it sees.
            company = self.sudo()
            if not company.lexware_refresh_token:
                return None
            row = (
                company.lexware_access_token,
                company.lexware_refresh_token,
                company.lexware_token_expires_at,
                company.lexware_connection_generation,
            )
        return OAuthTokens(row[0] or "", row[1], float(row[2] or 0.0)), row[3] or 0

    def _lexware_store_tokens(self, registry, company_id, tokens, generation):
        """Write rotated tokens in their own transaction, committed at once, if connection
        `generation` is still the company's; answer whether they were stored.

        A rotated refresh token voids the old one: losing it to a rollback of the caller's
        transaction would disconnect the customer. Tokens of an ended or replaced
        connection must not overwrite the current one's (or revive a disconnected company).
        """
        values = self._lexware_token_values(tokens)
        try:
            with registry.cursor() as cr:
                cr.execute("SET LOCAL lock_timeout = '5s'")
                stored = _store_if_current(
                    api.Environment(cr, SUPERUSER_ID, {}), company_id, generation, values
                )
        except psycopg2.OperationalError:
            # This transaction holds the company's row itself: store it here instead.
            _logger.warning(
                "Lexware: company %s is locked by the current transaction; "
                "storing the refreshed tokens in it",
                company_id,
            )
            return _store_if_current(self.env(su=True), company_id, generation, values)
        if not stored:
            _logger.warning(
                "Lexware: company %s was disconnected or connected again meanwhile; "
                "the refreshed tokens of the earlier connection are not stored",
                company_id,
            )
            return False
        _logger.info("Lexware: stored refreshed tokens of company %s", company_id)
        self.browse(company_id).invalidate_recordset(list(_TOKEN_COLUMNS))
        return True

    # -- authorization lost ---------------------------------------------------------------

    def _lexware_authorization_lost(self, reason=None, verify=True):
        """Lexware refused the credentials for good: the admins must reconnect.

        The company shows "reconnect needed"; queued transfers stay as they are and go
        once an admin has connected again.

        With `verify`, the stored credentials are tried once more first: another worker may
        have rotated the refresh token the failing client still held, which Lexware then
        refuses although the connection is fine. Not after a 402 or 403
        (`LexwareAccessDenied`): the profile may well answer while vouchers are denied, and
        only the customer can grant the scope or settle the contract.
        """
        denied = isinstance(reason, LexwareAccessDenied)
        for company in self.sudo():
            if not is_connected(company):
                continue
            if denied:
                company._lexware_access_denied(reason)
                continue
            if verify and company._lexware_still_authorized():
                _logger.info(
                    "Lexware: company %s: a refused credential was already replaced; "
                    "the connection stands",
                    company.id,
                )
                continue
            _logger.warning(
                "Lexware: company %s lost its authorization (%s)",
                company.id,
                type(reason).__name__ if isinstance(reason, Exception) else "refused",
            )
            company.write(
                {
                    "lexware_connection_state": RECONNECT_NEEDED,
                    "lexware_access_token": False,
                    "lexware_last_error": self.env["lexware.messages"]._authorization_lost_words(),
                }
            )
            company._lexware_notify_admins()

    def _lexware_access_denied(self, error):
        """A 402 or 403: the connection stays stored but waits for an admin to connect
        again (with every scope, or once the plan is in order)."""
        self.ensure_one()
        problem = self.env["lexware.messages"]._access_denied_words(error)
        _logger.warning("Lexware: company %s was denied access (%s)", self.id, error.status)
        self.write({"lexware_connection_state": RECONNECT_NEEDED, "lexware_last_error": problem})
        self._lexware_notify_admins(problem)

    def _lexware_still_authorized(self):
        """Whether Lexware still takes the stored credentials. Only Lexware refusing them
        says no: a network error or a server problem while asking tells nothing, and the
        connection stands."""
        self.ensure_one()
        try:
            self._lexware_client().get_profile()
        except (LexwareAuthError, UserError):
            return False
        except LexwareError as exc:
            _logger.warning(
                "Lexware: company %s: could not check the authorization (%s); the "
                "connection stands",
                self.id,
                type(exc).__name__,
            )
        return True

    def _lexware_notify_admins(self, problem=None):
        """Tell the admins the company must be connected again; `problem` in words, else
        the authorization is lost."""
        self.ensure_one()
        admins = self._lexware_admins()
        if not admins:
            return
        messages = self.env["lexware.messages"]
        self.partner_id.sudo().message_notify(
            partner_ids=admins.partner_id.ids,
            subject=messages._reconnect_subject(self),
            body=messages._reconnect_words(self, problem),
            subtype_xmlid="mail.mt_comment",
        )

    def _lexware_admins(self):
        self.ensure_one()
        return (
            self.env["res.users"]
            .sudo()
            .search(
                [
                    ("groups_id", "in", self.env.ref("base.group_system").id),
                    ("share", "=", False),
                    ("company_ids", "in", self.id),
                    ("id", "!=", SUPERUSER_ID),
                ]
            )
        )

    def _lexware_post_note(self, body):
        self.partner_id.sudo().message_post(body=body, subtype_xmlid="mail.mt_note")

    # -- posting categories ---------------------------------------------------------------

    def _lexware_posting_category_list(self):
        self.ensure_one()
        try:
            categories = json.loads(self.lexware_posting_categories or "[]")
        except ValueError:
            categories = []
        return categories if isinstance(categories, list) else []

    def _lexware_resolved_categories(self):
        """kind -> category id, from the cached posting categories."""
        return resolve_categories(self._lexware_posting_category_list())

    def _lexware_revenue_category_id(self, kind):
        """The id of a default revenue kind: as Lexware answered it, else as documented."""
        return self._lexware_resolved_categories().get(kind) or DOCUMENTED_IDS[kind]

    def _lexware_category(self, kind):
        """The Lexware category id for `kind`; UserError naming the missing category."""
        self.ensure_one()
        if kind == "revenue" and self.lexware_default_category_id:
            return self.lexware_default_category_id
        lookup = "revenue_general" if kind == "revenue" else kind
        category = self._lexware_resolved_categories().get(lookup)
        if not category:
            raise UserError(
                self.env._(
                    "The Lexware Office organisation of %(company)s offers no posting "
                    "category “%(category)s”. Check the categories in Lexware Office, then "
                    "connect again to reload them.",
                    company=self.name,
                    category=CATEGORY_NAMES.get(lookup, lookup),
                )
            )
        return category

    def _lexware_refresh_posting_categories(self):
        """Re-read the posting categories (after Lexware refused a category id)."""
        self.ensure_one()
        categories = self._lexware_client().get_posting_categories()
        self.sudo().lexware_posting_categories = json.dumps(categories or [])
        return categories


def _store_if_current(env, company_id, generation, values):
    """Store `values` if the company is still on connection `generation`; the row lock
    keeps a connect or disconnect from slipping in between the check and the write."""
    env["res.company"].flush_model()
    env.cr.execute(
        "SELECT lexware_connection_generation FROM res_company WHERE id = %s FOR UPDATE",
        [company_id],
    )
    row = env.cr.fetchone()
    if not row or (row[0] or 0) != generation:
        return False
    env["res.company"].browse(company_id).write(values)
    env.flush_all()
    return True
