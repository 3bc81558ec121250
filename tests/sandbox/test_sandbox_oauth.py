"""The OAuth2 authorization code flow: consent page, codes, refresh rotation, revoke."""

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sandbox_helpers import Api, assert_regular_error

CLIENT = ("sandbox-client", "sandbox-secret")
REDIRECT = "https://odoo.example/lexware/callback?db=x"
SCOPES = "profile.read contacts.read vouchers.read"


def authorize_params(**overrides):
    params = {
        "client_id": CLIENT[0],
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": SCOPES,
        "state": "csrf-123",
    }
    params.update(overrides)
    return params


def consent(sandbox, decision="allow", **overrides):
    """Submits the consent form as a browser would; answers the redirect's query."""
    params = authorize_params(**overrides)
    page = requests.get(f"{sandbox.url}/oauth2/authorize", params=params, timeout=5)
    assert page.status_code == 200, page.text
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    form["decision"] = decision
    answer = requests.post(
        f"{sandbox.url}/oauth2/authorize", data=form, allow_redirects=False, timeout=5
    )
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT + "&")
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def token(sandbox, auth=CLIENT, **form):
    return requests.post(f"{sandbox.url}/oauth2/token", data=form, auth=auth, timeout=5)


def exchange(sandbox, code, **extra):
    return token(
        sandbox, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, **extra
    )


def connect(sandbox, **overrides):
    tokens = exchange(sandbox, consent(sandbox, **overrides)["code"])
    assert tokens.status_code == 200, tokens.text
    return tokens.json()


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_consent_page_names_app_and_scopes_with_buttons(sandbox):
    page = requests.get(f"{sandbox.url}/oauth2/authorize", params=authorize_params(), timeout=5)
    assert "sandbox-client" in page.text
    for scope in SCOPES.split():
        assert f"<li>{scope}</li>" in page.text
    assert 'id="allow"' in page.text
    assert 'id="deny"' in page.text
    assert "<select" not in page.text


def test_consent_page_offers_the_organisations_when_there_are_several(sandbox):
    sandbox.add_organization("Zweite <GmbH>")
    page = requests.get(f"{sandbox.url}/oauth2/authorize", params=authorize_params(), timeout=5)
    assert "<select" in page.text
    assert "Zweite &lt;GmbH&gt;" in page.text


@pytest.mark.parametrize(
    "overrides",
    [
        {"client_id": "stranger"},
        {"response_type": "token"},
        {"redirect_uri": "javascript:alert(1)"},
        {"scope": "everything"},
        {"code_challenge": "abc", "code_challenge_method": "plain"},
    ],
)
def test_bad_authorize_requests_get_a_400_page(sandbox, overrides):
    params = authorize_params(**overrides)
    page = requests.get(f"{sandbox.url}/oauth2/authorize", params=params, timeout=5)
    assert page.status_code == 400
    assert 'id="allow"' not in page.text


def test_allow_then_exchange_gives_working_tokens(sandbox):
    answer = consent(sandbox)
    assert answer["state"] == "csrf-123"
    tokens = exchange(sandbox, answer["code"]).json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["scope"] == SCOPES
    profile = Api(sandbox.url, tokens["access_token"]).get("/v1/profile").json()
    assert profile["companyName"] == "Muster Handwerk GmbH"
    assert re.fullmatch(r"[0-9a-f-]{36}", profile["connectionId"])


def test_chosen_organisation_is_the_connected_one(sandbox):
    org_id = sandbox.add_organization("Zweite GmbH")
    params = authorize_params()
    page = requests.get(f"{sandbox.url}/oauth2/authorize", params=params, timeout=5)
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    form.update(decision="allow", organizationId=org_id)
    location = requests.post(
        f"{sandbox.url}/oauth2/authorize", data=form, allow_redirects=False, timeout=5
    ).headers["Location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    access = exchange(sandbox, code).json()["access_token"]
    assert Api(sandbox.url, access).get("/v1/profile").json()["organizationId"] == org_id


def test_deny_redirects_with_access_denied(sandbox):
    assert consent(sandbox, decision="deny") == {
        "db": "x",
        "error": "access_denied",
        "state": "csrf-123",
    }


def test_code_is_single_use(sandbox):
    code = consent(sandbox)["code"]
    assert exchange(sandbox, code).status_code == 200
    reused = exchange(sandbox, code)
    assert reused.status_code == 400
    assert reused.json() == {"error": "invalid_grant"}


def test_expired_code_is_refused(sandbox):
    sandbox.configure(code_ttl=0)
    assert exchange(sandbox, consent(sandbox)["code"]).json() == {"error": "invalid_grant"}


def test_redirect_uri_must_match(sandbox):
    code = consent(sandbox)["code"]
    response = token(
        sandbox, grant_type="authorization_code", code=code, redirect_uri="https://evil.example/"
    )
    assert response.json() == {"error": "invalid_grant"}


def test_pkce_verifier_is_checked(sandbox):
    verifier, challenge = pkce_pair()
    overrides = {"code_challenge": challenge, "code_challenge_method": "S256"}
    code = consent(sandbox, **overrides)["code"]
    assert exchange(sandbox, code, code_verifier="wrong").json() == {"error": "invalid_grant"}
    code = consent(sandbox, **overrides)["code"]
    assert exchange(sandbox, code).json() == {"error": "invalid_grant"}
    code = consent(sandbox, **overrides)["code"]
    assert exchange(sandbox, code, code_verifier=verifier).status_code == 200


def test_bad_client_credentials_are_401_invalid_client(sandbox):
    code = consent(sandbox)["code"]
    response = requests.post(
        f"{sandbox.url}/oauth2/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        auth=("sandbox-client", "guess"),
        timeout=5,
    )
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}
    assert exchange(sandbox, code).status_code == 200


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({}, "invalid_request"),
        ({"grant_type": "authorization_code"}, "invalid_request"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
        ({"grant_type": "refresh_token", "refresh_token": "made-up"}, "invalid_grant"),
    ],
)
def test_token_errors_are_oauth_shaped(sandbox, form, error):
    response = token(sandbox, **form)
    assert response.status_code == 400
    assert response.json() == {"error": error}


def test_refresh_rotates_the_refresh_token(sandbox):
    tokens = connect(sandbox)
    fresh = token(sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert fresh.status_code == 200
    fresh = fresh.json()
    assert fresh["refresh_token"] != tokens["refresh_token"]
    assert fresh["access_token"] != tokens["access_token"]
    old = token(sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert old.json() == {"error": "invalid_grant"}
    assert Api(sandbox.url, fresh["access_token"]).get("/v1/profile").status_code == 200


def test_expired_access_token_is_401_until_refreshed(sandbox):
    tokens = connect(sandbox)
    sandbox.expire_access_tokens()
    response = Api(sandbox.url, tokens["access_token"]).get("/v1/profile")
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    fresh = token(sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert Api(sandbox.url, fresh.json()["access_token"]).get("/v1/profile").status_code == 200


def test_token_ttl_is_configurable(sandbox):
    sandbox.configure(token_ttl=0)
    tokens = connect(sandbox)
    assert tokens["expires_in"] == 0
    assert Api(sandbox.url, tokens["access_token"]).get("/v1/profile").status_code == 401


def test_revoke_ends_the_connection(sandbox):
    tokens = connect(sandbox)
    response = requests.post(
        f"{sandbox.url}/oauth2/revoke",
        data={"token": tokens["refresh_token"]},
        auth=CLIENT,
        timeout=5,
    )
    assert response.status_code == 200
    assert Api(sandbox.url, tokens["access_token"]).get("/v1/profile").status_code == 401
    refused = token(sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refused.json() == {"error": "invalid_grant"}


def test_revoke_needs_client_credentials(sandbox):
    tokens = connect(sandbox)
    response = requests.post(
        f"{sandbox.url}/oauth2/revoke", data={"token": tokens["refresh_token"]}, timeout=5
    )
    assert response.status_code == 401
    assert Api(sandbox.url, tokens["access_token"]).get("/v1/profile").status_code == 200


def test_sandbox_side_revocation(sandbox):
    first, second = connect(sandbox), connect(sandbox)
    connection_id = Api(sandbox.url, first["access_token"]).get("/v1/profile").json()
    sandbox.revoke_connection(connection_id["connectionId"])
    assert Api(sandbox.url, first["access_token"]).get("/v1/profile").status_code == 401
    assert Api(sandbox.url, second["access_token"]).get("/v1/profile").status_code == 200
    sandbox.revoke_all()
    refused = token(sandbox, grant_type="refresh_token", refresh_token=second["refresh_token"])
    assert refused.json() == {"error": "invalid_grant"}


def test_missing_scope_is_403(sandbox):
    access = connect(sandbox)["access_token"]
    client = Api(sandbox.url, access)
    body = assert_regular_error(client.post("/v1/vouchers", json={}), 403)
    assert "vouchers.write" in body["message"]
    assert sandbox.counters()["vouchers_created"] == 0


def test_each_connection_has_its_own_bucket(sandbox):
    first, second = connect(sandbox), connect(sandbox)
    one, two = Api(sandbox.url, first["access_token"]), Api(sandbox.url, second["access_token"])
    assert [one.get("/v1/profile").status_code for _ in range(3)] == [200, 200, 429]
    assert two.get("/v1/profile").status_code == 200


def test_token_takes_a_form_body_only(sandbox):
    code = consent(sandbox)["code"]
    response = requests.post(
        f"{sandbox.url}/oauth2/token",
        json={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        auth=CLIENT,
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request"}
