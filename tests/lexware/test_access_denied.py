"""402 (the contract) and 403 (a missing scope) are the connection's problem, not the
request's: the client raises LexwareAccessDenied at once, repeats nothing, refreshes nothing."""

import json
import time
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from client_helpers import consent
from voucher_payloads import voucher

from lexware import (
    SCOPES,
    ApiKeyAuth,
    LexwareAccessDenied,
    LexwareAuthError,
    LexwareClient,
    LexwarePermanentError,
    OAuthApp,
    OAuthTokens,
    OAuthTokenSource,
    errors,
    make_pkce_pair,
)

pytestmark = pytest.mark.usefixtures("short_backoff")


def reply(status, body=None):
    return (status, {}, json.dumps(body or {}).encode())


def regular_body(status, message, details=()):
    return {
        "timestamp": "2026-05-10T10:00:00.000+02:00",
        "status": status,
        "error": "Forbidden",
        "path": "/v1/vouchers",
        "traceId": "abc",
        "message": message,
        "details": list(details),
    }


def api_key_client(url):
    return LexwareClient(url, ApiKeyAuth("scripted-key"), rate=1000.0)


@pytest.mark.parametrize("status", [402, 403])
@pytest.mark.parametrize(
    "call",
    [
        lambda client: client.get_profile(),
        lambda client: client.create_voucher({"voucherNumber": "R1"}),
        lambda client: client.upload_voucher_file("v1", "R1.pdf", b"%PDF"),
        lambda client: client.find_vouchers_by_number("R1"),
    ],
    ids=["GET profile", "POST voucher", "POST file", "GET voucherlist"],
)
def test_402_and_403_deny_access_on_any_call_without_a_repeat(scripted, status, call):
    scripted.script = [reply(status, regular_body(status, "Missing scope vouchers.write"))] * 3
    with pytest.raises(LexwareAccessDenied) as caught:
        call(api_key_client(scripted.url))
    error = caught.value
    assert isinstance(error, LexwareAuthError), "callers that handle a lost connection see it"
    assert not isinstance(error, LexwarePermanentError), "not the invoice's fault"
    assert error.status == status
    assert error.kind == errors.REFUSED
    assert error.reason == "Missing scope vouchers.write"
    assert "Missing scope vouchers.write" in str(error)
    assert f"({status})" in str(error)
    assert len(scripted.seen) == 1


def test_the_reason_comes_from_the_issues_when_there_is_no_message(scripted):
    body = {"IssueList": [{"i18nKey": "plan_exceeded", "source": "contract"}]}
    scripted.script = [reply(402, body)]
    with pytest.raises(LexwareAccessDenied) as caught:
        api_key_client(scripted.url).create_voucher({})
    assert caught.value.reason == "contract: plan_exceeded"
    assert caught.value.issues == [("contract", "plan_exceeded")]


def test_an_empty_402_still_says_its_status(scripted):
    scripted.script = [(402, {}, b"")]
    with pytest.raises(LexwareAccessDenied) as caught:
        api_key_client(scripted.url).get_profile()
    assert caught.value.status == 402
    assert caught.value.reason == ""
    assert str(caught.value) == "Lexware denied access on GET /v1/profile (402)"


def test_a_long_reason_is_cut_to_one_short_line(scripted):
    scripted.script = [reply(403, {"message": "no\n" + "x" * 500})]
    with pytest.raises(LexwareAccessDenied) as caught:
        api_key_client(scripted.url).get_profile()
    assert "\n" not in caught.value.reason
    assert len(caught.value.reason) <= 200


@pytest.mark.parametrize("status", [402, 403])
def test_oauth_does_not_refresh_on_402_or_403(scripted, status):
    """A refresh grants no scope: the token endpoint (on the same server) is never asked."""
    app = OAuthApp(scripted.url, "client", "secret", "https://odoo.example/cb")
    handed = []
    tokens = OAuthTokens("access", "refresh", time.time() + 3600)
    source = OAuthTokenSource(app, tokens, on_refresh=handed.append)
    scripted.script = [reply(status, {"message": "Forbidden"})] * 3
    with pytest.raises(LexwareAccessDenied):
        LexwareClient(scripted.url, source, rate=1000.0).create_voucher({})
    assert scripted.seen == [("POST", "/v1/vouchers")]
    assert handed == []


def _with_scopes(url, scopes):
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query["scope"] = " ".join(scopes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_a_connection_without_vouchers_write_is_denied_by_the_sandbox(app, fast_sandbox):
    """The customer allowed less than asked: reading works, booking a voucher is denied."""
    verifier, challenge = make_pkce_pair()
    fewer = [scope for scope in SCOPES if scope != "vouchers.write"]
    redirect = consent(_with_scopes(app.authorize_url("s", challenge), fewer))
    tokens = app.exchange_code(redirect["code"], verifier)
    handed = []
    source = OAuthTokenSource(app, tokens, on_refresh=handed.append)
    client = LexwareClient(fast_sandbox.url, source, rate=1000.0)
    assert client.get_profile()["organizationId"]
    with pytest.raises(LexwareAccessDenied) as caught:
        client.create_voucher(voucher("R-403"))
    assert caught.value.status == 403
    assert caught.value.reason == "Missing scope vouchers.write"
    assert handed == [], "no refresh"
    assert fast_sandbox.vouchers(number="R-403") == []


def test_an_organisation_whose_contract_lapsed_is_denied_by_the_sandbox(client, fast_sandbox):
    fast_sandbox.set_payment_required()
    with pytest.raises(LexwareAccessDenied) as caught:
        client.create_voucher(voucher("R-402"))
    assert caught.value.status == 402
    assert "Payment Required" in caught.value.reason
    fast_sandbox.set_payment_required(required=False)
    assert client.get_profile()["organizationId"]
