"""/v1/event-subscriptions and the signed deliveries that follow payments, status changes
and revoked tokens."""

import base64
import json

import pytest
import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from sandbox_helpers import Api, assert_regular_error
from voucher_payloads import voucher

CALLBACK = "https://odoo.example/lexware/webhook"


def subscribe(api, event_type, callback_url):
    return api.post(
        "/v1/event-subscriptions", json={"eventType": event_type, "callbackUrl": callback_url}
    )


def booked(api):
    return api.post("/v1/vouchers", json=voucher()).json()["id"]


def verifies(public_pem, raw, signature_b64):
    key = serialization.load_pem_public_key(public_pem.encode())
    try:
        key.verify(base64.b64decode(signature_b64), raw, padding.PKCS1v15(), hashes.SHA512())
    except InvalidSignature:
        return False
    return True


def events(received):
    return sorted(
        (json.loads(raw)["eventType"], json.loads(raw)["resourceId"]) for *_, raw in received
    )


def test_a_subscription_is_created_read_listed_and_deleted(api, sandbox):
    created = subscribe(api, "payment.changed", CALLBACK)
    assert created.status_code == 200, created.text
    stub = created.json()
    assert set(stub) == {"id", "resourceUri", "createdDate", "updatedDate", "version"}
    assert stub["resourceUri"].endswith(f"/v1/event-subscriptions/{stub['id']}")
    read = api.get(f"/v1/event-subscriptions/{stub['id']}").json()
    assert read == {
        "subscriptionId": stub["id"],
        "organizationId": sandbox.default_organization(),
        "createdDate": stub["createdDate"],
        "eventType": "payment.changed",
        "callbackUrl": CALLBACK,
    }
    assert api.get("/v1/event-subscriptions").json() == {"content": [read]}
    deleted = api.request("DELETE", f"/v1/event-subscriptions/{stub['id']}")
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert_regular_error(api.get(f"/v1/event-subscriptions/{stub['id']}"), 404)
    assert_regular_error(api.request("DELETE", f"/v1/event-subscriptions/{stub['id']}"), 404)
    assert api.get("/v1/event-subscriptions").json() == {"content": []}


def test_the_same_pair_twice_answers_409(api):
    assert subscribe(api, "payment.changed", CALLBACK).status_code == 200
    assert_regular_error(subscribe(api, "payment.changed", CALLBACK), 409)
    assert subscribe(api, "voucher.status.changed", CALLBACK).status_code == 200
    assert subscribe(api, "payment.changed", CALLBACK + "?again").status_code == 200
    assert len(api.get("/v1/event-subscriptions").json()["content"]) == 3


@pytest.mark.parametrize(
    "callback", ["http://odoo.example/lexware/webhook", "ftp://odoo.example/x", "https://", "odoo"]
)
def test_the_callback_must_be_https(api, callback):
    body = assert_regular_error(subscribe(api, "payment.changed", callback), 406)
    assert body["details"][0]["field"] == "callbackUrl"


def test_http_callbacks_only_when_the_sandbox_is_told(api, sandbox):
    http = "http://127.0.0.1:8069/lexware/webhook"
    assert subscribe(api, "payment.changed", http).status_code == 406
    switched = requests.post(
        sandbox.url + "/_sandbox/config", json={"webhook_http_allowed": True}, timeout=5
    )
    assert switched.ok
    assert subscribe(api, "payment.changed", http).status_code == 200


def test_unknown_event_types_and_malformed_bodies_are_refused(api):
    body = assert_regular_error(subscribe(api, "payment.paid", CALLBACK), 406)
    assert body["details"][0]["field"] == "eventType"
    assert_regular_error(
        api.post("/v1/event-subscriptions", json={"eventType": "token.revoked"}), 400
    )
    assert_regular_error(api.post("/v1/event-subscriptions", data="eventType=token.revoked"), 415)
    assert api.get("/v1/event-subscriptions").json() == {"content": []}


def test_an_organisation_sees_only_its_own_subscriptions(api, sandbox):
    sandbox.add_organization("Andere GmbH", api_key="other-key")
    other = Api(sandbox.url, "other-key")
    mine = subscribe(api, "payment.changed", CALLBACK).json()["id"]
    assert other.get("/v1/event-subscriptions").json() == {"content": []}
    assert_regular_error(other.get(f"/v1/event-subscriptions/{mine}"), 404)
    assert_regular_error(other.request("DELETE", f"/v1/event-subscriptions/{mine}"), 404)


def test_payments_and_status_changes_are_delivered_signed(api, hooked, receiver):
    subscribe(api, "payment.changed", receiver.url())
    subscribe(api, "voucher.status.changed", receiver.url())
    voucher_id = booked(api)
    hooked.pay(voucher_id, 19.0)
    [(path, headers, raw)] = receiver.wait_for(1)
    assert path == "/lexware/webhook"
    assert headers["Content-Type"] == "application/json"
    body = json.loads(raw)
    assert set(body) == {"organizationId", "eventType", "resourceId", "eventDate"}
    assert body["organizationId"] == hooked.default_organization()
    assert (body["eventType"], body["resourceId"]) == ("payment.changed", voucher_id)
    public_pem = requests.get(hooked.url + "/_sandbox/webhook-public-key", timeout=30).text
    assert public_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert verifies(public_pem, raw, headers["X-Lxo-Signature"])
    assert not verifies(public_pem, raw.replace(b"payment", b"pAyment"), headers["X-Lxo-Signature"])

    hooked.pay(voucher_id)
    assert events(receiver.wait_for(3)[1:]) == [
        ("payment.changed", voucher_id),
        ("voucher.status.changed", voucher_id),
    ]


def test_voiding_tells_of_the_status_and_the_open_amount(api, hooked, receiver):
    subscribe(api, "voucher.status.changed", receiver.url())
    subscribe(api, "payment.changed", receiver.url())
    voucher_id = booked(api)
    hooked.void_voucher(voucher_id)
    assert events(receiver.wait_for(2)) == [
        ("payment.changed", voucher_id),
        ("voucher.status.changed", voucher_id),
    ]


def test_deliveries_go_to_the_subscribed_event_and_organisation_only(api, hooked, receiver):
    hooked.add_organization("Andere GmbH", api_key="other-key")
    other = Api(hooked.url, "other-key")
    subscribe(other, "payment.changed", receiver.url("/other"))
    subscribe(api, "voucher.status.changed", receiver.url("/mine"))
    hooked.pay(booked(api), 19.0)
    hooked.pay(other.post("/v1/vouchers", json=voucher()).json()["id"], 19.0)
    assert hooked.wait_for_deliveries()
    [(path, _headers, _raw)] = receiver.received
    assert path == "/other"


def test_a_delivery_never_holds_up_the_change_that_caused_it(api, hooked, receiver):
    subscribe(api, "payment.changed", receiver.url())
    receiver.delay = 1.0
    voucher_id = booked(api)
    answer = requests.post(
        hooked.url + "/_sandbox/pay", json={"voucherId": voucher_id, "amount": 1}, timeout=5
    )
    assert answer.ok
    # The callback has not answered yet, and the change is done all the same.
    assert hooked.webhook_deliveries() == []
    assert api.get(f"/v1/payments/{voucher_id}").json()["openAmount"] == 118.0
    receiver.wait_for(1)


def test_a_failed_delivery_is_retried_with_growing_pauses(api, hooked, receiver):
    subscribe(api, "payment.changed", receiver.url())
    receiver.statuses = [500, 503]
    hooked.pay(booked(api), 19.0)
    first, second, third = receiver.wait_for(3)
    assert first[2] == second[2] == third[2]
    assert first[1]["X-Lxo-Signature"] == third[1]["X-Lxo-Signature"]
    assert hooked.wait_for_deliveries()
    log = requests.get(hooked.url + "/_sandbox/webhook-deliveries", timeout=5).json()
    assert [(entry["attempt"], entry["status"]) for entry in log] == [(1, 500), (2, 503), (3, 200)]
    assert len({entry["deliveryId"] for entry in log}) == 1


def test_a_callback_that_keeps_failing_is_given_up_after_the_retries(api, hooked, receiver):
    hooked.configure(webhook_retries=2)
    subscribe(api, "payment.changed", receiver.url())
    receiver.statuses = [500, 500, 500, 500]
    hooked.pay(booked(api), 19.0)
    assert hooked.wait_for_deliveries()
    assert [entry["status"] for entry in hooked.webhook_deliveries()] == [500, 500, 500]
    assert len(api.get("/v1/event-subscriptions").json()["content"]) == 1


def test_a_404_from_the_callback_deletes_the_subscription(api, hooked, receiver):
    gone = subscribe(api, "payment.changed", receiver.url("/gone")).json()["id"]
    kept = subscribe(api, "voucher.status.changed", receiver.url("/kept")).json()["id"]
    receiver.statuses = [404]
    hooked.pay(booked(api), 19.0)
    assert hooked.wait_for_deliveries()
    assert [(entry["status"], entry["attempt"]) for entry in hooked.webhook_deliveries()] == [
        (404, 1)
    ]
    assert_regular_error(api.get(f"/v1/event-subscriptions/{gone}"), 404)
    assert api.get(f"/v1/event-subscriptions/{kept}").status_code == 200


def test_an_unreachable_callback_is_logged_without_a_status(api, hooked):
    hooked.configure(webhook_retries=0)
    subscribe(api, "payment.changed", "http://127.0.0.1:9/lexware/webhook")
    hooked.pay(booked(api), 19.0)
    assert hooked.wait_for_deliveries()
    [entry] = hooked.webhook_deliveries()
    assert entry["status"] is None
    assert entry["error"]


def test_a_revoked_token_is_delivered_with_the_connection_id(api, hooked, receiver):
    subscribe(api, "token.revoked", receiver.url())
    organization = hooked.default_organization()
    connection_id = hooked.store.add_connection(organization, "sandbox-client", "profile.read")
    hooked.revoke_connection(connection_id)
    hooked.revoke_connection(connection_id)
    [(_path, _headers, raw)] = receiver.wait_for(1)
    body = json.loads(raw)
    assert (body["eventType"], body["resourceId"]) == ("token.revoked", connection_id)
    assert body["organizationId"] == organization
    assert hooked.wait_for_deliveries()
    assert len(receiver.received) == 1


def test_revoking_over_oauth_tells_the_subscribers_too(api, hooked, receiver):
    subscribe(api, "token.revoked", receiver.url())
    connection_id = hooked.store.add_connection(
        hooked.default_organization(), "sandbox-client", "profile.read"
    )
    hooked.store.set_refresh_token(connection_id, "refresh-me")
    answer = requests.post(
        hooked.url + "/oauth2/revoke",
        data={"token": "refresh-me"},
        auth=("sandbox-client", "sandbox-secret"),
        timeout=5,
    )
    assert answer.status_code == 200
    [(_path, _headers, raw)] = receiver.wait_for(1)
    assert json.loads(raw)["resourceId"] == connection_id


def test_a_callback_host_that_does_not_resolve_deletes_the_subscription(api, hooked):
    subscribe(api, "payment.changed", "https://callback.invalid/lexware/webhook")
    hooked.pay(booked(api), 19.0)
    assert hooked.wait_for_deliveries()
    [entry] = hooked.webhook_deliveries()
    assert entry["status"] is None
    assert api.get("/v1/event-subscriptions").json() == {"content": []}


def test_the_settings_page_switches_http_callbacks_and_lists_subscriptions(api, sandbox):
    http = "http://127.0.0.1:8069/lexware/webhook"
    page = requests.get(sandbox.url + "/settings", timeout=5)
    assert page.status_code == 200
    assert 'name="webhook_http_allowed" value="1">' in page.text
    form = {"webhook_retries": "1", "webhook_retry_pause_s": "0.1", "webhook_timeout_s": "2"}
    saved = requests.post(
        sandbox.url + "/settings",
        data={**form, "webhook_http_allowed": "1"},
        allow_redirects=False,
        timeout=5,
    )
    assert saved.status_code == 303
    assert (sandbox.settings.webhook_http_allowed, sandbox.settings.webhook_retries) == (True, 1)
    assert subscribe(api, "payment.changed", http).status_code == 200
    assert http in requests.get(sandbox.url + "/settings", timeout=5).text
    requests.post(sandbox.url + "/settings", data=form, timeout=5)
    assert sandbox.settings.webhook_http_allowed is False
    bad = requests.post(
        sandbox.url + "/settings", data={**form, "webhook_retries": "-1"}, timeout=5
    )
    assert bad.status_code == 400
    assert sandbox.settings.webhook_retries == 1
    refused = requests.post(
        sandbox.url + "/_sandbox/config", json={"webhook_timeout_s": 0}, timeout=5
    )
    assert refused.status_code == 400
