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
    LexwareUnexpectedAnswerError,
)
from .oauth import SCOPES, OAuthApp, OAuthTokens, OAuthTokenSource, make_pkce_pair
from .payments import PaymentItem, Payments
from .ratelimit import TokenBucket, shared_bucket
from .subscriptions import EventSubscription
from .voucherlist import VoucherListEntry

__all__ = [
    "SCOPES",
    "ApiKeyAuth",
    "EventSubscription",
    "Issue",
    "LexwareAccessDenied",
    "LexwareAuthError",
    "LexwareClient",
    "LexwareError",
    "LexwareOutcomeUnknownError",
    "LexwareOutOfTimeError",
    "LexwarePermanentError",
    "LexwareRetryableError",
    "LexwareUnexpectedAnswerError",
    "OAuthApp",
    "OAuthTokenSource",
    "OAuthTokens",
    "PaymentItem",
    "Payments",
    "TokenBucket",
    "VoucherListEntry",
    "make_pkce_pair",
    "shared_bucket",
]
