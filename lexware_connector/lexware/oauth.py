"""OAuth 2 for partner apps: authorize URL with PKCE, code exchange, refresh, revoke.

Tokens and the client secret never appear in a repr, a message or a log line.
"""

import base64
import hashlib
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import requests

from .errors import LexwareAuthError, LexwareRetryableError

_logger = logging.getLogger(__name__)

# Lexware Office's web app: its authorization pages, and the vouchers' permalinks.
DEFAULT_AUTH_URL = "https://app.lexware.de"
SCOPES = (
    "profile.read",
    "contacts.read",
    "contacts.write",
    "vouchers.read",
    "vouchers.write",
    "files.read",
    "files.write",
)

# Refreshing this long before the expiry keeps a request from leaving with a token that
# expires on the way.
REFRESH_MARGIN = 60.0


@dataclass(frozen=True)
class OAuthTokens:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: float  # epoch seconds

    @classmethod
    def from_token_response(cls, payload, *, previous_refresh_token=None, now=None):
        now = time.time() if now is None else now
        return cls(
            access_token=payload["access_token"],
            # Without a rotated refresh token in the answer the old one stays valid.
            refresh_token=payload.get("refresh_token") or previous_refresh_token,
            expires_at=now + float(payload.get("expires_in", 3600)),
        )


def make_pkce_pair():
    """A fresh (code_verifier, code_challenge) pair for the S256 method."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return verifier, challenge


@dataclass(frozen=True)
class OAuthApp:
    """The connector's registration with Lexware, and the calls to its OAuth endpoints."""

    auth_url: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    timeouts: tuple = (5, 30)

    def authorize_url(self, state, code_challenge):
        query = {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "scope": " ".join(SCOPES),
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        return f"{self._endpoint('authorize')}?{urlencode(query, quote_via=quote)}"

    def exchange_code(self, code, code_verifier):
        payload = self._post_token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "code_verifier": code_verifier,
            }
        )
        return OAuthTokens.from_token_response(payload)

    def refresh(self, refresh_token):
        payload = self._post_token({"grant_type": "refresh_token", "refresh_token": refresh_token})
        return OAuthTokens.from_token_response(payload, previous_refresh_token=refresh_token)

    def revoke(self, refresh_token):
        self._post("revoke", {"token": refresh_token})

    def _post_token(self, form):
        response = self._post("token", form)
        try:
            return response.json()
        except ValueError:
            raise LexwareRetryableError(
                "Lexware's token endpoint answered something other than JSON",
                status=response.status_code,
            ) from None

    def _post(self, endpoint, form):
        try:
            response = requests.post(
                self._endpoint(endpoint),
                data=form,
                auth=(self.client_id, self.client_secret),
                timeout=self.timeouts,
            )
        except requests.RequestException as exc:
            raise LexwareRetryableError(
                f"Lexware's OAuth {endpoint} endpoint is unreachable ({type(exc).__name__})"
            ) from None
        _logger.debug("OAuth %s -> %s", endpoint, response.status_code)
        if response.status_code >= 500:
            raise LexwareRetryableError(
                f"Lexware's OAuth {endpoint} endpoint failed", status=response.status_code
            )
        if response.status_code >= 400:
            raise LexwareAuthError(
                f"Lexware refused the OAuth {endpoint} request "
                f"({response.status_code} {_oauth_error_code(response)})",
                status=response.status_code,
            )
        return response

    def _endpoint(self, name):
        return f"{self.auth_url.rstrip('/')}/oauth2/{name}"


def _oauth_error_code(response):
    """The RFC 6749 `error` code alone; the description could echo what was sent."""
    try:
        return str(response.json().get("error", "error"))
    except (ValueError, AttributeError):
        return "error"


class OAuthTokenSource:
    """The tokens of one connection, refreshed before they expire and after a 401.

    New tokens go to `on_refresh(tokens)` so the caller can store them: a refresh may rotate
    the refresh token and void the old one. Refreshing happens under a lock, so threads
    sharing a source never refresh twice with one refresh token.

    `connection_key` tells apart connections of one app in a process for the rate limit;
    left empty, all of them share one bucket, which is slower but never over the limit.
    """

    can_refresh = True

    def __init__(self, app, tokens, on_refresh=None, *, connection_key="", clock=time.time):
        self._app = app
        self._tokens = tokens
        self._on_refresh = on_refresh
        self._clock = clock
        self._lock = threading.Lock()
        identity = f"oauth\0{app.auth_url}\0{app.client_id}\0{connection_key}"
        self.bucket_key = hashlib.sha256(identity.encode()).hexdigest()

    def __repr__(self):
        return f"OAuthTokenSource(client_id={self._app.client_id!r})"

    @property
    def tokens(self):
        return self._tokens

    def authorization(self):
        """The Authorization header value, refreshing first if the token is about to expire."""
        with self._lock:
            if self._tokens.expires_at - REFRESH_MARGIN <= self._clock():
                self._refresh()
            return f"Bearer {self._tokens.access_token}"

    def refresh_after_401(self, rejected_authorization):
        """Refresh, unless another thread already replaced the token that was rejected."""
        with self._lock:
            if rejected_authorization == f"Bearer {self._tokens.access_token}":
                self._refresh()

    def _refresh(self):
        _logger.info("Refreshing the Lexware access token")
        tokens = self._app.refresh(self._tokens.refresh_token)
        # Used only once the owner has taken them: it may refuse (raise), for a connection
        # that ended meanwhile.
        if self._on_refresh is not None:
            self._on_refresh(tokens)
        self._tokens = tokens
