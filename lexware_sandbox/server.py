"""SandboxServer: the sandbox in a background thread, and its test controls."""

import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from . import payments, webhooks
from .app import SandboxApp
from .config import Settings
from .counters import Counters
from .dates import now_berlin
from .faults import FaultInjector
from .oauth import OAuthEndpoints
from .ratelimit import RateLimiter
from .store import Store

DEFAULT_ORGANIZATION = "Muster Handwerk GmbH"
TAX_TYPES = ("net", "gross", "vatfree")
DISTANCE_SALES = ("ORIGIN", "DESTINATION")
TAX_TOLERANCES = ("strict", "lenient")
VOUCHER_STATUSES = ("open", "paid", "paidoff", "voided", "transferred", "sepadebit", "unchecked")


class QuietHandler(WSGIRequestHandler):
    """No access log: soak runs would drown in it."""

    def log_request(self, *args, **kwargs):
        pass


class SandboxServer:
    def __init__(
        self,
        port=0,
        db=":memory:",
        rate=2.0,
        burst=2,
        fault_rate=0.0,
        latency_ms=0,
        drop_rate=0.0,
        api_keys=("sandbox-api-key",),
        client_id="sandbox-client",
        client_secret="sandbox-secret",
        token_ttl=3600,
        code_ttl=600,
        seed=None,
        host="127.0.0.1",
        retry_after=None,
    ):
        self.host = host
        self._requested_port = port
        self._server = None
        self._thread = None
        self._counters = Counters()
        self.store = Store(db)
        self.settings = Settings(client_id, client_secret, token_ttl, code_ttl, retry_after)
        self.limiter = RateLimiter(rate, burst)
        self.injector = FaultInjector(fault_rate, drop_rate, latency_ms, seed)
        if not self.store.organizations():
            self.store.add_organization(DEFAULT_ORGANIZATION, "net", False, False)
        default_org = self.store.organizations()[0]["id"]
        for key in api_keys:
            self.store.register_api_key(key, default_org)
        self.webhooks = webhooks.Dispatcher(self.store, self.settings)
        self.app = SandboxApp(
            self.store,
            self.limiter,
            self.injector,
            self._counters,
            self.settings,
            OAuthEndpoints(self.store, self.settings, self._token_revoked),
        )
        self.app.sandbox = self

    # lifecycle

    def start(self):
        self._server = make_server(
            self.host,
            self._requested_port,
            self.app,
            threaded=True,
            request_handler=QuietHandler,
        )
        # A short poll keeps stop() quick: tests start and stop a sandbox each.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="lexware-sandbox",
            daemon=True,
        )
        self._thread.start()
        # The signing key is made once per process; in the background, so that starting
        # stays quick and the first delivery seldom waits for it.
        threading.Thread(
            target=webhooks.private_key, name="lexware-sandbox-key", daemon=True
        ).start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = None
        self.webhooks.stop()
        self.store.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def port(self):
        return self._server.server_port

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    # controls

    def configure(self, **options):
        limiter_keys = {"rate", "burst"}
        fault_keys = {"fault_rate", "drop_rate", "latency_ms", "seed"}
        settings_keys = {
            "retry_after",
            "token_ttl",
            "code_ttl",
            "today",
            "contact_settle_s",
            "tax_tolerance",
            "repeated_items",
            "stale_contact_status",
            "webhook_http_allowed",
            "webhook_retries",
            "webhook_retry_pause_s",
            "webhook_timeout_s",
        }
        unknown = set(options) - limiter_keys - fault_keys - settings_keys
        if unknown:
            raise TypeError(f"unknown sandbox options: {', '.join(sorted(unknown))}")
        self.limiter.configure(**{k: v for k, v in options.items() if k in limiter_keys})
        self.injector.configure(**{k: v for k, v in options.items() if k in fault_keys})
        if options.get("tax_tolerance", "strict") not in TAX_TOLERANCES:
            raise ValueError(f"tax_tolerance is one of {', '.join(TAX_TOLERANCES)}")
        if options.get("stale_contact_status", 409) not in (406, 409):
            raise ValueError("stale_contact_status is 406 or 409")
        if (
            options.get("webhook_retries", 0) < 0
            or options.get("webhook_retry_pause_s", 0) < 0
            or options.get("webhook_timeout_s", 1) <= 0
        ):
            raise ValueError("webhook retries and pauses are never negative, timeouts positive")
        for key in settings_keys & set(options):
            setattr(self.settings, key, options[key])

    def counters(self):
        return self._counters.snapshot()

    def vouchers(self, number=None):
        """Vouchers as stored: dates stay yyyy-MM-dd, files are ids."""
        return [
            {**doc, "files": self.store.file_ids(doc["id"])}
            for doc in self.store.docs("vouchers")
            if number is None or doc["voucherNumber"] == number
        ]

    def contacts(self):
        return self.store.docs("contacts")

    def add_organization(
        self,
        company_name,
        tax_type="net",
        small_business=False,
        api_key=None,
        e_invoice=False,
        distance_sales="ORIGIN",
    ):
        if tax_type not in TAX_TYPES:
            raise ValueError(f"taxType must be one of {', '.join(TAX_TYPES)}")
        if distance_sales not in DISTANCE_SALES:
            raise ValueError(f"distanceSalesPrinciple must be one of {', '.join(DISTANCE_SALES)}")
        org_id = self.store.add_organization(
            company_name, tax_type, small_business, e_invoice, distance_sales
        )
        if api_key:
            self.store.register_api_key(api_key, org_id)
        return org_id

    def default_organization(self):
        return self.store.organizations()[0]["id"]

    def set_payment_required(self, organization_id=None, required=True):
        """Makes every /v1 call of the organisation (default: the first) answer 402,
        as Lexware does when the contract does not cover the API; or ends that."""
        organization_id = organization_id or self.default_organization()
        if required:
            self.app.payment_required.add(organization_id)
        else:
            self.app.payment_required.discard(organization_id)

    def fail_next(self, status, times=1, carried_out=None, method=None):
        """The next `times` /v1 requests (of `method`, if given) answer `status`.

        500 (Lexware's documented body), 502, 503 and 504. Whether the request was
        carried out first defaults to how Lexware's gateway behaves: only a 504 was.
        Requests refused before (401, 429, 402, 403) do not use a scripted failure.
        """
        self.app.failures.add(status, times=times, carried_out=carried_out, method=method)

    def expire_access_tokens(self):
        self.store.expire_access_tokens()

    def revoke_connection(self, connection_id):
        organization_id = self.store.revoke_connection(connection_id)
        if organization_id is not None:
            self._token_revoked(connection_id, organization_id)

    def revoke_all(self):
        for connection_id, organization_id in self.store.revoke_all():
            self._token_revoked(connection_id, organization_id)

    def _token_revoked(self, connection_id, organization_id):
        self.webhooks.emit(organization_id, webhooks.TOKEN_REVOKED, connection_id)

    # payments, as the web app's bank reconciliation books them

    def pay(self, voucher_id, amount=None, date=None, item_type=payments.MANUAL_PAYMENT):
        """Books a payment of `amount` (None: all that is open) on `date` (yyyy-MM-dd; today).

        A part leaves the voucher open with less to pay; the rest makes it `paid`. Raises
        `PaymentRefused` (a ValueError) for what the web app would not allow, KeyError for an
        unknown voucher. `item_type` `creditNote` sets a credit note off against it.
        """
        self._change_voucher(
            voucher_id, lambda doc: payments.settle(doc, amount, date=date, item_type=item_type)
        )

    def pay_with_discount(self, voucher_id, amount, discount, date=None):
        """Settles the voucher with a payment of `amount` and a cash discount (Skonto) of
        `discount`, which together must be what is open: the voucher is then `paidoff`."""
        self._change_voucher(
            voucher_id, lambda doc: payments.settle(doc, amount, discount=discount, date=date)
        )

    def void_voucher(self, voucher_id):
        """Voids an open voucher: it owes nothing more and takes no further payment."""
        self._change_voucher(voucher_id, payments.void)

    def take_back_payment(self, voucher_id, index=None):
        """Undoes the match of payment item `index` (None: the last payment), as the
        bookkeeper does in the web app: the item goes, with the cash discount of its day,
        and a paid voucher is open again with what is owed."""
        self._change_voucher(voucher_id, lambda doc: payments.take_back(doc, index))

    def mark_paid(self, voucher_id):
        self.pay(voucher_id)

    def set_voucher_status(self, voucher_id, status):
        """What the web app does to a voucher: `voided`, `transferred` (locked for the
        tax advisor), `open` again, … A voucher that is not open refuses PUT. `paid` and
        `paidoff` set this way carry no payment items and owe nothing."""
        if status not in VOUCHER_STATUSES:
            raise ValueError(f"unknown voucher status {status}")
        paid_date = now_berlin() if status in ("paid", "paidoff") else None
        self._change_voucher(
            voucher_id, lambda doc: {"voucherStatus": status, "paidDate": paid_date}
        )

    def _change_voucher(self, voucher_id, change):
        """Saves the change and tells the subscribers what changed, after the save."""
        before, after = self.store.change_voucher(voucher_id, change)
        organization_id = after["organizationId"]
        if payments.items(before) != payments.items(after) or payments.open_amount(
            before
        ) != payments.open_amount(after):
            self.webhooks.emit(organization_id, webhooks.PAYMENT_CHANGED, voucher_id)
        if before["voucherStatus"] != after["voucherStatus"]:
            self.webhooks.emit(organization_id, webhooks.VOUCHER_STATUS_CHANGED, voucher_id)

    # webhooks

    def webhook_public_key(self):
        """The PEM of the key the sandbox signs its deliveries with."""
        return webhooks.public_key_pem()

    def webhook_deliveries(self):
        """Every delivery attempt so far, oldest first: subscription, callback, attempt,
        HTTP status (None when no answer came), error, raw body and signature."""
        return self.webhooks.log()

    def wait_for_deliveries(self, timeout=30.0):
        """Wait until no delivery is under way or waiting for a retry; True when so."""
        return self.webhooks.wait_idle(timeout)

    def event_subscriptions(self):
        return self.store.event_subscriptions()

    def edit_contact_in_web_app(self, contact_id, **fields):
        """Changes a contact as the web app may: lists with several entries included (two
        billing addresses, several contact persons), which the API then refuses to write.
        The version goes up, as after any save; KeyError for an unknown contact."""
        doc = self.store.get_doc("contacts", contact_id)
        if doc is None:
            raise KeyError(contact_id)
        return self.store.replace_doc("contacts", {**doc, **fields}, doc["version"])
