"""What every /v1 request passes: authentication, scopes, the rate limit, the counters."""

import time

import pytest
import requests
from sandbox_helpers import API_KEY, Api, assert_regular_error
from voucher_payloads import voucher

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


def test_contract_problem_answers_402_for_that_organisation_only(sandbox, api):
    sandbox.add_organization("Zahlt GmbH", api_key="paying")
    sandbox.set_payment_required()
    body = assert_regular_error(api.post("/v1/vouchers", json=voucher()), 402)
    assert body["error"] == "Payment Required"
    assert_regular_error(api.get("/v1/profile"), 402)
    assert sandbox.vouchers() == []
    assert sandbox.counters()["payment_required"] == 2
    assert Api(sandbox.url, "paying").get("/v1/profile").status_code == 200
    sandbox.set_payment_required(required=False)
    assert api.get("/v1/profile").status_code == 200


def test_contract_problem_over_http(sandbox, api):
    org_id = api.get("/v1/profile").json()["organizationId"]
    base = f"{sandbox.url}/_sandbox/payment-required"
    requests.post(base, json={"organizationId": org_id}, timeout=5)
    assert api.get("/v1/profile").status_code == 402
    requests.post(base, json={"organizationId": org_id, "required": False}, timeout=5)
    assert api.get("/v1/profile").status_code == 200


def test_scripted_500_reads_as_documented_and_was_not_carried_out(sandbox, api):
    sandbox.fail_next(500)
    response = api.post("/v1/vouchers", json=voucher())
    assert response.status_code == 500
    assert response.json() == {"message": "Internal server error or rate limit exceeded"}
    assert sandbox.vouchers() == []
    assert api.post("/v1/vouchers", json=voucher()).status_code == 200
    assert sandbox.counters()["scripted_500"] == 1


@pytest.mark.parametrize(
    ("status", "carried_out", "made"),
    [(500, True, 1), (502, None, 0), (503, None, 0), (504, None, 1), (504, False, 0)],
)
def test_scripted_failures_carried_out_or_not(sandbox, api, status, carried_out, made):
    sandbox.fail_next(status, carried_out=carried_out)
    assert api.post("/v1/vouchers", json=voucher()).status_code == status
    assert len(sandbox.vouchers()) == made


def test_scripted_failures_wait_for_their_method_and_count(sandbox, api):
    sandbox.fail_next(503, times=2, method="POST")
    assert api.get("/v1/profile").status_code == 200
    assert_regular_error(api.post("/v1/vouchers", json=voucher()), 503)
    assert_regular_error(api.post("/v1/vouchers", json=voucher()), 503)
    assert api.post("/v1/vouchers", json=voucher()).status_code == 200
    with pytest.raises(ValueError):
        sandbox.fail_next(418)


def test_scripted_failure_over_http(sandbox, api):
    requests.post(
        f"{sandbox.url}/_sandbox/fail-next", json={"status": 504, "method": "POST"}, timeout=5
    )
    response = api.post("/v1/vouchers", json=voucher())
    assert response.json() == {"message": "Endpoint request timed out"}
    assert len(sandbox.vouchers()) == 1


def test_profile_answers_the_organisations_settings(sandbox):
    sandbox.add_organization(
        "Fern GmbH", tax_type="vatfree", api_key="fern", distance_sales="DESTINATION"
    )
    profile = Api(sandbox.url, "fern").get("/v1/profile").json()
    assert profile["taxType"] == "vatfree"
    assert profile["distanceSalesPrinciple"] == "DESTINATION"
    assert {
        "organizationId",
        "companyName",
        "connectionId",
        "taxType",
        "smallBusiness",
        "distanceSalesPrinciple",
        "businessFeatures",
    } <= set(profile)
    with pytest.raises(ValueError):
        sandbox.add_organization("X", tax_type="brutto")
    with pytest.raises(ValueError):
        sandbox.add_organization("X", distance_sales="EVERYWHERE")


def test_rate_limit_is_one_bucket_over_all_endpoints(sandbox):
    api = Api(sandbox.url, API_KEY)
    assert api.get("/v1/posting-categories").status_code == 200
    assert api.get("/v1/contacts", params={"name": "Kunde"}).status_code == 200
    assert api.post("/v1/vouchers", json=voucher()).status_code == 429
    assert sandbox.vouchers() == []
