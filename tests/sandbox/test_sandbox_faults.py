"""Fault injection: 503 before, 504 after, dropped connections after; counted, seeded."""

import pytest
import requests
from sandbox_helpers import API_KEY, Api
from voucher_payloads import voucher


@pytest.fixture
def faulty(sandbox, api):
    sandbox.configure(fault_rate=1.0, seed=7)
    return api


def post_all(api, count):
    return [api.post("/v1/vouchers", json=voucher(voucherNumber=f"F-{n}")) for n in range(count)]


def test_faults_answer_503_not_carried_out_or_504_carried_out(sandbox, faulty):
    statuses = [response.status_code for response in post_all(faulty, 20)]
    counters = sandbox.counters()
    assert set(statuses) == {503, 504}
    assert counters["fault_503"] == statuses.count(503)
    assert counters["fault_504"] == statuses.count(504)
    assert counters["vouchers_created"] == statuses.count(504)
    assert len(sandbox.vouchers()) == statuses.count(504)


def test_fault_bodies(faulty):
    by_status = {response.status_code: response for response in post_all(faulty, 10)}
    assert by_status[503].json()["status"] == 503
    assert by_status[504].json() == {"message": "Endpoint request timed out"}


def test_same_seed_same_faults(sandbox, faulty):
    sandbox.configure(fault_rate=0.5, seed=3)
    first = [response.status_code for response in post_all(faulty, 12)]
    sandbox.configure(seed=3)
    assert [response.status_code for response in post_all(faulty, 12)] == first
    assert 200 in first


def test_reads_are_never_faulted(sandbox, faulty):
    assert all(faulty.get("/v1/profile").status_code == 200 for _ in range(10))
    assert sandbox.counters()["fault_503"] == 0


def test_dropped_connection_after_the_voucher_was_made(sandbox, api):
    sandbox.configure(drop_rate=1.0, seed=1)
    with pytest.raises(requests.ConnectionError):
        Api(sandbox.url, API_KEY).post("/v1/vouchers", json=voucher(voucherNumber="DROP-1"))
    assert sandbox.counters()["dropped"] == 1
    assert [v["voucherNumber"] for v in sandbox.vouchers()] == ["DROP-1"]
    sandbox.configure(drop_rate=0.0)
    assert api.get("/v1/profile").status_code == 200


def test_http_config_sets_faults(sandbox, api):
    requests.post(f"{sandbox.url}/_sandbox/config", json={"fault_rate": 1.0}, timeout=5)
    assert api.post("/v1/vouchers", json=voucher()).status_code in (503, 504)
