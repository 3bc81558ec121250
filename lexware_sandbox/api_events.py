"""/v1/event-subscriptions: subscribe a callback URL to an event type, list, read, delete.

Answers as Lexware documents them: POST answers the usual stub (`id`, `resourceUri`, …),
GET answers `{subscriptionId, organizationId, createdDate, eventType, callbackUrl}`, the
list wraps those in `content`, DELETE answers 204. The same (eventType, callbackUrl) pair
twice answers 409; there is no update.

Where the documentation is silent, the sandbox is strict, in the regular error shape:
a body without both fields as strings answers 400; an unknown event type or a callback
that is not an absolute https URL answers 406 (http is allowed only when the sandbox's
`webhook_http_allowed` switch is on, for tests and the demo).
"""

from urllib.parse import urlsplit

from .errors import ApiError
from .requests_json import json_body

# Lexware's event types (lower case, as it handles them).
EVENT_TYPES = frozenset(
    {
        "contact.created",
        "contact.changed",
        "contact.deleted",
        "credit-note.created",
        "credit-note.changed",
        "credit-note.deleted",
        "credit-note.status.changed",
        "invoice.created",
        "invoice.changed",
        "invoice.deleted",
        "invoice.status.changed",
        "order-confirmation.created",
        "order-confirmation.changed",
        "order-confirmation.deleted",
        "order-confirmation.status.changed",
        "quotation.created",
        "quotation.changed",
        "quotation.deleted",
        "quotation.status.changed",
        "payment.changed",
        "token.revoked",
        "voucher.created",
        "voucher.changed",
        "voucher.deleted",
        "voucher.status.changed",
    }
)


def create(call):
    body = json_body(call.request)
    event_type, callback_url = body.get("eventType"), body.get("callbackUrl")
    missing = [
        name
        for name, value in (("eventType", event_type), ("callbackUrl", callback_url))
        if not isinstance(value, str) or not value
    ]
    if missing:
        raise ApiError(
            400,
            "Malformed event subscription",
            [("NotNull", name, "must not be null") for name in missing],
        )
    if event_type.lower() not in EVENT_TYPES:
        raise ApiError(
            406, "Unknown event type", [("Enum", "eventType", f"unknown event type {event_type}")]
        )
    _check_callback(callback_url, call.settings.webhook_http_allowed)
    subscription = call.store.add_event_subscription(
        call.caller.organization_id, event_type.lower(), callback_url
    )
    if subscription is None:
        raise ApiError(
            409,
            "Event subscription already exists",
            [("Unique", "callbackUrl", "eventType and callbackUrl are subscribed already")],
        )
    call.counters.add("event_subscriptions_created")
    return {
        "id": subscription["subscriptionId"],
        "resourceUri": (
            f"https://api.lexware.io/v1/event-subscriptions/{subscription['subscriptionId']}"
        ),
        "createdDate": subscription["createdDate"],
        "updatedDate": subscription["createdDate"],
        "version": 0,
    }


def _check_callback(url, http_allowed):
    parts = urlsplit(url)
    schemes = ("https", "http") if http_allowed else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise ApiError(
            406,
            "Invalid callback url",
            [("Pattern", "callbackUrl", "must be an absolute https URL")],
        )


def find_all(call):
    return {"content": call.store.event_subscriptions(call.caller.organization_id)}


def read(call, subscription_id):
    subscription = call.store.event_subscription(subscription_id, call.caller.organization_id)
    if subscription is None:
        raise ApiError(404, "Event subscription not found")
    return subscription


def delete(call, subscription_id):
    if not call.store.delete_event_subscription(subscription_id, call.caller.organization_id):
        raise ApiError(404, "Event subscription not found")
    return None, 204
