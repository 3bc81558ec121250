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
- `mark_paid(voucher_id)` / `POST /_sandbox/mark-paid {voucherId}` and
  `set_voucher_status(voucher_id, status)` / `POST /_sandbox/voucher-status
  {voucherId, voucherStatus}`: what the web app does; a voucher not `open` refuses PUT.
- `add_organization(name, tax_type, small_business, api_key, e_invoice,
  distance_sales)` / `POST /_sandbox/organizations`; `expire_access_tokens()`,
  `revoke_connection(id)`, `revoke_all()`; `vouchers()`, `contacts()`, `counters()`.
"""

from .server import SandboxServer

__all__ = ["SandboxServer"]
