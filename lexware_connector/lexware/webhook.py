"""Lexware's webhook deliveries: checking the signature, reading the event.

Lexware signs each delivery: header `X-Lxo-Signature`, base64 of an RSA signature
(PKCS#1 v1.5) over the raw body, checked with Lexware's public key. The documentation says
SHA-512; one secondary source claims SHA-256, so the hash is named once, here.

The body is `{organizationId, eventType, resourceId, eventDate}` and nothing else: every
event needs a follow-up read.
"""

import base64
import binascii
import datetime
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SIGNATURE_HEADER = "X-Lxo-Signature"
SIGNATURE_HASH = hashes.SHA512
# Lexware's key as published at developers.lexware.io/webhookSignature/public/public_key.pub.
PUBLIC_KEY_PATH = Path(__file__).with_name("lexware_webhook_public_key.pem")
# Far more than a delivery's four fields ever need.
MAX_BODY = 64 * 1024


def lexware_public_key_pem():
    """The PEM text of Lexware's public key that ships with the connector."""
    return PUBLIC_KEY_PATH.read_text(encoding="ascii")


class WebhookKeyError(ValueError):
    """The public key given is not an RSA public key in PEM: a configuration problem, not a
    bad delivery."""


class WebhookEventError(ValueError):
    """A delivery's body is not one of Lexware's events."""


def verify_signature(raw_body, signature_b64, public_key_pem):
    """Whether `signature_b64` (the header's value) signs `raw_body` (bytes, as received)
    under `public_key_pem`. False for a missing, malformed or wrong signature; raises
    `WebhookKeyError` when the key itself is unusable."""
    key = _public_key(public_key_pem)
    if not signature_b64 or not isinstance(raw_body, bytes):
        return False
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError, TypeError):
        return False
    try:
        key.verify(signature, raw_body, padding.PKCS1v15(), SIGNATURE_HASH())
    except InvalidSignature:
        return False
    return True


def _public_key(public_key_pem):
    try:
        data = public_key_pem.encode() if isinstance(public_key_pem, str) else public_key_pem
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, AttributeError, UnsupportedAlgorithm) as error:
        raise WebhookKeyError(f"not a public key in PEM: {error}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise WebhookKeyError("Lexware signs with RSA; the key given is not an RSA key")
    return key


@dataclass(frozen=True)
class WebhookEvent:
    organization_id: str
    event_type: str  # as Lexware sent it, also when unknown to the connector
    resource_id: str  # the voucher's id; for token.revoked, the connection's
    event_date: datetime.datetime  # aware


def parse_event(raw_body):
    """The `WebhookEvent` in a delivery's raw body (bytes or text); `WebhookEventError`
    saying what is wrong otherwise."""
    if isinstance(raw_body, bytes):
        if len(raw_body) > MAX_BODY:
            raise WebhookEventError("the body is too large for an event")
        try:
            raw_body = raw_body.decode("utf-8")
        except UnicodeDecodeError:
            raise WebhookEventError("the body is not UTF-8 text") from None
    try:
        body = json.loads(raw_body)
    except (TypeError, ValueError):
        raise WebhookEventError("the body is not JSON") from None
    if not isinstance(body, dict):
        raise WebhookEventError("the body is not a JSON object")
    fields = {}
    for name in ("organizationId", "eventType", "resourceId", "eventDate"):
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            raise WebhookEventError(f"{name} is missing")
        fields[name] = value.strip()
    return WebhookEvent(
        organization_id=fields["organizationId"],
        event_type=fields["eventType"],
        resource_id=fields["resourceId"],
        event_date=_event_date(fields["eventDate"]),
    )


def _event_date(value):
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise WebhookEventError(f"eventDate is not an RFC 3339 date and time: {value}") from None
    if moment.tzinfo is None:
        raise WebhookEventError(f"eventDate has no offset: {value}")
    return moment
