"""/_sandbox/…: the test controls over HTTP, for a sandbox in its own process.

Never rate-limited or fault-injected: soak tests read counters while the
sandbox misbehaves on /v1.
"""

import json

from werkzeug.wrappers import Response

from .errors import json_response

CONFIG_KEYS = (
    "fault_rate",
    "latency_ms",
    "drop_rate",
    "rate",
    "burst",
    "retry_after",
    "token_ttl",
    "today",
    "contact_settle_s",
    "tax_tolerance",
    "repeated_items",
    "stale_contact_status",
    "webhook_http_allowed",
    "webhook_retries",
    "webhook_retry_pause_s",
    "webhook_timeout_s",
)


def dispatch(app, request):
    handler = ROUTES.get((request.path, request.method))
    if handler is None:
        return json_response({"message": "Not Found"}, 404)
    try:
        body = json.loads(request.get_data(as_text=True) or "{}")
    except ValueError:
        return json_response({"message": "Malformed JSON"}, 400)
    try:
        answer = handler(app.sandbox, request, body)
    except KeyError as error:
        return json_response({"message": f"Not found: {error.args[0]}"}, 404)
    except ValueError as error:
        # A payment or void the web app would refuse (PaymentRefused), or a bad value.
        return json_response({"message": str(error)}, 400)
    if isinstance(answer, Response):
        return answer
    return json_response(answer)


def _counters(sandbox, request, body):
    return sandbox.counters()


def _config(sandbox, request, body):
    sandbox.configure(**{key: body[key] for key in CONFIG_KEYS if key in body})
    return {"ok": True}


def _vouchers(sandbox, request, body):
    return sandbox.vouchers(number=request.args.get("number"))


def _contacts(sandbox, request, body):
    return sandbox.contacts()


def _edit_contact(sandbox, request, body):
    """{contactId, fields}: the contact saved with `fields` changed, as in the web app."""
    return sandbox.edit_contact_in_web_app(body["contactId"], **body.get("fields", {}))


def _organizations(sandbox, request, body):
    org_id = sandbox.add_organization(
        body["companyName"],
        tax_type=body.get("taxType", "net"),
        small_business=body.get("smallBusiness", False),
        api_key=body.get("apiKey"),
        e_invoice=body.get("eInvoice", False),
        distance_sales=body.get("distanceSalesPrinciple", "ORIGIN"),
    )
    return {"organizationId": org_id}


def _expire_tokens(sandbox, request, body):
    sandbox.expire_access_tokens()
    return {"ok": True}


def _revoke(sandbox, request, body):
    if body.get("connectionId"):
        sandbox.revoke_connection(body["connectionId"])
    else:
        sandbox.revoke_all()
    return {"ok": True}


def _mark_paid(sandbox, request, body):
    sandbox.mark_paid(body["voucherId"])
    return {"ok": True}


def _payment_required(sandbox, request, body):
    sandbox.set_payment_required(body.get("organizationId"), body.get("required", True))
    return {"ok": True}


def _fail_next(sandbox, request, body):
    sandbox.fail_next(
        body["status"],
        times=body.get("times", 1),
        carried_out=body.get("carriedOut"),
        method=body.get("method"),
    )
    return {"ok": True}


def _voucher_status(sandbox, request, body):
    sandbox.set_voucher_status(body["voucherId"], body["voucherStatus"])
    return {"ok": True}


def _pay(sandbox, request, body):
    """{voucherId, amount?, discount?, date?, paymentItemType?}: a payment, a part of one
    (with amount), or a settlement with a cash discount (with discount)."""
    if body.get("discount"):
        sandbox.pay_with_discount(
            body["voucherId"], body.get("amount"), body["discount"], date=body.get("date")
        )
    else:
        sandbox.pay(
            body["voucherId"],
            body.get("amount"),
            date=body.get("date"),
            item_type=body.get("paymentItemType", "manualPayment"),
        )
    return {"ok": True}


def _void(sandbox, request, body):
    sandbox.void_voucher(body["voucherId"])
    return {"ok": True}


def _take_back(sandbox, request, body):
    """{voucherId, index?}: the payment item `index` (default: the last payment) taken
    back, with the cash discount of its day."""
    sandbox.take_back_payment(body["voucherId"], body.get("index"))
    return {"ok": True}


def _webhook_public_key(sandbox, request, body):
    return Response(sandbox.webhook_public_key(), content_type="application/x-pem-file")


def _webhook_deliveries(sandbox, request, body):
    if request.args.get("wait"):
        sandbox.wait_for_deliveries(float(request.args["wait"]))
    return sandbox.webhook_deliveries()


def _event_subscriptions(sandbox, request, body):
    return sandbox.event_subscriptions()


ROUTES = {
    ("/_sandbox/counters", "GET"): _counters,
    ("/_sandbox/config", "POST"): _config,
    ("/_sandbox/vouchers", "GET"): _vouchers,
    ("/_sandbox/contacts", "GET"): _contacts,
    ("/_sandbox/contact-edit", "POST"): _edit_contact,
    ("/_sandbox/organizations", "POST"): _organizations,
    ("/_sandbox/expire-tokens", "POST"): _expire_tokens,
    ("/_sandbox/revoke", "POST"): _revoke,
    ("/_sandbox/mark-paid", "POST"): _mark_paid,
    ("/_sandbox/voucher-status", "POST"): _voucher_status,
    ("/_sandbox/payment-required", "POST"): _payment_required,
    ("/_sandbox/fail-next", "POST"): _fail_next,
    ("/_sandbox/pay", "POST"): _pay,
    ("/_sandbox/void", "POST"): _void,
    ("/_sandbox/take-back", "POST"): _take_back,
    ("/_sandbox/webhook-public-key", "GET"): _webhook_public_key,
    ("/_sandbox/webhook-deliveries", "GET"): _webhook_deliveries,
    ("/_sandbox/event-subscriptions", "GET"): _event_subscriptions,
}
