"""The connection's OAuth flow, its tokens, and the client made from them.

Rotated tokens are stored at once in a transaction of their own and only while the
connection they belong to (its generation) is still the company's.
"""

import hashlib
import logging
import secrets
from datetime import timedelta

import psycopg2

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError
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
from ..lexware.errors import REFUSED
from .lexware_states import RECONNECT_NEEDED, is_connected

_logger = logging.getLogger(__name__)

CALLBACK_PATH = "/lexware/oauth/callback"
OAUTH_STATE_TTL = timedelta(minutes=10)
TOKEN_FIELDS = ("access_token", "refresh_token", "token_expires_at")
OAUTH_STATE_FIELDS = ("oauth_state_hash", "oauth_verifier", "oauth_user_id", "oauth_state_expires")


def _hash_state(token):
    return hashlib.sha256(token.encode()).hexdigest()


class LexwareConnection(models.Model):
    _inherit = "lexware.connection"

    @api.model
    def _oauth_app(self):
        params = self._params()
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        return OAuthApp(
            auth_url=params["auth_url"],
            client_id=params["client_id"],
            client_secret=params["client_secret"],
            redirect_uri=base_url.rstrip("/") + CALLBACK_PATH,
        )

    # -- the OAuth flow -------------------------------------------------------------------

    def _start_oauth(self):
        """A fresh single-use state bound to this company and user, and the authorize URL."""
        self.ensure_one()
        token = secrets.token_urlsafe(32)
        verifier, challenge = make_pkce_pair()
        self.sudo().write(
            {
                "oauth_state_hash": _hash_state(token),
                "oauth_verifier": verifier,
                "oauth_user_id": self.env.uid,
                "oauth_state_expires": fields.Datetime.now() + OAUTH_STATE_TTL,
                "last_error": False,
            }
        )
        state = f"{self.company_id.id}.{token}"
        return {
            "type": "ir.actions.act_url",
            "url": self._oauth_app().authorize_url(state, challenge),
            "target": "self",
        }

    @api.model
    def _for_oauth_state(self, state):
        """The connection whose pending OAuth state `state` is, for the current user; or None.

        The state is accepted once: a match clears it. Expired states are cleared as well.
        """
        company_id, _dot, token = (state or "").partition(".")
        if not company_id.isdigit() or not token:
            return None
        connection = self.sudo().search([("company_id", "=", int(company_id))], limit=1)
        if not connection or connection.company_id not in self.env.user.company_ids:
            return None
        stored = connection.oauth_state_hash
        if not stored or not consteq(stored, _hash_state(token)):
            return None
        if connection.oauth_user_id.id != self.env.uid:
            return None
        expired = (
            not connection.oauth_state_expires
            or connection.oauth_state_expires < fields.Datetime.now()
        )
        verifier = connection.oauth_verifier
        connection.write(dict.fromkeys(OAUTH_STATE_FIELDS, False))
        if expired:
            return None
        return connection.with_env(self.env).with_context(lexware_oauth_verifier=verifier)

    def _finish_oauth(self, code):
        """Exchange the code, store the tokens and read the profile. Raises UserError."""
        self.ensure_one()
        self._check_admin()
        self._check_currency()
        verifier = self.env.context.get("lexware_oauth_verifier")
        app = self._oauth_app()
        try:
            tokens = app.exchange_code(code, verifier)
        except LexwareError as exc:
            _logger.warning("Lexware: the OAuth code exchange failed (%s)", type(exc).__name__)
            raise UserError(
                self.env._("Lexware Office did not accept the authorization. Please connect again.")
            ) from None
        # A candidate until the connection is taken: its tokens (refreshed or not) are
        # stored with it, and revoked when it is refused.
        source = OAuthTokenSource(app, tokens, connection_key=str(self.company_id.id))
        client = self._new_client(source)
        try:
            profile = self._authorized_profile(client)
            self._set_connected(
                "oauth",
                profile,
                client,
                lambda: {"api_key": False, **self._token_values(source.tokens)},
            )
        except UserError:
            self._revoke_quietly(source.tokens.refresh_token, app)
            raise

    def _authorized_profile(self, client):
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

    def _stored_refresh_token(self):
        """The refresh token of the stored OAuth connection, as last committed; or None."""
        if self.sudo().mode != "oauth":
            return None
        stored = self._read_tokens()
        return stored[0].refresh_token if stored else None

    def _revoke_quietly(self, refresh_token, app=None):
        """Ask Lexware to end an authorization; best effort, never logging the token."""
        if not refresh_token:
            return
        try:
            (app or self._oauth_app()).revoke(refresh_token)
        except LexwareError as exc:
            _logger.warning(
                "Lexware: revoking an authorization of company %s failed (%s)",
                self.company_id.id,
                type(exc).__name__,
            )

    # -- the client -----------------------------------------------------------------------

    def _new_client(self, auth):
        return LexwareClient(self._params()["api_url"], auth)

    def _client(self):
        """A ready LexwareClient for the company; UserError when it is not connected.

        OAuth tokens are read fresh from the database (another worker may have rotated them)
        and every refresh is stored at once in its own transaction.
        """
        self.ensure_one()
        connection = self.sudo()
        company = connection.company_id
        if not is_connected(company):
            raise UserError(
                self.env._(
                    "%(company)s is not connected to Lexware Office. An administrator can "
                    "connect it in Settings > Integrations > Lexware Office.",
                    company=company.name,
                )
            )
        if connection.mode == "api_key":
            return self._new_client(ApiKeyAuth(connection.api_key or ""))
        stored = self._read_tokens()
        if stored is None:
            raise UserError(
                self.env._(
                    "%(company)s has no Lexware Office authorization. An administrator can "
                    "connect it again in Settings > Integrations > Lexware Office.",
                    company=company.name,
                )
            )
        tokens, generation = stored
        return self._new_client(self._token_source(self._oauth_app(), tokens, generation))

    def _token_source(self, app, tokens, generation):
        """The tokens of connection `generation`; refreshed ones are stored only while that
        connection is still the company's, else revoked and the client stops."""
        connection_id = self.id
        registry = self.env.registry

        def on_refresh(new_tokens):
            if not self._store_tokens(registry, connection_id, new_tokens, generation):
                self._revoke_quietly(new_tokens.refresh_token, app)
                raise LexwareAuthError(
                    "The connection these tokens belong to was ended or replaced",
                    kind=REFUSED,
                )

        return OAuthTokenSource(
            app, tokens, on_refresh, connection_key=str(self.sudo().company_id.id)
        )

    @staticmethod
    def _token_values(tokens):
        return {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "token_expires_at": tokens.expires_at,
        }

    def _read_tokens(self):
        """(tokens, connection generation) as last committed, whatever this transaction's
        snapshot says; or None. Read in one statement: the tokens belong to the generation."""
        self.ensure_one()
        self.env.flush_all()
        with self.env.registry.cursor() as cr:
            cr.execute(
                "SELECT access_token, refresh_token, token_expires_at, generation "
                "FROM lexware_connection WHERE id = %s",
                [self.id],
            )
            row = cr.fetchone()
        if not row or not row[1]:
            # Not committed yet (stored by this very transaction): take what it sees.
            connection = self.sudo()
            if not connection.refresh_token:
                return None
            row = (
                connection.access_token,
                connection.refresh_token,
                connection.token_expires_at,
                connection.generation,
            )
        return OAuthTokens(row[0] or "", row[1], float(row[2] or 0.0)), row[3] or 0

    def _store_tokens(self, registry, connection_id, tokens, generation):
        """Write rotated tokens in their own transaction, committed at once, if connection
        `generation` is still the company's; answer whether they were stored.

        A rotated refresh token voids the old one: losing it to a rollback of the caller's
        transaction would disconnect the customer. Tokens of an ended or replaced
        connection must not overwrite the current one's (or revive a disconnected company).
        """
        values = self._token_values(tokens)
        try:
            with registry.cursor() as cr:
                cr.execute("SET LOCAL lock_timeout = '5s'")
                stored = _store_if_current(
                    api.Environment(cr, SUPERUSER_ID, {}), connection_id, generation, values
                )
        except psycopg2.OperationalError:
            # This transaction holds the connection's row itself: store it here instead.
            _logger.warning(
                "Lexware: connection %s is locked by the current transaction; "
                "storing the refreshed tokens in it",
                connection_id,
            )
            return _store_if_current(self.env(su=True), connection_id, generation, values)
        if not stored:
            _logger.warning(
                "Lexware: connection %s was disconnected or connected again meanwhile; "
                "the refreshed tokens of the earlier connection are not stored",
                connection_id,
            )
            return False
        _logger.info("Lexware: stored refreshed tokens of connection %s", connection_id)
        self.browse(connection_id).invalidate_recordset(list(TOKEN_FIELDS))
        return True

    # -- authorization lost ---------------------------------------------------------------

    def _authorization_lost(self, reason=None, verify=True):
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
        for connection in self.sudo():
            company = connection.company_id
            if not is_connected(company):
                continue
            if denied:
                connection._access_denied(reason)
                continue
            if verify and connection._still_authorized():
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
            connection.write(
                {
                    "state": RECONNECT_NEEDED,
                    "access_token": False,
                    "last_error": self.env["lexware.messages"]._authorization_lost_words(),
                }
            )
            connection._notify_admins()

    def _access_denied(self, error):
        """A 402 or 403: the connection stays stored but waits for an admin to connect
        again (with every scope, or once the plan is in order)."""
        self.ensure_one()
        problem = self.env["lexware.messages"]._access_denied_words(error)
        _logger.warning(
            "Lexware: company %s was denied access (%s)", self.company_id.id, error.status
        )
        self.sudo().write({"state": RECONNECT_NEEDED, "last_error": problem})
        self._notify_admins(problem)

    def _still_authorized(self):
        """Whether Lexware still takes the stored credentials. Only Lexware refusing them
        says no: a network error or a server problem while asking tells nothing, and the
        connection stands."""
        self.ensure_one()
        try:
            self._client().get_profile()
        except (LexwareAuthError, UserError):
            return False
        except LexwareError as exc:
            _logger.warning(
                "Lexware: company %s: could not check the authorization (%s); the "
                "connection stands",
                self.company_id.id,
                type(exc).__name__,
            )
        return True


def _store_if_current(env, connection_id, generation, values):
    """Store `values` if the connection is still at `generation`; the row lock keeps a
    connect or disconnect from slipping in between the check and the write."""
    env["lexware.connection"].flush_model()
    env.cr.execute(
        "SELECT generation FROM lexware_connection WHERE id = %s FOR UPDATE",
        [connection_id],
    )
    row = env.cr.fetchone()
    if not row or (row[0] or 0) != generation:
        return False
    env["lexware.connection"].browse(connection_id).write(values)
    env.flush_all()
    return True
