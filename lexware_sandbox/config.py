"""The sandbox's adjustable settings beyond rate limit and faults."""

from dataclasses import dataclass


@dataclass
class Settings:
    client_id: str = "sandbox-client"
    client_secret: str = "sandbox-secret"
    token_ttl: int = 3600
    code_ttl: int = 600
    retry_after: int | None = None
