"""The OAuth2 authorization code flow of app.lexware.de: consent, token, revoke."""

import base64
import hashlib
import hmac
import secrets
import time
from urllib.parse import urlencode, urlsplit

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from . import web
from .auth import ALL_SCOPES
from .errors import json_response

PARAMS = ("client_id", "redirect_uri", "response_type", "scope", "state", "code_challenge")


class OAuthError(Exception):
    def __init__(self, error, status=400):
        super().__init__(error)
        self.error = error
        self.status = status

    def response(self):
        headers = {"Cache-Control": "no-store"}
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="oauth2"'
        return json_response({"error": self.error}, self.status, headers)


class OAuthEndpoints:
    def __init__(self, store, settings, token_revoked=None):
        self.store = store
        self.settings = settings
        # Called with (connection id, organisation id) when a live connection is revoked.
        self.token_revoked = token_revoked

    # consent

    def authorize(self, request):
        source = request.form if request.method == "POST" else request.args
        params = {name: source.get(name, "") for name in PARAMS}
        problem = self._authorize_problem(params, source.get("code_challenge_method"))
        if problem:
            return Response(web.error_page(problem), 400, content_type="text/html")
        if request.method == "GET":
            page = web.consent_page(
                {**params, "code_challenge_method": "S256"},
                params["scope"].split(),
                self.store.organizations(),
            )
            return Response(page, content_type="text/html")
        if source.get("decision") != "allow":
            return _back(params, error="access_denied")
        return self._grant_code(params, source.get("organizationId"))

    def _authorize_problem(self, params, challenge_method):
        if params["client_id"] != self.settings.client_id:
            return "Unbekannte client_id"
        if params["response_type"] != "code":
            return "response_type muss code sein"
        if urlsplit(params["redirect_uri"]).scheme not in ("http", "https"):
            return "redirect_uri fehlt oder ist ungültig"
        scopes = params["scope"].split()
        if not scopes or set(scopes) - ALL_SCOPES:
            return "scope fehlt oder ist unbekannt"
        if params["code_challenge"] and challenge_method != "S256":
            return "Nur code_challenge_method=S256 wird unterstützt"
        return None

    def _grant_code(self, params, org_id):
        organizations = {org["id"] for org in self.store.organizations()}
        if org_id not in organizations:
            org_id = self.store.organizations()[0]["id"]
        code = secrets.token_urlsafe(32)
        self.store.save_code(
            code,
            params["client_id"],
            params["redirect_uri"],
            params["scope"],
            org_id,
            params["code_challenge"] or None,
            time.time() + self.settings.code_ttl,
        )
        return _back(params, code=code)

    # token and revoke

    def token(self, request):
        try:
            self._check_client(request)
            grant_type = request.form.get("grant_type")
            if grant_type == "authorization_code":
                return self._exchange_code(request.form)
            if grant_type == "refresh_token":
                return self._refresh(request.form)
            raise OAuthError("unsupported_grant_type" if grant_type else "invalid_request")
        except OAuthError as error:
            return error.response()

    def revoke(self, request):
        try:
            self._check_client(request)
        except OAuthError as error:
            return error.response()
        token = request.form.get("token", "")
        connection = self.store.connection_for_refresh_token(token)
        access = self.store.access_token(token)
        connection_id = (connection or {}).get("id") or (access or {}).get("connection_id")
        if connection_id:
            organization_id = self.store.revoke_connection(connection_id)
            if organization_id is not None and self.token_revoked is not None:
                self.token_revoked(connection_id, organization_id)
        return Response(status=200)

    def _check_client(self, request):
        auth = request.authorization
        if (
            auth is None
            or auth.type != "basic"
            or not hmac.compare_digest(auth.username or "", self.settings.client_id)
            or not hmac.compare_digest(auth.password or "", self.settings.client_secret)
        ):
            raise OAuthError("invalid_client", 401)
        if request.mimetype != "application/x-www-form-urlencoded":
            raise OAuthError("invalid_request")

    def _exchange_code(self, form):
        code, redirect_uri = form.get("code"), form.get("redirect_uri")
        if not code or not redirect_uri:
            raise OAuthError("invalid_request")
        grant = self.store.take_code(code)
        if (
            grant is None
            or grant["used"]
            or grant["expires_at"] <= time.time()
            or grant["client_id"] != self.settings.client_id
            or grant["redirect_uri"] != redirect_uri
            or not _pkce_holds(grant["challenge"], form.get("code_verifier"))
        ):
            raise OAuthError("invalid_grant")
        connection_id = self.store.add_connection(
            grant["organization_id"], grant["client_id"], grant["scope"]
        )
        return self._issue(connection_id, grant["scope"])

    def _refresh(self, form):
        refresh_token = form.get("refresh_token")
        if not refresh_token:
            raise OAuthError("invalid_request")
        connection = self.store.connection_for_refresh_token(refresh_token)
        if (
            connection is None
            or connection["revoked"]
            or connection["client_id"] != self.settings.client_id
        ):
            raise OAuthError("invalid_grant")
        return self._issue(connection["id"], connection["scope"])

    def _issue(self, connection_id, scope):
        access_token = secrets.token_urlsafe(32)
        refresh_token = secrets.token_urlsafe(48)
        ttl = self.settings.token_ttl
        self.store.add_access_token(access_token, connection_id, time.time() + ttl)
        self.store.set_refresh_token(connection_id, refresh_token)
        body = {
            "access_token": access_token,
            "token_type": "bearer",
            "expires_in": ttl,
            "refresh_token": refresh_token,
            "scope": scope,
        }
        return json_response(body, 200, {"Cache-Control": "no-store"})


def _pkce_holds(challenge, verifier):
    if challenge is None:
        return True
    if not verifier:
        return False
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return hmac.compare_digest(computed, challenge)


def _back(params, **answer):
    """The redirect to the client, carrying the answer and the client's state."""
    if params["state"]:
        answer["state"] = params["state"]
    separator = "&" if "?" in params["redirect_uri"] else "?"
    return redirect(params["redirect_uri"] + separator + urlencode(answer), 302)
