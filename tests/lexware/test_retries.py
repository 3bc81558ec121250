"""What is repeated and what is not, against a scripted server and a closed port.

The sandbox faults only POST and PUT; the scripted server covers GETs and Retry-After.
"""

import json
import logging
import time

import pytest
from odoo_db import free_port

from lexware import (
    ApiKeyAuth,
    LexwareAuthError,
    LexwareClient,
    LexwareOutcomeUnknownError,
    LexwareOutOfTimeError,
    LexwarePermanentError,
    LexwareRetryableError,
    errors,
)

pytestmark = pytest.mark.usefixtures("short_backoff")


def make_client(url, **options):
    return LexwareClient(url, ApiKeyAuth("scripted-key"), rate=1000.0, **options)


def reply(status, body=None, **headers):
    return (status, headers, json.dumps(body or {}).encode())


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_get_is_repeated_after_server_trouble(scripted, status):
    scripted.script = [reply(status), reply(status), reply(200, {"companyName": "ACME"})]
    assert make_client(scripted.url).get_profile() == {"companyName": "ACME"}
    assert len(scripted.seen) == 3


def test_get_is_repeated_after_a_dropped_connection(scripted):
    scripted.script = [("drop",), reply(200, {"companyName": "ACME"})]
    assert make_client(scripted.url).get_profile()["companyName"] == "ACME"
    assert len(scripted.seen) == 2


def test_attempts_are_bounded(scripted):
    scripted.script = [reply(503)] * 10
    with pytest.raises(LexwareRetryableError) as caught:
        make_client(scripted.url, max_attempts=3).get_profile()
    assert caught.value.status == 503
    assert caught.value.kind == errors.SERVER_TROUBLE
    assert len(scripted.seen) == 3


def test_total_wait_is_bounded(scripted):
    scripted.script = [reply(429, **{"Retry-After": "30"})] * 3
    started = time.monotonic()
    with pytest.raises(LexwareRetryableError) as caught:
        make_client(scripted.url, max_wait=5.0).get_profile()
    assert time.monotonic() - started < 2.0
    assert caught.value.retry_after == 30.0
    assert (caught.value.kind, caught.value.status) == (errors.RATE_LIMITED, 429)
    assert len(scripted.seen) == 1


def test_retry_after_is_honoured(scripted):
    scripted.script = [reply(429, **{"Retry-After": "1"}), reply(200, {"ok": True})]
    started = time.monotonic()
    assert make_client(scripted.url).get_profile() == {"ok": True}
    assert time.monotonic() - started >= 1.0


def test_post_is_repeated_after_429(scripted):
    scripted.script = [reply(429), reply(200, {"id": "v1"})]
    assert make_client(scripted.url).create_voucher({"voucherNumber": "R1"}) == {"id": "v1"}
    assert [method for method, _ in scripted.seen] == ["POST", "POST"]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_post_after_server_trouble_has_an_unknown_outcome(scripted, status):
    scripted.script = [reply(status)]
    with pytest.raises(LexwareOutcomeUnknownError) as caught:
        make_client(scripted.url).create_voucher({"voucherNumber": "R1"})
    assert caught.value.status == status
    assert caught.value.kind == errors.SERVER_TROUBLE
    assert len(scripted.seen) == 1


def test_post_after_a_dropped_connection_has_an_unknown_outcome(scripted):
    scripted.script = [("drop",)]
    with pytest.raises(LexwareOutcomeUnknownError) as caught:
        make_client(scripted.url).create_voucher({"voucherNumber": "R1"})
    assert (caught.value.kind, caught.value.status) == (errors.NETWORK, None)
    assert len(scripted.seen) == 1


def test_post_to_a_closed_port_is_repeated_then_given_up(caplog):
    client = make_client(f"http://127.0.0.1:{free_port()}", max_attempts=3)
    # The constant, not "INFO": Odoo renames level 25 "INFO", and pytest-odoo loads Odoo.
    with (
        caplog.at_level(logging.INFO, logger="lexware"),
        pytest.raises(LexwareRetryableError) as caught,
    ):
        client.create_voucher({"voucherNumber": "R1"})
    assert (caught.value.kind, caught.value.status) == (errors.NETWORK, None)
    retries = [record for record in caplog.records if "retrying" in record.getMessage()]
    assert len(retries) == 2


def test_api_key_401_is_authorization_lost(scripted):
    scripted.script = [reply(401, {"message": "Unauthorized"})]
    with pytest.raises(LexwareAuthError) as caught:
        make_client(scripted.url).get_profile()
    assert caught.value.status == 401
    assert len(scripted.seen) == 1


@pytest.mark.parametrize("status", [400, 404, 406, 409, 415])
def test_client_errors_are_permanent_and_not_repeated(scripted, status):
    scripted.script = [reply(status, {"IssueList": [{"i18nKey": "k", "source": "f"}]})]
    with pytest.raises(LexwarePermanentError) as caught:
        make_client(scripted.url).create_voucher({})
    assert caught.value.status == status
    assert caught.value.kind == errors.REFUSED
    assert caught.value.issues == [("f", "k")]
    assert len(scripted.seen) == 1


def test_an_unreadable_retry_after_is_no_hint(scripted):
    scripted.script = [reply(429, **{"Retry-After": "soon"}), reply(200, {"ok": True})]
    assert make_client(scripted.url).get_profile() == {"ok": True}


def test_other_server_errors_are_not_repeated_on_get(scripted):
    scripted.script = [reply(501)]
    with pytest.raises(LexwarePermanentError):
        make_client(scripted.url).get_profile()
    assert len(scripted.seen) == 1


# -- a deadline: the cron holds each invoice to one, so that no watchdog kills it mid-POST


def test_no_time_before_the_deadline_sends_nothing(scripted):
    client = make_client(scripted.url)
    client.set_deadline(time.monotonic() + 4.0)  # less than the 5 s connect timeout and 1 s
    with pytest.raises(LexwareOutOfTimeError):
        client.create_voucher({"voucherNumber": "R1"})
    assert scripted.seen == []


def test_an_attempt_is_cut_to_end_by_the_deadline(scripted):
    scripted.script = [("slow", 3.0, reply(200, {"companyName": "ACME"}))]
    client = make_client(scripted.url)
    started = time.monotonic()
    client.set_deadline(started + 6.5)  # 5 s to connect, 1.5 s left to read
    with pytest.raises(LexwareRetryableError) as caught:
        client.get_profile()
    assert not isinstance(caught.value, LexwareOutOfTimeError), "it was tried"
    assert caught.value.kind == errors.TIMEOUT
    assert time.monotonic() - started < 2.5
    assert len(scripted.seen) == 1


def test_no_pause_past_the_deadline(scripted):
    scripted.script = [reply(429, **{"Retry-After": "3"}), reply(200, {"ok": True})]
    client = make_client(scripted.url)
    started = time.monotonic()
    client.set_deadline(started + 8.0)  # the pause of 3 s leaves no 6 s for an attempt
    with pytest.raises(LexwareRetryableError) as caught:
        client.get_profile()
    assert caught.value.status == 429
    assert time.monotonic() - started < 1.0
    assert len(scripted.seen) == 1


def test_a_deadline_far_enough_changes_nothing(scripted):
    scripted.script = [reply(503), reply(200, {"companyName": "ACME"})]
    client = make_client(scripted.url)
    client.set_deadline(time.monotonic() + 60.0)
    assert client.get_profile() == {"companyName": "ACME"}
    client.set_deadline(None)
    assert client.get_profile() == {}
