"""The Lexware Office API in plain Python; imports no odoo."""

from .client import ApiKeyAuth, LexwareClient
from .errors import (
    Issue,
    LexwareAccessDenied,
    LexwareAuthError,
    LexwareError,
    LexwareOutcomeUnknownError,
    LexwareOutOfTimeError,
    LexwarePermanentError,
    LexwareRetryableError,
)
from .oauth import SCOPES, OAuthApp, OAuthTokens, OAuthTokenSource, make_pkce_pair
from .ratelimit import TokenBucket, shared_bucket

__all__ = [
    "SCOPES",
    "ApiKeyAuth",
    "Issue",
    "LexwareAccessDenied",
    "LexwareAuthError",
    "LexwareClient",
    "LexwareError",
    "LexwareOutcomeUnknownError",
    "LexwareOutOfTimeError",
    "LexwarePermanentError",
    "LexwareRetryableError",
    "OAuthApp",
    "OAuthTokenSource",
    "OAuthTokens",
    "TokenBucket",
    "make_pkce_pair",
    "shared_bucket",
]
