"""Threads sharing one credential stay under the sandbox's limit, and survive a 429 storm."""

import time
from concurrent.futures import ThreadPoolExecutor

from client_helpers import API_KEY

from lexware import ApiKeyAuth, LexwareClient


def run_in_threads(make_client, threads, calls):
    def work(_):
        client = make_client()  # a new client per thread, as the Odoo side makes them
        return [client.get_profile()["organizationId"] for _ in range(calls)]

    with ThreadPoolExecutor(threads) as pool:
        return [org for results in pool.map(work, range(threads)) for org in results]


def test_threads_of_one_credential_share_the_bucket_and_meet_no_429(sandbox):
    sandbox.configure(rate=10.0, burst=2)
    results = run_in_threads(
        lambda: LexwareClient(sandbox.url, ApiKeyAuth(API_KEY), rate=10.0), threads=4, calls=5
    )
    assert len(results) == 20
    assert sandbox.counters()["rate_limited"] == 0


def test_a_429_storm_is_weathered(sandbox):
    """Clients that ignore the limit meet 429s and still all get through by backing off."""
    sandbox.configure(rate=20.0, burst=2)
    results = run_in_threads(
        lambda: LexwareClient(
            sandbox.url, ApiKeyAuth(API_KEY), rate=10000.0, max_attempts=20, max_wait=30.0
        ),
        threads=6,
        calls=4,
    )
    assert len(results) == 24
    counters = sandbox.counters()
    assert counters["rate_limited"] > 0
    assert counters["requests"] == 24 + counters["rate_limited"]


def test_the_sandbox_retry_after_is_honoured(sandbox):
    sandbox.configure(rate=1.0, burst=1, retry_after=1)
    client = LexwareClient(sandbox.url, ApiKeyAuth(API_KEY), rate=1000.0)
    client.get_profile()
    started = time.monotonic()
    client.get_profile()
    assert time.monotonic() - started >= 1.0
    assert sandbox.counters()["rate_limited"] == 1
