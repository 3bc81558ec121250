"""What every /v1 request passes: authentication, scopes, the rate limit, the counters."""

import time

import pytest
import requests
from sandbox_helpers import API_KEY, Api, assert_regular_error, voucher

from lexware_sandbox import SandboxServer


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-key"}, {"Authorization": f"Basic {API_KEY}"}],
    ids=["missing", "unknown", "not-bearer"],
)
def test_unauthorised_requests_answer_401_message(sandbox, headers):
    response = requests.get(f"{sandbox.url}/v1/profile", headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    assert sandbox.counters()["unauthorized"] == 1


def test_profile_describes_the_default_organisation(api):
    profile = api.get("/v1/profile").json()
    assert profile["companyName"] == "Muster Handwerk GmbH"
    assert profile["taxType"] == "net"
    assert profile["smallBusiness"] is False
    assert profile["distanceSalesPrinciple"] == "ORIGIN"
    assert profile["businessFeatures"] == []
    assert profile["connectionId"] is None


def test_added_organisation_has_its_own_key_and_profile(sandbox, api):
    org_id = sandbox.add_organization(
        "Klein & Fein", tax_type="gross", small_business=True, api_key="klein", e_invoice=True
    )
    profile = Api(sandbox.url, "klein").get("/v1/profile").json()
    assert profile["organizationId"] == org_id
    assert profile["companyName"] == "Klein & Fein"
    assert profile["smallBusiness"] is True
    assert profile["taxType"] == "gross"
    assert profile["businessFeatures"] == ["E_INVOICING"]
    assert api.get("/v1/profile").json()["organizationId"] != org_id


def test_burst_of_ten_lets_two_through_and_carries_out_no_other(sandbox):
    api = Api(sandbox.url, API_KEY)
    statuses = [api.post("/v1/vouchers", json=voucher()).status_code for _ in range(10)]
    assert sorted(statuses) == [200, 200] + [429] * 8
    assert len(sandbox.vouchers()) == 2
    counters = sandbox.counters()
    assert counters["rate_limited"] == 8
    assert counters["requests"] == 10


def test_429_has_the_regular_body_and_no_retry_after(sandbox):
    api = Api(sandbox.url, API_KEY)
    responses = [api.get("/v1/profile") for _ in range(3)]
    body = assert_regular_error(responses[-1], 429)
    assert body["path"] == "/v1/profile"
    assert "Retry-After" not in responses[-1].headers


def test_retry_after_when_configured(sandbox):
    sandbox.configure(retry_after=1)
    api = Api(sandbox.url, API_KEY)
    responses = [api.get("/v1/profile") for _ in range(3)]
    assert responses[-1].headers["Retry-After"] == "1"


def test_failing_requests_use_up_the_bucket_too(sandbox):
    api = Api(sandbox.url, API_KEY)
    assert api.get("/v1/vouchers/unknown").status_code == 404
    assert api.post("/v1/vouchers", json={}).status_code == 406
    assert api.get("/v1/profile").status_code == 429


def test_each_api_key_has_its_own_bucket_and_it_refills(sandbox):
    sandbox.add_organization("Zweite GmbH", api_key="second")
    sandbox.configure(rate=20.0, burst=2)
    first, second = Api(sandbox.url, API_KEY), Api(sandbox.url, "second")
    assert [first.get("/v1/profile").status_code for _ in range(3)] == [200, 200, 429]
    assert second.get("/v1/profile").status_code == 200
    time.sleep(0.06)
    assert first.get("/v1/profile").status_code == 200


def test_control_endpoints_are_not_rate_limited(sandbox):
    statuses = [
        requests.get(f"{sandbox.url}/_sandbox/counters", timeout=5).status_code for _ in range(5)
    ]
    assert statuses == [200] * 5
    assert sandbox.counters()["requests"] == 0


def test_unknown_path_and_method_answer_regular_errors(api):
    assert_regular_error(api.get("/v1/invoices-of-dreams"), 404)
    assert_regular_error(api.request("DELETE", "/v1/contacts/x"), 405)


def test_latency_delays_answers(api, sandbox):
    sandbox.configure(latency_ms=150)
    started = time.monotonic()
    assert api.get("/v1/profile").status_code == 200
    assert time.monotonic() - started >= 0.15


def test_configure_refuses_unknown_options(sandbox):
    with pytest.raises(TypeError):
        sandbox.configure(speed=11)


def test_http_controls_drive_the_sandbox(sandbox):
    base = f"{sandbox.url}/_sandbox"
    created = requests.post(
        f"{base}/organizations",
        json={"companyName": "Per HTTP GmbH", "apiKey": "http-key", "eInvoice": True},
        timeout=5,
    ).json()
    api = Api(sandbox.url, "http-key")
    assert api.get("/v1/profile").json()["organizationId"] == created["organizationId"]
    requests.post(f"{base}/config", json={"rate": 1000, "burst": 1000}, timeout=5)
    assert all(api.get("/v1/profile").status_code == 200 for _ in range(5))
    api.post("/v1/vouchers", json=voucher(voucherNumber="HTTP-1"))
    api.post(
        "/v1/contacts", json={"version": 0, "roles": {"customer": {}}, "person": {"lastName": "X"}}
    )
    vouchers = requests.get(f"{base}/vouchers", params={"number": "HTTP-1"}, timeout=5).json()
    assert [v["voucherNumber"] for v in vouchers] == ["HTTP-1"]
    assert requests.get(f"{base}/vouchers", params={"number": "nope"}, timeout=5).json() == []
    assert len(requests.get(f"{base}/contacts", timeout=5).json()) == 1
    counters = requests.get(f"{base}/counters", timeout=5).json()
    assert counters["vouchers_created"] == 1
    assert counters["contacts_created"] == 1


def test_a_sandbox_runs_as_a_context_manager_on_a_free_port():
    with SandboxServer(api_keys=("k1", "k2")) as first, SandboxServer() as second:
        assert first.port != second.port
        assert first.url == f"http://127.0.0.1:{first.port}"
        assert Api(first.url, "k2").get("/v1/profile").status_code == 200
        assert Api(second.url, "k2").get("/v1/profile").status_code == 401
