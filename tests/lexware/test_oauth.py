"""OAuth against the sandbox: consent, code exchange, refresh on 401, refused refresh."""

import base64
import hashlib
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from client_helpers import REDIRECT_URI

from lexware import (
    SCOPES,
    LexwareAuthError,
    LexwareClient,
    OAuthApp,
    OAuthTokens,
    OAuthTokenSource,
    make_pkce_pair,
)


def test_pkce_pair_is_s256():
    verifier, challenge = make_pkce_pair()
    assert 43 <= len(verifier) <= 128
    digest = hashlib.sha256(verifier.encode()).digest()
    assert challenge == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_authorize_url_asks_the_needed_scopes(app):
    query = parse_qs(urlsplit(app.authorize_url("s", "c")).query)
    assert query["scope"] == [" ".join(SCOPES)]
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == [REDIRECT_URI]


def test_code_exchange_gives_working_tokens(app, tokens, fast_sandbox):
    assert tokens.expires_at > time.time() + 600
    client = LexwareClient(fast_sandbox.url, OAuthTokenSource(app, tokens), rate=1000.0)
    assert client.get_profile()["organizationId"]


def test_a_401_refreshes_once_and_hands_the_tokens_over(app, tokens, fast_sandbox):
    handed = []
    source = OAuthTokenSource(app, tokens, on_refresh=handed.append)
    client = LexwareClient(fast_sandbox.url, source, rate=1000.0)
    client.get_profile()
    fast_sandbox.expire_access_tokens()
    assert client.get_profile()["organizationId"]
    assert len(handed) == 1
    assert handed[0].access_token != tokens.access_token
    assert source.tokens is handed[0]


def test_threads_meeting_a_401_refresh_only_once(app, tokens, fast_sandbox):
    handed = []
    source = OAuthTokenSource(app, tokens, on_refresh=handed.append)
    client = LexwareClient(fast_sandbox.url, source, rate=1000.0)
    client.get_profile()
    fast_sandbox.expire_access_tokens()
    threads = [threading.Thread(target=client.get_profile) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(handed) == 1


def test_a_token_about_to_expire_is_refreshed_first(app, tokens, fast_sandbox):
    handed = []
    soon = OAuthTokens(tokens.access_token, tokens.refresh_token, time.time() + 30)
    client = LexwareClient(
        fast_sandbox.url, OAuthTokenSource(app, soon, on_refresh=handed.append), rate=1000.0
    )
    client.get_profile()
    assert len(handed) == 1
    assert fast_sandbox.counters()["requests"] == 1


def test_a_refused_refresh_is_authorization_lost(app, tokens, fast_sandbox):
    client = LexwareClient(fast_sandbox.url, OAuthTokenSource(app, tokens), rate=1000.0)
    fast_sandbox.revoke_all()
    with pytest.raises(LexwareAuthError) as caught:
        client.get_profile()
    assert "invalid_grant" in str(caught.value)


def test_revoke_ends_the_connection(app, tokens, fast_sandbox):
    app.revoke(tokens.refresh_token)
    with pytest.raises(LexwareAuthError):
        app.refresh(tokens.refresh_token)


def test_a_wrong_client_secret_is_refused(fast_sandbox, tokens):
    wrong = OAuthApp(fast_sandbox.url, "sandbox-client", "not-the-secret", REDIRECT_URI)
    with pytest.raises(LexwareAuthError):
        wrong.refresh(tokens.refresh_token)


def test_tokens_the_owner_refuses_are_not_used(app, tokens, fast_sandbox):
    """An owner whose connection ended meanwhile refuses the refreshed tokens: the request
    does not leave with them, and the source does not keep them."""

    def refuse(new_tokens):
        raise LexwareAuthError("the connection was replaced")

    source = OAuthTokenSource(app, tokens, on_refresh=refuse)
    client = LexwareClient(fast_sandbox.url, source, rate=1000.0)
    fast_sandbox.expire_access_tokens()
    requests_before = fast_sandbox.counters()["requests"]
    with pytest.raises(LexwareAuthError):
        client.get_profile()
    assert source.tokens is tokens
    assert fast_sandbox.counters()["requests"] == requests_before + 1, "only the 401"
