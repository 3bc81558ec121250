"""A stateful emulator of the Lexware Office public API, for tests and the demo.

Test controls, in Python on a `SandboxServer` and over HTTP under `/_sandbox/`
(never rate-limited or fault-injected):

- `configure(...)` / `POST /_sandbox/config`: `rate`, `burst`, `fault_rate`,
  `drop_rate`, `latency_ms`, `retry_after`, `token_ttl`; `today` (yyyy-MM-dd, the
  day the posting-category catalogue is taken from: the Kleinunternehmer id changed
  on 2026-04-28); `contact_settle_s` (a new contact answers 406 on `contactId` for
  that many seconds, as Lexware's sometimes do just after creation; default 0).
- `set_payment_required(organization_id=None, required=True)` /
  `POST /_sandbox/payment-required {organizationId?, required?}`: every /v1 call of
  that organisation (default: the first) answers 402, a contract problem, until
  it is switched off again.
- `fail_next(status, times=1, carried_out=None, method=None)` /
  `POST /_sandbox/fail-next {status, times?, carriedOut?, method?}`: the next
  requests answer 500 (Lexware's documented "Internal server error or rate limit
  exceeded"), 502, 503 or 504. Only the 504 was carried out unless told otherwise.
- `pay(voucher_id, amount=None, date=None, item_type="manualPayment")`,
  `pay_with_discount(voucher_id, amount, discount, date=None)` and `void_voucher(voucher_id)`
  / `POST /_sandbox/pay {voucherId, amount?, discount?, date?, paymentItemType?}` and
  `POST /_sandbox/void {voucherId}`: the web app's bank reconciliation. A part payment
  leaves the voucher open with less to pay, the rest makes it `paid`, a cash discount
  (Skonto) settles it as `paidoff`; a voided voucher owes nothing. Refused ones answer 400.
  The voucher page at `/` has the same as buttons.
- `take_back_payment(voucher_id, index=None)` / `POST /_sandbox/take-back {voucherId,
  index?}`: the bookkeeper undoes a bank match: payment item `index` (default: the last
  payment) goes, with the cash discount of its day; a paid voucher is `open` again.
- `mark_paid(voucher_id)` / `POST /_sandbox/mark-paid {voucherId}` (pays in full) and
  `set_voucher_status(voucher_id, status)` / `POST /_sandbox/voucher-status
  {voucherId, voucherStatus}`: what the web app does; a voucher not `open` refuses PUT.
- Webhooks: each change of payments or status, and each revoked connection, is POSTed to
  the organisation's matching event subscriptions in the background, signed
  (`X-Lxo-Signature`). `webhook_public_key()` / `GET /_sandbox/webhook-public-key` (PEM);
  `webhook_deliveries()` / `GET /_sandbox/webhook-deliveries?wait=seconds` (every attempt);
  `wait_for_deliveries()`; `event_subscriptions()` / `GET /_sandbox/event-subscriptions`.
  Settings: `webhook_http_allowed` (default off: https callbacks only),
  `webhook_retries` (3), `webhook_retry_pause_s` (0.5, doubling), `webhook_timeout_s` (5),
  through `configure(...)`, `POST /_sandbox/config`, or the settings page at `/settings`.
- `add_organization(name, tax_type, small_business, api_key, e_invoice,
  distance_sales)` / `POST /_sandbox/organizations`; `expire_access_tokens()`,
  `revoke_connection(id)`, `revoke_all()`; `vouchers()`, `contacts()`, `counters()`.
"""

from .server import SandboxServer

__all__ = ["SandboxServer"]
