"""Lexware's event subscriptions, as plain data.

Lexware answers a new subscription with a stub (`id`, …) and reads one back as
`{subscriptionId, organizationId, createdDate, eventType, callbackUrl}`; both are read here.
"""

from dataclasses import dataclass

from .errors import LexwareUnexpectedAnswerError

PAYMENT_CHANGED = "payment.changed"
VOUCHER_CHANGED = "voucher.changed"
VOUCHER_STATUS_CHANGED = "voucher.status.changed"
TOKEN_REVOKED = "token.revoked"


@dataclass(frozen=True)
class EventSubscription:
    id: str
    event_type: str
    callback_url: str
    organization_id: str | None = None
    created_date: str | None = None


def parse_subscription(body):
    if not isinstance(body, dict):
        raise LexwareUnexpectedAnswerError("an event subscription is not an object")
    subscription_id = body.get("subscriptionId") or body.get("id")
    if not subscription_id or not body.get("eventType") or not body.get("callbackUrl"):
        raise LexwareUnexpectedAnswerError("an event subscription without id, type or URL")
    return EventSubscription(
        id=str(subscription_id),
        event_type=str(body["eventType"]),
        callback_url=str(body["callbackUrl"]),
        organization_id=body.get("organizationId"),
        created_date=body.get("createdDate"),
    )


def parse_subscription_list(body):
    """The subscriptions of Lexware's list answer (`{"content": [...]}`)."""
    content = body.get("content") if isinstance(body, dict) else body
    if not isinstance(content, list):
        raise LexwareUnexpectedAnswerError("the event subscriptions answer holds no list")
    return [parse_subscription(item) for item in content]
