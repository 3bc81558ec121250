"""The errors the client raises: one family, sorted by what the caller should do next.

Messages are built from the HTTP method, the path, the status and Lexware's issues only.
No error keeps the response or the request, because those carry the Authorization header.
"""

from typing import NamedTuple

# What went wrong, for callers that tell the user in their own words (`LexwareError.kind`).
RATE_LIMITED = "rate_limited"  # 429: too many requests
SERVER_TROUBLE = "server_trouble"  # 5xx
TIMEOUT = "timeout"  # no answer in time
NETWORK = "network"  # no connection, or it broke
REFUSED = "refused"  # 4xx: Lexware said no
UNEXPECTED = "unexpected"  # an answer that makes no sense


class Issue(NamedTuple):
    """One complaint of Lexware's: the field it is about (may be empty) and the reason."""

    field: str
    reason: str

    def __str__(self):
        return f"{self.field}: {self.reason}" if self.field else self.reason


class LexwareError(Exception):
    """Anything Lexware or the way to it answered that is not a success.

    `str()` is an English sentence for logs. `kind` (one of the constants above) and
    `status` (the HTTP status, None when no answer came) let a caller say it in words of
    its own; `kind` follows from the status when not given.
    """

    def __init__(self, message, *, status=None, kind=None):
        super().__init__(message)
        self.status = status
        self.kind = kind or _kind_of_status(status)


def _kind_of_status(status):
    if status is None:
        return NETWORK
    if status == 429:
        return RATE_LIMITED
    if status >= 500:
        return SERVER_TROUBLE
    if status >= 400:
        return REFUSED
    return UNEXPECTED


class LexwareAuthError(LexwareError):
    """The authorization is lost: the customer has to connect again or renew the key."""


class LexwareAccessDenied(LexwareAuthError):
    """Lexware knows the credentials but denies what they ask for: 403, a scope the
    connection lacks, or 402, the contract. A token refresh cures neither; the customer has
    to connect again with every scope, or see to the plan.

    `reason` is Lexware's own word for it (such as "Missing scope vouchers.write"), `issues`
    its complaints, both possibly empty.
    """

    def __init__(self, status, issues=(), reason="", request=""):
        self.issues = list(issues)
        self.reason = reason
        where = f" on {request}" if request else ""
        message = f"Lexware denied access{where} ({status})"
        if reason:
            message += f": {reason}"
        super().__init__(message, status=status)


class LexwarePermanentError(LexwareError):
    """Lexware refused the request; sending it again unchanged would be refused again."""

    def __init__(self, status, issues=()):
        self.issues = list(issues)
        message = f"Lexware refused the request ({status})"
        if self.issues:
            message += ": " + "; ".join(str(issue) for issue in self.issues)
        super().__init__(message, status=status)


class LexwareRetryableError(LexwareError):
    """Not carried out, or a safe call that kept failing: try again later."""

    def __init__(self, message, *, status=None, retry_after=None, kind=None):
        super().__init__(message, status=status, kind=kind)
        self.retry_after = retry_after


class LexwareOutOfTimeError(LexwareRetryableError):
    """The caller's deadline left no time for the request: nothing of it was sent."""

    def __init__(self, message):
        super().__init__(message, kind=TIMEOUT)


class LexwareOutcomeUnknownError(LexwareError):
    """A call that is not safe to repeat may or may not have been carried out.

    Look the record up in Lexware before sending it again.
    """


class LexwareUnexpectedAnswerError(LexwareError):
    """Lexware answered success with a body that is not what its documentation describes."""

    def __init__(self, message):
        super().__init__(f"Unexpected answer from Lexware: {message}", kind=UNEXPECTED)


def parse_issues(body):
    """Lexware's complaints as a list of `Issue`, from either of its two error body shapes."""
    if not isinstance(body, dict):
        return []
    if isinstance(body.get("IssueList"), list):
        return [_legacy_issue(item) for item in body["IssueList"] if isinstance(item, dict)]
    details = body.get("details")
    if isinstance(details, list) and details:
        return [_regular_issue(item) for item in details if isinstance(item, dict)]
    if body.get("message"):
        return [Issue("", str(body["message"]))]
    return []


def denial_reason(body, limit=200):
    """Lexware's reason for a 402 or 403 in one line: its message, else its issues."""
    reason = ""
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        reason = body["message"]
    if not reason.strip():
        reason = "; ".join(str(issue) for issue in parse_issues(body))
    reason = " ".join(reason.split())
    return reason if len(reason) <= limit else reason[: limit - 1] + "…"


def _legacy_issue(item):
    reason = item.get("i18nKey") or item.get("type") or ""
    return Issue(str(item.get("source") or ""), str(reason))


def _regular_issue(item):
    violation, message = item.get("violation"), item.get("message")
    if violation and message and violation != message:
        reason = f"{violation} ({message})"
    else:
        reason = violation or message or ""
    return Issue(str(item.get("field") or ""), str(reason))


# LexwareDataError codes, with the English reason; the params are formatted text (amounts
# as "12.50", rates as "16.5"), ready to be put into a sentence of any language.
DATA_REASONS = {
    # a customer Lexware could not take as a contact
    "company_without_name": "The customer is a company without a name.",
    "no_name": "The customer has no name.",
    # an invoice Lexware would refuse as a voucher
    "no_lines": "The invoice has no lines to book.",
    "total_not_positive": (
        "Lexware accepts only invoices with a positive total; this one totals {total} EUR."
    ),
    "no_category": "A line has no Lexware posting category.",
    "negative_group": (
        "Lexware accepts no negative amounts; the {rate} % group is negative after discounts "
        "({gross} EUR)."
    ),
    "tax_rate": "Lexware accepts tax rates 0, 5, 7, 16 and 19 %; this invoice uses {rate} %.",
    "oss_tax_rate": (
        "Lexware accepts in its OSS categories the VAT rates of the EU member states only; "
        "this invoice uses {rate} %."
    ),
    "tax_at_zero_rate": "The 0 % group carries {tax} EUR tax; Lexware books no tax at 0 %.",
    "lines_zero": "The invoice totals {total} EUR but its lines add up to 0.00 EUR.",
    "total_mismatch": (
        "The invoice totals {total} EUR but its lines add up to {lines_total} EUR; the "
        "difference is more than rounding."
    ),
    "residue_not_positive": "The rounding residue of {residue} EUR leaves no positive item.",
}


class LexwareDataError(ValueError):
    """Data Lexware would refuse, found before any request (a customer without a name, an
    invoice with a tax rate Lexware does not know): `code` (a key of DATA_REASONS) and
    `params` for the caller to say in the user's language, `reason` in English for logs."""

    def __init__(self, code, **params):
        self.code = code
        self.params = {name: str(value) for name, value in params.items()}
        self.reason = DATA_REASONS[code].format(**self.params)
        super().__init__(self.reason)
