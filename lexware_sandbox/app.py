"""The WSGI application: routing, and the gateway every /v1 request passes.

The gateway order mirrors Lexware's: authenticate, take a rate-limit token,
answer 402 for an organisation with a contract problem, check the scope, maybe
fault, then carry the request out.
"""

import socket
import time
from dataclasses import dataclass

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import (
    api_contacts,
    api_events,
    api_files,
    api_vouchers,
    categories,
    control,
    faults,
    payments,
    web,
)
from .auth import Caller, authenticate, require_scope
from .errors import REASONS, ApiError, IssueListError, json_response


class SandboxRequest(Request):
    # Large enough for a 5 MB upload plus one byte, so Lexware's own 406 can answer it.
    max_content_length = 16 * 1024 * 1024


@dataclass
class Call:
    request: Request
    caller: Caller
    organization: dict
    store: object
    counters: object
    settings: object


VOUCHER_PERMALINK = "/permalink/vouchers/view/"


def profile(call):
    org = call.organization
    return {
        "organizationId": org["id"],
        "companyName": org["companyName"],
        "created": {"userId": None, "userName": None, "userEmail": None, "date": None},
        "connectionId": call.caller.connection_id,
        "taxType": org["taxType"],
        "smallBusiness": org["smallBusiness"],
        "distanceSalesPrinciple": org["distanceSalesPrinciple"],
        "businessFeatures": ["E_INVOICING"] if org["eInvoice"] else [],
    }


def posting_categories(call):
    return categories.public_view(call.settings.today)


API_RULES = Map(
    [
        Rule("/v1/profile", endpoint=(profile, "profile.read"), methods=["GET"]),
        Rule(
            "/v1/posting-categories",
            endpoint=(posting_categories, "vouchers.read"),
            methods=["GET"],
        ),
        Rule("/v1/contacts", endpoint=(api_contacts.find, "contacts.read"), methods=["GET"]),
        Rule("/v1/contacts", endpoint=(api_contacts.create, "contacts.write"), methods=["POST"]),
        Rule(
            "/v1/contacts/<contact_id>",
            endpoint=(api_contacts.read, "contacts.read"),
            methods=["GET"],
        ),
        Rule(
            "/v1/contacts/<contact_id>",
            endpoint=(api_contacts.update, "contacts.write"),
            methods=["PUT"],
        ),
        Rule("/v1/vouchers", endpoint=(api_vouchers.create, "vouchers.write"), methods=["POST"]),
        Rule(
            "/v1/vouchers",
            endpoint=(api_vouchers.find_by_number, "vouchers.read"),
            methods=["GET"],
        ),
        Rule(
            "/v1/vouchers/<voucher_id>",
            endpoint=(api_vouchers.read, "vouchers.read"),
            methods=["GET"],
        ),
        Rule(
            "/v1/vouchers/<voucher_id>",
            endpoint=(api_vouchers.update, "vouchers.write"),
            methods=["PUT"],
        ),
        Rule(
            "/v1/vouchers/<voucher_id>/files",
            endpoint=(api_files.upload, "files.write"),
            methods=["POST"],
        ),
        Rule("/v1/files", endpoint=(api_files.upload_scan, "files.write"), methods=["POST"]),
        Rule(
            "/v1/voucherlist",
            endpoint=(api_vouchers.voucherlist, "vouchers.read"),
            methods=["GET"],
        ),
        Rule(
            "/v1/payments/<voucher_id>",
            endpoint=(api_vouchers.payments, "vouchers.read"),
            methods=["GET"],
        ),
        # Lexware names no scope for event subscriptions: any valid credential may.
        Rule("/v1/event-subscriptions", endpoint=(api_events.create, None), methods=["POST"]),
        Rule("/v1/event-subscriptions", endpoint=(api_events.find_all, None), methods=["GET"]),
        Rule(
            "/v1/event-subscriptions/<subscription_id>",
            endpoint=(api_events.read, None),
            methods=["GET"],
        ),
        Rule(
            "/v1/event-subscriptions/<subscription_id>",
            endpoint=(api_events.delete, None),
            methods=["DELETE"],
        ),
    ]
)

WRITE_METHODS = ("POST", "PUT")


class DroppedConnection(ConnectionAbortedError):
    """Raised after closing the socket, so werkzeug sends nothing at all."""


class SandboxApp:
    def __init__(self, store, limiter, injector, counters, settings, oauth):
        self.store = store
        self.limiter = limiter
        self.injector = injector
        self.counters = counters
        self.settings = settings
        self.oauth = oauth
        self.failures = faults.FailureScript()
        # Organisations whose contract does not cover the API: every /v1 call answers 402.
        self.payment_required = set()
        # The SandboxServer sets itself here: /_sandbox/ drives it like a test would.
        self.sandbox = None

    def __call__(self, environ, start_response):
        request = SandboxRequest(environ)
        # Reading the body up front keeps keep-alive connections in step even
        # when the answer is an early 401 or 429.
        request.get_data()
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request):
        path = request.path
        if path.startswith("/v1/"):
            return self.api(request)
        if path.startswith("/oauth2/"):
            return self.oauth_endpoint(request)
        if path.startswith("/_sandbox/"):
            return control.dispatch(self, request)
        if path == "/" and request.method == "GET":
            return Response(web.voucher_page(self.voucher_rows()), content_type="text/html")
        if path.startswith("/files/") and request.method == "GET":
            return self.serve_file(path.removeprefix("/files/"))
        if path.startswith(VOUCHER_PERMALINK) and request.method == "GET":
            return self.serve_voucher(path.removeprefix(VOUCHER_PERMALINK))
        if path == "/settings":
            return self.settings_endpoint(request)
        if path.startswith("/vouchers/") and request.method == "POST":
            return self.voucher_action(request, path.removeprefix("/vouchers/"))
        return Response(web.error_page("Nicht gefunden"), 404, content_type="text/html")

    def oauth_endpoint(self, request):
        endpoints = {
            ("/oauth2/authorize", "GET"): self.oauth.authorize,
            ("/oauth2/authorize", "POST"): self.oauth.authorize,
            ("/oauth2/token", "POST"): self.oauth.token,
            ("/oauth2/revoke", "POST"): self.oauth.revoke,
        }
        handler = endpoints.get((request.path, request.method))
        if handler is None:
            return json_response({"error": "invalid_request"}, 404)
        return handler(request)

    # /v1

    def api(self, request):
        self.counters.add("requests")
        try:
            response = self.gateway(request)
        except (ApiError, IssueListError) as error:
            response = error.response(request.path)
        except HTTPException as error:
            response = ApiError(error.code, error.description).response(request.path)
        latency = self.injector.latency_ms
        if latency:
            time.sleep(latency / 1000)
        return response

    def gateway(self, request):
        try:
            caller = authenticate(self.store, request.headers.get("Authorization"))
        except ApiError:
            self.counters.add("unauthorized")
            raise
        if not self.limiter.allow(caller.credential):
            self.counters.add("rate_limited")
            headers = {"Retry-After": str(self.settings.retry_after)}
            raise ApiError(
                429, "Rate limit exceeded", headers=headers if self.settings.retry_after else None
            )
        if caller.organization_id in self.payment_required:
            self.counters.add("payment_required")
            raise ApiError(402, "Payment Required: the contract does not include this service")
        adapter = API_RULES.bind_to_environ(request.environ)
        (handler, scope), values = adapter.match()
        if scope is not None:
            require_scope(caller, scope)
        call = Call(
            request,
            caller,
            self.store.organization(caller.organization_id),
            self.store,
            self.counters,
            self.settings,
        )
        scripted = self.failures.take(request.method)
        if scripted is not None:
            return self.scripted_failure(call, handler, values, scripted)
        fault = self.injector.choose() if request.method in WRITE_METHODS else None
        if fault == faults.UNAVAILABLE:
            self.counters.add("fault_503")
            raise ApiError(503, "Service Unavailable")
        response = self.carry_out(call, handler, values)
        if fault == faults.GATEWAY_TIMEOUT:
            self.counters.add("fault_504")
            return json_response({"message": "Endpoint request timed out"}, 504)
        if fault == faults.DROP:
            self.counters.add("dropped")
            _drop(request.environ)
        return response

    def scripted_failure(self, call, handler, values, scripted):
        """The failure a test asked for, after carrying the request out if it said so."""
        self.counters.add(f"scripted_{scripted.status}")
        if scripted.carried_out:
            self.carry_out(call, handler, values)
        body = faults.SCRIPTED[scripted.status][0]
        if body is None:
            raise ApiError(scripted.status, REASONS[scripted.status])
        return json_response(body, scripted.status)

    def carry_out(self, call, handler, values):
        """The handler's answer; errors become answers too, since a 504 hides them."""
        try:
            result = handler(call, **values)
        except (ApiError, IssueListError) as error:
            return error.response(call.request.path)
        body, status = result if isinstance(result, tuple) else (result, 200)
        if status == 204:
            return Response(status=204)
        return json_response(body, status)

    # pages

    def voucher_rows(self):
        organizations = {org["id"]: org["companyName"] for org in self.store.organizations()}
        rows = [_voucher_row(self.store, doc, organizations) for doc in self.store.docs("vouchers")]
        return rows[::-1]

    def serve_voucher(self, voucher_id):
        """The web app's link to one voucher, as connectors put it on their invoices."""
        rows = [row for row in self.voucher_rows() if row["id"] == voucher_id]
        if not rows:
            return Response(web.error_page("Beleg nicht gefunden"), 404, content_type="text/html")
        return Response(web.voucher_page(rows), content_type="text/html")

    def voucher_action(self, request, rest):
        """The voucher page's buttons: pay, pay a part, pay with Skonto, void; then back."""
        voucher_id, _, action = rest.partition("/")
        try:
            if action == "void":
                self.sandbox.void_voucher(voucher_id)
            elif action == "pay":
                amount = _form_amount(request.form.get("amount"))
                discount = _form_amount(request.form.get("discount"))
                if discount:
                    self.sandbox.pay_with_discount(voucher_id, amount, discount)
                else:
                    self.sandbox.pay(voucher_id, amount)
            else:
                return Response(web.error_page("Nicht gefunden"), 404, content_type="text/html")
        except KeyError:
            return Response(web.error_page("Beleg nicht gefunden"), 404, content_type="text/html")
        except ValueError as error:
            return Response(web.error_page(str(error)), 400, content_type="text/html")
        back = request.referrer or "/"
        return Response(status=303, headers={"Location": back})

    def settings_endpoint(self, request):
        """The settings page: the webhook switches, as `/_sandbox/config` sets them too."""
        if request.method == "POST":
            form = request.form
            try:
                self.sandbox.configure(
                    webhook_http_allowed=bool(form.get("webhook_http_allowed")),
                    webhook_retries=int(form.get("webhook_retries", "")),
                    webhook_retry_pause_s=float(form.get("webhook_retry_pause_s", "")),
                    webhook_timeout_s=float(form.get("webhook_timeout_s", "")),
                )
            except ValueError:
                page = web.error_page("Ungültige Einstellung")
                return Response(page, 400, content_type="text/html")
            return Response(status=303, headers={"Location": "/settings"})
        page = web.settings_page(self.settings, self.store.event_subscriptions())
        return Response(page, content_type="text/html")

    def serve_file(self, file_id):
        found = self.store.file(file_id)
        if found is None:
            return Response(web.error_page("Datei nicht gefunden"), 404, content_type="text/html")
        filename, content = found
        return Response(content, content_type=api_files.content_type(filename))


def _voucher_row(store, doc, organizations):
    gross, tax = doc["totalGrossAmount"], doc["totalTaxAmount"]
    return {
        "id": doc["id"],
        "organization": organizations.get(doc["organizationId"], ""),
        "number": doc["voucherNumber"],
        "type": doc["type"],
        "date": doc["voucherDate"],
        "net": gross - tax,
        "tax": tax,
        "gross": gross,
        "contact": api_vouchers.contact_name(store, doc),
        "status": doc["voucherStatus"],
        "open": payments.open_amount(doc),
        "payable": doc["voucherStatus"] in payments.PAYABLE,
        "files": store.file_ids(doc["id"]),
    }


def _form_amount(raw):
    """An amount typed into the page (1234,56 or 1234.56); None when left empty."""
    if raw is None or not raw.strip():
        return None
    try:
        return float(raw.strip().replace(",", "."))
    except ValueError:
        raise ValueError(f"Kein Betrag: {raw}") from None


def _drop(environ):
    sock = environ["werkzeug.socket"]
    sock.shutdown(socket.SHUT_RDWR)
    raise DroppedConnection("dropped by fault injection")
