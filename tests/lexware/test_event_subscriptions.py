"""LexwareClient's event subscriptions against the sandbox: create (idempotent on 409),
list, delete (False once gone), and what Lexware refuses."""

import pytest

from lexware import EventSubscription, LexwarePermanentError
from lexware.subscriptions import PAYMENT_CHANGED, TOKEN_REVOKED, VOUCHER_STATUS_CHANGED

CALLBACK = "https://odoo.example/lexware/webhook"


def test_subscribe_list_and_unsubscribe(client, fast_sandbox):
    created = client.create_event_subscription(PAYMENT_CHANGED, CALLBACK)
    assert isinstance(created, EventSubscription)
    assert (created.event_type, created.callback_url) == (PAYMENT_CHANGED, CALLBACK)
    other = client.create_event_subscription(TOKEN_REVOKED, CALLBACK)
    listed = client.list_event_subscriptions()
    assert [s.id for s in listed] == [created.id, other.id]
    assert listed[0].organization_id == fast_sandbox.default_organization()
    assert listed[0].created_date == created.created_date
    assert client.delete_event_subscription(created.id) is True
    assert client.delete_event_subscription(created.id) is False
    assert [s.id for s in client.list_event_subscriptions()] == [other.id]


def test_subscribing_twice_answers_the_existing_subscription(client):
    first = client.create_event_subscription(VOUCHER_STATUS_CHANGED, CALLBACK)
    again = client.create_event_subscription(VOUCHER_STATUS_CHANGED, CALLBACK)
    assert again.id == first.id
    assert len(client.list_event_subscriptions()) == 1


@pytest.mark.parametrize(
    ("event_type", "callback"),
    [
        (PAYMENT_CHANGED, "http://odoo.example/lexware/webhook"),
        ("payment.received", CALLBACK),
    ],
)
def test_what_lexware_refuses_is_permanent(client, event_type, callback):
    with pytest.raises(LexwarePermanentError) as caught:
        client.create_event_subscription(event_type, callback)
    assert caught.value.status == 406
    assert client.list_event_subscriptions() == []


def test_http_callbacks_once_the_sandbox_allows_them(client, fast_sandbox):
    fast_sandbox.configure(webhook_http_allowed=True)
    created = client.create_event_subscription(PAYMENT_CHANGED, "http://127.0.0.1:8069/x")
    assert created.callback_url == "http://127.0.0.1:8069/x"
