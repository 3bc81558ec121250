"""No token, key or client secret in any repr, message or log line."""

import logging

import pytest
from client_helpers import API_KEY
from voucher_payloads import voucher

from lexware import (
    ApiKeyAuth,
    LexwareAuthError,
    LexwareClient,
    LexwareError,
    OAuthApp,
    OAuthTokenSource,
)

CLIENT_SECRET = "sandbox-secret"


pytestmark = pytest.mark.usefixtures("short_backoff")


def assert_no_secret(text, secrets):
    for secret in secrets:
        assert secret not in text


def test_reprs_hide_secrets(app, tokens, fast_sandbox):
    source = OAuthTokenSource(app, tokens)
    secrets = (API_KEY, CLIENT_SECRET, tokens.access_token, tokens.refresh_token)
    objects = [
        ApiKeyAuth(API_KEY),
        LexwareClient(fast_sandbox.url, ApiKeyAuth(API_KEY)),
        LexwareClient(fast_sandbox.url, source),
        app,
        tokens,
        source,
    ]
    for thing in objects:
        assert_no_secret(repr(thing), secrets)
        assert_no_secret(str(thing), secrets)


def test_a_failing_session_logs_and_raises_no_secret(app, tokens, fast_sandbox, caplog):
    secrets = {API_KEY, CLIENT_SECRET, tokens.access_token, tokens.refresh_token}
    handed = []
    source = OAuthTokenSource(app, tokens, on_refresh=handed.append)
    errors = []

    def expect_error(call, *args):
        with pytest.raises(LexwareError) as caught:
            call(*args)
        errors.append(caught.value)

    with caplog.at_level(logging.DEBUG):
        api_client = LexwareClient(fast_sandbox.url, ApiKeyAuth(API_KEY), rate=1000.0)
        expect_error(api_client.create_voucher, {"voucherNumber": "X"})
        expect_error(LexwareClient(fast_sandbox.url, ApiKeyAuth("wrong-key")).get_profile)
        fast_sandbox.configure(fault_rate=1.0)
        expect_error(api_client.create_voucher, voucher("S-1"))
        fast_sandbox.configure(fault_rate=0.0)

        oauth_client = LexwareClient(fast_sandbox.url, source, rate=1000.0)
        oauth_client.get_profile()
        fast_sandbox.expire_access_tokens()
        oauth_client.get_profile()
        secrets |= {handed[0].access_token, handed[0].refresh_token}
        fast_sandbox.revoke_all()
        expect_error(oauth_client.get_profile)
        wrong = OAuthApp(app.auth_url, app.client_id, "wrong-secret", app.redirect_uri)
        expect_error(wrong.refresh, tokens.refresh_token)

    assert isinstance(errors[-1], LexwareAuthError)
    assert caplog.records
    assert_no_secret(caplog.text, secrets | {"wrong-key", "wrong-secret"})
    for error in errors:
        assert_no_secret(f"{error} {error!r} {vars(error)}", secrets)
