"""The sandbox's adjustable settings beyond rate limit and faults."""

from dataclasses import dataclass


@dataclass
class Settings:
    client_id: str = "sandbox-client"
    client_secret: str = "sandbox-secret"
    token_ttl: int = 3600
    code_ttl: int = 600
    retry_after: int | None = None
    # The day the sandbox believes it is (yyyy-MM-dd), for the posting-category
    # catalogue; None: the real day in Berlin.
    today: str | None = None
    # Seconds a new contact stays unusable on vouchers (406 on contactId), as
    # Lexware's contacts sometimes are just after creation; 0: usable at once.
    contact_settle_s: float = 0.0
    # Lexware's voucher checks where its documentation is silent. The defaults are the
    # strictest reading: each item's taxAmount within a cent of the exact product
    # (`tax_tolerance="strict"`; "lenient" rounds the product to cents first), and one
    # item per tax rate and category (`repeated_items=False`).
    tax_tolerance: str = "strict"
    repeated_items: bool = False
    # The answer to a contact PUT with a stale version: 409 as documented, or 406 as
    # integrators have seen it.
    stale_contact_status: int = 409
    # Webhooks: Lexware calls https callbacks only; tests and the demo switch http on.
    webhook_http_allowed: bool = False
    # A failed delivery is tried again this many times, after pauses of
    # webhook_retry_pause_s, doubling each time (Lexware's are longer and undocumented).
    webhook_retries: int = 3
    webhook_retry_pause_s: float = 0.5
    # Seconds Lexware waits for a callback's answer.
    webhook_timeout_s: float = 5.0
