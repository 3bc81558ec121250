"""lexware.webhook: the signature of a delivery and the event in it; the sandbox's real
deliveries check out with the key it publishes, and nothing else does."""

import base64
import datetime
import json
import time

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from voucher_payloads import voucher

from lexware.subscriptions import PAYMENT_CHANGED
from lexware.webhook import (
    PUBLIC_KEY_PATH,
    SIGNATURE_HEADER,
    WebhookEventError,
    WebhookKeyError,
    lexware_public_key_pem,
    parse_event,
    verify_signature,
)

BODY = (
    b'{"organizationId":"aa93e8a8-2aa3-470b-b914-caad8a255dd8","eventType":"payment.changed",'
    b'"resourceId":"9b4f7d3e-1f0a-4c6e-8a4b-1f2e3d4c5b6a","eventDate":"2026-12-01T10:15:00.123+01:00"}'
)


@pytest.fixture(scope="module")
def own_key():
    """A key of the test's own, to sign what Lexware would not."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public_pem.decode()


def signed(private, body, algorithm=hashes.SHA512):
    return base64.b64encode(private.sign(body, padding.PKCS1v15(), algorithm())).decode()


def wait_for_delivery(scripted, count=1, timeout=30.0):
    deadline = time.monotonic() + timeout
    while len(scripted.received) < count:
        assert time.monotonic() < deadline, f"{len(scripted.received)} deliveries arrived"
        time.sleep(0.01)
    return scripted.received[:count]


def test_a_sandbox_delivery_verifies_with_the_published_key_and_parses(
    client, fast_sandbox, scripted
):
    fast_sandbox.configure(webhook_http_allowed=True)
    client.create_event_subscription(PAYMENT_CHANGED, scripted.url + "/lexware/webhook")
    voucher_id = client.create_voucher(voucher("RE-HOOK"))["id"]
    fast_sandbox.pay(voucher_id, 10.0)
    [(headers, raw)] = wait_for_delivery(scripted)
    signature = headers[SIGNATURE_HEADER]
    published = requests.get(fast_sandbox.url + "/_sandbox/webhook-public-key", timeout=30).text
    assert verify_signature(raw, signature, published)
    assert not verify_signature(raw.replace(b"payment", b"paymenT"), signature, published)
    assert not verify_signature(raw + b" ", signature, published)
    # Lexware's own key does not take the sandbox's signature.
    assert not verify_signature(raw, signature, lexware_public_key_pem())
    event = parse_event(raw)
    assert event.event_type == PAYMENT_CHANGED
    assert event.resource_id == voucher_id
    assert event.organization_id == fast_sandbox.default_organization()
    assert event.event_date.tzinfo is not None


def test_a_signature_is_sha512_over_the_raw_body(own_key):
    private, public_pem = own_key
    assert verify_signature(BODY, signed(private, BODY), public_pem)
    assert verify_signature(BODY, signed(private, BODY), public_pem.encode())
    assert not verify_signature(BODY, signed(private, BODY, hashes.SHA256), public_pem)
    reformatted = json.dumps(json.loads(BODY)).encode()
    assert not verify_signature(reformatted, signed(private, BODY), public_pem)


@pytest.mark.parametrize("signature", [None, "", "not base64 at all!", "AAAA"])
def test_a_missing_or_malformed_signature_does_not_verify(own_key, signature):
    assert not verify_signature(BODY, signature, own_key[1])


def test_an_unusable_key_is_a_key_error_not_a_bad_delivery(own_key):
    with pytest.raises(WebhookKeyError):
        verify_signature(BODY, signed(own_key[0], BODY), "-----BEGIN PUBLIC KEY-----\nxx")


def test_lexwares_public_key_ships_with_the_connector():
    assert PUBLIC_KEY_PATH.parent.name == "lexware"
    pem = lexware_public_key_pem()
    key = serialization.load_pem_public_key(pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    assert key.key_size == 4096


def test_an_event_is_read_with_its_date():
    event = parse_event(BODY)
    assert event.organization_id == "aa93e8a8-2aa3-470b-b914-caad8a255dd8"
    assert event.resource_id == "9b4f7d3e-1f0a-4c6e-8a4b-1f2e3d4c5b6a"
    assert event.event_date == datetime.datetime(
        2026, 12, 1, 9, 15, 0, 123000, tzinfo=datetime.timezone.utc
    )
    assert parse_event(BODY.decode()) == event
    utc = parse_event(BODY.replace(b"+01:00", b"Z").replace(b"10:15", b"09:15"))
    assert utc.event_date == event.event_date


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe", "UTF-8"),
        (b"payment.changed", "not JSON"),
        (b"[]", "not a JSON object"),
        (BODY.replace(b'"resourceId"', b'"resource"'), "resourceId is missing"),
        (BODY.replace(b'"payment.changed"', b'""'), "eventType is missing"),
        (BODY.replace(b'"organizationId":"aa', b'"organizationId":1,"x":"aa'), "organizationId"),
        (BODY.replace(b"2026-12-01T10:15:00.123+01:00", b"yesterday"), "eventDate"),
        (BODY.replace(b"+01:00", b""), "offset"),
        (b" " * 70_000, "too large"),
    ],
)
def test_a_bad_body_says_what_is_wrong(raw, reason):
    with pytest.raises(WebhookEventError, match=reason):
        parse_event(raw)
