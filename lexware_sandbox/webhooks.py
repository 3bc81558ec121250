"""Webhook deliveries: signed POSTs to the subscribed callback URLs, in the background.

Lexware signs each delivery with its own RSA key: header `X-Lxo-Signature`, base64 of an
RSA-SHA512 PKCS#1 v1.5 signature over the raw body. The sandbox does the same with a key
pair of its own, whose public key `/_sandbox/webhook-public-key` publishes.

A delivery is retried with growing pauses when the callback does not answer 2xx; a 404
answer or a host name that does not resolve deletes the subscription, as Lexware does.
Each attempt is kept in a log for tests.
"""

import base64
import json
import socket
import threading
import time
import uuid
from urllib import error as urlerror
from urllib import request as urlrequest

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .dates import now_berlin

SIGNATURE_HEADER = "X-Lxo-Signature"
# Lexware's published key is 4096-bit RSA; the sandbox's is alike.
KEY_SIZE = 4096
# Deliveries kept in the log; older ones are dropped.
LOG_SIZE = 1000

PAYMENT_CHANGED = "payment.changed"
VOUCHER_STATUS_CHANGED = "voucher.status.changed"
TOKEN_REVOKED = "token.revoked"

_key_lock = threading.Lock()
_private_key = None


def private_key():
    """The sandbox's signing key: made once per process at first need, since a 4096-bit
    key takes seconds and every test starts a sandbox of its own."""
    global _private_key  # noqa: PLW0603
    with _key_lock:
        if _private_key is None:
            _private_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
        return _private_key


def public_key_pem():
    return (
        private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


class _NoRedirect(urlrequest.HTTPRedirectHandler):
    """A redirect is an answer like any other: not followed, not a success."""

    def redirect_request(self, *args, **kwargs):
        return None


# No proxy from the environment: callbacks are local in tests and the demo.
_OPENER = urlrequest.build_opener(urlrequest.ProxyHandler({}), _NoRedirect)


def sign(body):
    signature = private_key().sign(body, padding.PKCS1v15(), hashes.SHA512())
    return base64.b64encode(signature).decode("ascii")


class Dispatcher:
    """Sends each event to the organisation's matching subscriptions, one thread per delivery.

    Never inside the request that caused the event: the caller only starts threads.
    """

    def __init__(self, store, settings):
        self.store = store
        self.settings = settings
        self._lock = threading.Lock()
        self._log = []
        self._threads = []
        self._stopping = threading.Event()

    def emit(self, organization_id, event_type, resource_id):
        body = {
            "organizationId": organization_id,
            "eventType": event_type,
            "resourceId": resource_id,
            "eventDate": now_berlin(),
        }
        raw = json.dumps(body).encode()
        for subscription in self.store.event_subscriptions(organization_id, event_type):
            thread = threading.Thread(
                target=self._deliver,
                args=(subscription, raw),
                name="lexware-sandbox-webhook",
                daemon=True,
            )
            with self._lock:
                self._threads = [t for t in self._threads if t.is_alive()]
                self._threads.append(thread)
            thread.start()

    def stop(self):
        """Ends pending retries; deliveries under way get their timeout to finish."""
        self._stopping.set()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(self.settings.webhook_timeout_s + 1)

    def wait_idle(self, timeout=30.0):
        """Wait until no delivery is under way or pending a retry; True when so."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                busy = [t for t in self._threads if t.is_alive()]
            if not busy:
                return True
            busy[0].join(max(deadline - time.monotonic(), 0))
        return False

    def log(self):
        with self._lock:
            return list(self._log)

    def _deliver(self, subscription, raw):
        delivery_id = str(uuid.uuid4())
        signature = sign(raw)
        attempts = 1 + max(int(self.settings.webhook_retries), 0)
        for attempt in range(1, attempts + 1):
            status, problem, unknown_host = self._post(subscription["callbackUrl"], raw, signature)
            self._record(delivery_id, subscription, raw, signature, attempt, status, problem)
            if status is not None and 200 <= status < 300:
                return
            if status == 404 or unknown_host:
                # Lexware drops a subscription whose callback answers 404 or whose host
                # name does not resolve.
                self.store.delete_event_subscription(subscription["subscriptionId"])
                return
            pause = self.settings.webhook_retry_pause_s * 2 ** (attempt - 1)
            if attempt == attempts or self._stopping.wait(pause):
                return

    def _post(self, url, raw, signature):
        """(HTTP status or None, problem or None, whether the host name did not resolve)
        of one attempt."""
        request = urlrequest.Request(
            url,
            data=raw,
            method="POST",
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature},
        )
        try:
            with _OPENER.open(request, timeout=self.settings.webhook_timeout_s) as answer:
                return answer.status, None, False
        except urlerror.HTTPError as answer:
            return answer.code, None, False
        except (OSError, ValueError) as problem:
            unknown_host = isinstance(getattr(problem, "reason", None), socket.gaierror)
            return None, f"{type(problem).__name__}: {problem}", unknown_host

    def _record(self, delivery_id, subscription, raw, signature, attempt, status, problem):
        entry = {
            "deliveryId": delivery_id,
            "subscriptionId": subscription["subscriptionId"],
            "callbackUrl": subscription["callbackUrl"],
            "attempt": attempt,
            "status": status,
            "error": problem,
            "body": raw.decode(),
            "signature": signature,
            "date": now_berlin(),
        }
        with self._lock:
            self._log.append(entry)
            del self._log[:-LOG_SIZE]
