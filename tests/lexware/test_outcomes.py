"""A POST whose outcome cannot be known is never sent twice; the sandbox proves it."""

import pytest
from client_helpers import API_KEY
from voucher_payloads import voucher

from lexware import (
    ApiKeyAuth,
    LexwareClient,
    LexwareOutcomeUnknownError,
    LexwarePermanentError,
    LexwareRetryableError,
    errors,
)

pytestmark = pytest.mark.usefixtures("short_backoff")


def test_503_and_504_after_create_are_unknown_and_not_resent(client, fast_sandbox):
    fast_sandbox.configure(fault_rate=1.0)
    for n in range(10):
        with pytest.raises(LexwareOutcomeUnknownError):
            client.create_voucher(voucher(f"F-{n}"))
    counters = fast_sandbox.counters()
    assert counters["fault_503"] + counters["fault_504"] == 10
    assert counters["fault_503"] and counters["fault_504"]
    assert len(fast_sandbox.vouchers()) == counters["fault_504"]
    assert counters["requests"] == 10


def test_dropped_connection_after_create_is_unknown_and_not_resent(client, fast_sandbox):
    fast_sandbox.configure(drop_rate=1.0)
    for n in range(3):
        with pytest.raises(LexwareOutcomeUnknownError):
            client.create_voucher(voucher(f"D-{n}"))
    counters = fast_sandbox.counters()
    assert counters["dropped"] == 3
    assert len(fast_sandbox.vouchers()) == 3
    assert counters["requests"] == 3


def test_outcome_unknown_then_lookup_finds_the_voucher(client, fast_sandbox):
    fast_sandbox.configure(drop_rate=1.0)
    with pytest.raises(LexwareOutcomeUnknownError):
        client.create_voucher(voucher("LOOKUP-1"))
    fast_sandbox.configure(drop_rate=0.0)
    assert len(client.find_vouchers_by_number("LOOKUP-1")) == 1


def test_read_timeout_after_create_is_unknown(fast_sandbox):
    fast_sandbox.configure(latency_ms=1000)
    client = LexwareClient(fast_sandbox.url, ApiKeyAuth(API_KEY), rate=1000.0, timeouts=(5, 0.3))
    with pytest.raises(LexwareOutcomeUnknownError) as caught:
        client.create_voucher(voucher("SLOW-1"))
    assert (caught.value.kind, caught.value.status) == (errors.TIMEOUT, None)
    assert fast_sandbox.counters()["requests"] == 1


def test_read_timeouts_on_get_are_repeated_then_given_up(fast_sandbox):
    fast_sandbox.configure(latency_ms=1000)
    client = LexwareClient(
        fast_sandbox.url, ApiKeyAuth(API_KEY), rate=1000.0, timeouts=(5, 0.2), max_attempts=3
    )
    with pytest.raises(LexwareRetryableError) as caught:
        client.get_profile()
    assert caught.value.kind == errors.TIMEOUT
    assert fast_sandbox.counters()["requests"] == 3


def test_put_is_repeated_after_faults(client, fast_sandbox):
    """A PUT carries its version: a repeat of one carried out is refused as stale (409)."""
    stub = client.create_voucher(voucher("PUT-1"))
    update = {**voucher("PUT-1", net=10.0), "version": stub["version"]}
    fast_sandbox.configure(fault_rate=1.0)
    before = fast_sandbox.counters()["requests"]
    with pytest.raises((LexwareRetryableError, LexwarePermanentError)) as caught:
        client.update_voucher(stub["id"], update)
    assert fast_sandbox.counters()["requests"] - before > 1
    if isinstance(caught.value, LexwarePermanentError):
        assert caught.value.status == 409
