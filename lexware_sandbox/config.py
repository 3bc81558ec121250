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
