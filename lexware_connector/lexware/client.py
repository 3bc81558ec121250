"""LexwareClient: the connector's only door to the Lexware Office API.

Retrying happens here, in our own loop, and not in urllib3's `Retry`: urllib3 retries inside
the connection pool, below the token bucket, so its repeats would skip the bucket and meet
429s. Every attempt of ours takes a token.
"""

import calendar
import datetime
import hashlib
import html
import logging
import random
import time
from urllib.parse import quote

import requests
from urllib3.exceptions import ConnectTimeoutError, InvalidHeader
from urllib3.util.retry import Retry

from .errors import (
    NETWORK,
    TIMEOUT,
    LexwareAccessDenied,
    LexwareAuthError,
    LexwareOutcomeUnknownError,
    LexwareOutOfTimeError,
    LexwarePermanentError,
    LexwareRetryableError,
    LexwareUnexpectedAnswerError,
    denial_reason,
    parse_issues,
)
from .payments import parse_payments
from .ratelimit import DEFAULT_SLACK, shared_bucket
from .subscriptions import EventSubscription, parse_subscription_list
from .voucher import SALES_VOUCHER_TYPES
from .voucherlist import parse_entry, status_param

_logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.lexware.io"
DEFAULT_TIMEOUTS = (5, 30)  # (connect, read) seconds; Lexware's gateway gives up after 30 s
GATEWAY_TIMEOUT = 30  # seconds after which Lexware's gateway answers 504
DEFAULT_MAX_ATTEMPTS = 5
# Seconds one call may spend in pauses between its attempts and in waits for the rate limit.
DEFAULT_MAX_WAIT = 60.0
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
PAGE_SIZE_MAX = 250
SEARCH_WINDOW = 10_000  # entries of one search Lexware pages through at most

# What a GET or PUT repeats. A POST repeats none of them: issue 4 calls a 503 safe to repeat,
# but Lexware's documentation says a POST's outcome is unknown after 500, 502 and 503 as after
# 504, and no idempotency key exists. One lookup by number costs less than a double booking.
_SERVER_TROUBLE = frozenset({500, 502, 503, 504})
_RETRY_AFTER_PARSER = Retry(0)
# 402: the contract or plan; 403: a scope the connection lacks. The customer has to act.
_ACCESS_DENIED = frozenset({402, 403})


class ApiKeyAuth:
    """A customer's API key, sent as a bearer token."""

    can_refresh = False

    def __init__(self, key):
        self._key = key
        self.bucket_key = hashlib.sha256(f"apikey\0{key}".encode()).hexdigest()

    def __repr__(self):
        return "ApiKeyAuth(key=<hidden>)"

    def authorization(self):
        return f"Bearer {self._key}"


class _TryAgain(Exception):
    """One attempt failed in a way that is safe to repeat; `kind` as in `errors`, given
    where the status does not tell it (no answer came)."""

    def __init__(self, reason, *, kind=None, status=None, retry_after=None):
        super().__init__(reason)
        self.reason = reason
        self.kind = kind
        self.status = status
        self.retry_after = retry_after


class _OutOfTime(Exception):
    """No time is left before the deadline for the next attempt."""


class _Unauthorized(Exception):
    def __init__(self, authorization):
        super().__init__("401")
        self.authorization = authorization


class LexwareClient:
    """Typed calls to Lexware Office, kept under the rate limit and honest about outcomes.

    GET and PUT are repeated after 429, 5xx and network trouble: a GET changes nothing and a
    PUT carries a version, so a repeat of one that was carried out is refused as stale (409).
    A POST is repeated only when it was certainly not carried out: after 429, or when the
    connection failed before the request left. Otherwise it raises
    `LexwareOutcomeUnknownError` at once and the caller looks the record up.
    """

    def __init__(
        self,
        base_url,
        auth,
        rate=2.0,
        *,
        timeouts=DEFAULT_TIMEOUTS,
        max_attempts=DEFAULT_MAX_ATTEMPTS,
        max_wait=DEFAULT_MAX_WAIT,
        session=None,
    ):
        self._base_url = base_url.rstrip("/")
        self._auth = auth
        self._timeouts = timeouts
        self._max_attempts = max_attempts
        self._max_wait = max_wait
        self._session = session or _new_session()
        self._deadline = None
        bucket_key = hashlib.sha256(f"{self._base_url}\0{auth.bucket_key}".encode()).hexdigest()
        self._bucket = shared_bucket(bucket_key, rate * DEFAULT_SLACK, burst=1)

    def __repr__(self):
        return f"LexwareClient({self._base_url!r}, auth={self._auth!r})"

    def set_deadline(self, deadline):
        """Make every request end by `deadline` (a `time.monotonic()` value; None: no end).

        An attempt starts only with its connect timeout and a second to spare before the
        deadline, and its read timeout is shortened to end by it; pauses and waits for the
        rate limit that would leave no such room are not taken. A request that has no time
        for its first attempt raises `LexwareOutOfTimeError` (nothing was sent); one that
        runs out of time after failed attempts gives up as after its last attempt.
        """
        self._deadline = deadline

    @property
    def deadline(self):
        """The `time.monotonic()` value every request ends by, None for none."""
        return self._deadline

    # -- typed calls ----------------------------------------------------------------------

    def get_profile(self):
        return self._request("GET", "/v1/profile")

    def get_posting_categories(self):
        return self._request("GET", "/v1/posting-categories")

    def find_contacts(self, email=None, name=None, number=None):
        """Customers matching all given criteria; `name` and `email` match as Lexware does."""
        params = {"customer": "true"}
        if email is not None:
            params["email"] = _search_string(_escape_wildcards(email))
        if name is not None:
            params["name"] = _search_string(_escape_wildcards(name))
        if number is not None:
            params["number"] = str(number)
        return list(self._walk_pages("/v1/contacts", params, PAGE_SIZE_MAX))

    def get_contact(self, contact_id):
        return self._request("GET", f"/v1/contacts/{_segment(contact_id)}")

    def create_contact(self, payload):
        return self._request("POST", "/v1/contacts", json=payload)

    def update_contact(self, contact_id, payload):
        """PUT the whole contact; `payload` carries the `version` it was read at. A stale
        version answers 409 (documented) or 406 (seen): read it again first."""
        return self._request("PUT", f"/v1/contacts/{_segment(contact_id)}", json=payload)

    def create_voucher(self, payload):
        return self._request("POST", "/v1/vouchers", json=payload)

    def get_voucher(self, voucher_id):
        return self._request("GET", f"/v1/vouchers/{_segment(voucher_id)}")

    def update_voucher(self, voucher_id, payload):
        return self._request("PUT", f"/v1/vouchers/{_segment(voucher_id)}", json=payload)

    def upload_voucher_file(self, voucher_id, filename, content, content_type="application/pdf"):
        return self._request(
            "POST",
            f"/v1/vouchers/{_segment(voucher_id)}/files",
            files={"file": (filename, content, content_type)},
        )

    def find_vouchers_by_number(self, number, voucher_types=SALES_VOUCHER_TYPES):
        """Vouchers whose number is exactly `number`, in any status."""
        params = {
            "voucherType": ",".join(voucher_types),
            "voucherStatus": "any",
            "voucherNumber": _search_string(number),
        }
        found = self._walk_pages("/v1/voucherlist", params, PAGE_SIZE_MAX)
        return [voucher for voucher in found if voucher.get("voucherNumber") == number]

    def iter_voucherlist(
        self, voucher_types, date_from, date_to, status="any", page_size=PAGE_SIZE_MAX
    ):
        """Every voucher of the period, walked month by month.

        Lexware answers at most SEARCH_WINDOW entries of one search; a month that holds
        more is walked in halves.
        """
        if isinstance(voucher_types, str):
            voucher_types = (voucher_types,)
        params = {"voucherType": ",".join(voucher_types), "voucherStatus": status_param(status)}
        for first, last in _months(_as_date(date_from), _as_date(date_to)):
            yield from self._walk_period(params, first, last, page_size)

    def iter_voucher_entries(
        self, voucher_types, date_from, date_to, status="any", page_size=PAGE_SIZE_MAX
    ):
        """`iter_voucherlist` as `VoucherListEntry` objects: status and open amount each."""
        for entry in self.iter_voucherlist(voucher_types, date_from, date_to, status, page_size):
            yield parse_entry(entry)

    def voucherlist_page(
        self, voucher_types, date_from, date_to, page, status="any", page_size=PAGE_SIZE_MAX
    ):
        """One page of one search of the voucherlist from `date_from` to `date_to`, as
        Lexware answers it (`content`, `totalElements`, `totalPages`, `last`).

        For callers that walk a long period in steps of their own and remember the page;
        one search reaches at most SEARCH_WINDOW entries (see `iter_voucherlist`).
        """
        if isinstance(voucher_types, str):
            voucher_types = (voucher_types,)
        params = {
            "voucherType": ",".join(voucher_types),
            "voucherStatus": status_param(status),
            "voucherDateFrom": _as_date(date_from).isoformat(),
            "voucherDateTo": _as_date(date_to).isoformat(),
            "page": page,
            "size": page_size,
        }
        return self._request("GET", "/v1/voucherlist", params=params)

    def get_payments(self, voucher_id):
        return self._request("GET", f"/v1/payments/{_segment(voucher_id)}")

    def payments(self, voucher_id):
        """What was paid on the voucher, as `Payments`.

        A voucher not yet booked has no payment information: Lexware answers 404 then, as
        for an unknown voucher, and this raises `LexwarePermanentError` (status 404).
        """
        return parse_payments(self.get_payments(voucher_id))

    # -- event subscriptions --------------------------------------------------------------

    def create_event_subscription(self, event_type, callback_url):
        """Subscribe `callback_url` to `event_type`; answers the `EventSubscription`.

        Subscribing is idempotent: Lexware refuses a pair it holds already (409), and then
        the existing subscription is answered instead of an error, so that connecting again,
        or trying again after an unknown outcome, ends with one subscription.
        """
        payload = {"eventType": event_type, "callbackUrl": callback_url}
        try:
            stub = self._request("POST", "/v1/event-subscriptions", json=payload)
        except LexwarePermanentError as error:
            if error.status != 409:
                raise
            for existing in self.list_event_subscriptions():
                if (existing.event_type, existing.callback_url) == (event_type, callback_url):
                    return existing
            raise
        if not isinstance(stub, dict) or not stub.get("id"):
            raise LexwareUnexpectedAnswerError("a new event subscription without an id")
        return EventSubscription(
            id=str(stub["id"]),
            event_type=event_type,
            callback_url=callback_url,
            created_date=stub.get("createdDate"),
        )

    def list_event_subscriptions(self):
        """Every event subscription of the organisation, as `EventSubscription` objects."""
        return parse_subscription_list(self._request("GET", "/v1/event-subscriptions"))

    def delete_event_subscription(self, subscription_id):
        """Remove a subscription; False when Lexware knows it no more (404), as after a
        callback answered 404 and Lexware dropped it."""
        try:
            self._request("DELETE", f"/v1/event-subscriptions/{_segment(subscription_id)}")
        except LexwarePermanentError as error:
            if error.status == 404:
                return False
            raise
        return True

    # -- the machinery --------------------------------------------------------------------

    def _walk_period(self, params, first, last, page_size):
        params = {**params, "voucherDateFrom": first.isoformat(), "voucherDateTo": last.isoformat()}
        answer = self._request(
            "GET", "/v1/voucherlist", params={**params, "page": 0, "size": page_size}
        )
        if answer.get("totalElements", 0) > SEARCH_WINDOW and first < last:
            middle = first + (last - first) // 2
            yield from self._walk_period(params, first, middle, page_size)
            yield from self._walk_period(
                params, middle + datetime.timedelta(days=1), last, page_size
            )
            return
        yield from self._walk_pages("/v1/voucherlist", params, page_size, answer)

    def _walk_pages(self, path, params, page_size, answer=None):
        """The entries of every page; `answer` is page 0 when already asked."""
        page = 0
        while True:
            if answer is None:
                answer = self._request(
                    "GET", path, params={**params, "page": page, "size": page_size}
                )
            yield from answer.get("content", [])
            if answer.get("last", True) or page + 1 >= answer.get("totalPages", 0):
                return
            page += 1
            answer = None

    def _request(self, method, path, *, params=None, json=None, files=None):
        attempt, waited, refreshed, last = 0, 0.0, False, None
        while True:
            attempt += 1
            try:
                waited += self._wait_for_token(waited)
                return self._attempt(method, path, attempt, params=params, json=json, files=files)
            except _OutOfTime:
                if last is None:
                    raise LexwareOutOfTimeError(
                        f"Lexware {method} {path}: no time left before the deadline"
                    ) from None
                raise self._given_up(method, path, last, attempt - 1) from None
            except _Unauthorized as unauthorized:
                if refreshed or not self._auth.can_refresh:
                    raise LexwareAuthError(
                        f"Lexware refused the credentials on {method} {path} (401)", status=401
                    ) from None
                if self._time_left() < sum(self._timeouts) + 1:
                    raise LexwareOutOfTimeError(
                        f"Lexware {method} {path}: no time left to renew the access token"
                    ) from None
                self._auth.refresh_after_401(unauthorized.authorization)
                refreshed = True
            except _TryAgain as again:
                last = again
                waited += self._pause_or_give_up(method, path, again, attempt, waited)

    def _time_left(self):
        if self._deadline is None:
            return float("inf")
        return self._deadline - time.monotonic()

    def _wait_for_token(self, waited):
        """Wait for the rate limit within the call's wait budget and the deadline; answer
        the seconds waited. Counted with the pauses, so that the last attempt of a call
        leaves at most `max_attempts` connect timeouts plus `max_wait` after it began."""
        room = min(self._max_wait - waited, self._time_left() - self._timeouts[0] - 1)
        wait = self._bucket.acquire(max_wait=max(room, 0.0))
        if wait is None:
            raise _OutOfTime()
        return wait

    def _attempt_timeouts(self):
        """The (connect, read) timeouts of an attempt starting now, shortened to end by the
        deadline; _OutOfTime when not even the connect timeout fits."""
        connect, read = self._timeouts
        left = self._time_left()
        if left < connect + 1:
            raise _OutOfTime()
        return connect, min(read, left - connect)

    def _given_up(self, method, path, again, attempts):
        return LexwareRetryableError(
            f"Lexware {method} {path}: {again.reason}, gave up after {attempts} attempts",
            status=again.status,
            retry_after=again.retry_after,
            kind=again.kind,
        )

    def _pause_or_give_up(self, method, path, again, attempt, waited):
        """Sleep before the next attempt and answer how long; raise when the budget is spent."""
        delay = _backoff(attempt, again.retry_after)
        if (
            attempt >= self._max_attempts
            or waited + delay > self._max_wait
            or delay + self._timeouts[0] + 1 > self._time_left()
        ):
            raise self._given_up(method, path, again, attempt)
        _logger.info(
            "Lexware %s %s: %s; attempt %d/%d, retrying in %.2f s",
            method,
            path,
            again.reason,
            attempt,
            self._max_attempts,
            delay,
        )
        if again.retry_after is not None:
            # The limit is per credential: every thread drawing from the bucket holds back.
            self._bucket.defer(again.retry_after)
        time.sleep(delay)
        return delay

    def _attempt(self, method, path, attempt, **send):
        timeouts = self._attempt_timeouts()
        authorization = self._auth.authorization()
        try:
            response = self._session.request(
                method,
                self._base_url + path,
                headers={"Authorization": authorization},
                timeout=timeouts,
                **send,
            )
        except requests.RequestException as exc:
            raise _network_failure(method, path, exc) from None
        _logger.debug(
            "Lexware %s %s -> %s (attempt %d)", method, path, response.status_code, attempt
        )
        status = response.status_code
        if status < 300:
            return _json_or_none(response)
        if status == 401:
            raise _Unauthorized(authorization)
        if status in _ACCESS_DENIED:
            # Not the token's fault: a refresh grants no scope and no contract.
            body = _json_or_none(response)
            raise LexwareAccessDenied(
                status, parse_issues(body), denial_reason(body), request=f"{method} {path}"
            )
        if status == 429:
            raise _TryAgain("rate limited (429)", status=429, retry_after=_retry_after(response))
        if status >= 500 and method == "POST":
            raise LexwareOutcomeUnknownError(
                f"Lexware {method} {path} answered {status}; it may have been carried out",
                status=status,
            )
        if status in _SERVER_TROUBLE:
            raise _TryAgain(f"server trouble ({status})", status=status)
        raise LexwarePermanentError(status, parse_issues(_json_or_none(response)))


def _new_session():
    session = requests.Session()
    session.headers["Accept"] = "application/json"
    return session


def _network_failure(method, path, exc):
    """Sort a network failure: safe to repeat, or (for a POST that left) of unknown outcome."""
    name = type(exc).__name__
    # A connect timeout never reached Lexware: to the user it is "not reachable".
    timed_out = isinstance(exc, requests.Timeout) and not isinstance(exc, requests.ConnectTimeout)
    kind = TIMEOUT if timed_out else NETWORK
    if _never_sent(exc) or method != "POST":
        return _TryAgain(f"network failure ({name})", kind=kind)
    return LexwareOutcomeUnknownError(
        f"Lexware {method} {path} failed after sending ({name}); it may have been carried out",
        kind=kind,
    )


def _never_sent(exc):
    """Whether the connection failed before any byte of the request left."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    # requests wraps a refused connection as ConnectionError(MaxRetryError(NewConnectionError)),
    # and NewConnectionError is a ConnectTimeoutError in urllib3 1.26.
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, ConnectTimeoutError)


def _retry_after(response):
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return float(_RETRY_AFTER_PARSER.parse_retry_after(value))
    except (InvalidHeader, OverflowError):  # an unreadable hint is no hint
        return None


def _backoff(attempt, retry_after):
    """Exponential backoff with full jitter; never shorter than the server's Retry-After."""
    jitter = random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1)))
    return max(jitter, retry_after or 0.0)


def _json_or_none(response):
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _search_string(value):
    """Lexware wants search strings HTML-escaped; requests URL-encodes them afterwards."""
    return html.escape(str(value), quote=False)


def _escape_wildcards(value):
    """`_` and `%` are wildcards in contact searches; user data means them literally."""
    return str(value).replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")


def _segment(identifier):
    return quote(str(identifier), safe="")


def _as_date(value):
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def _months(first, last):
    """Split [first, last] into (start, end) pairs that never cross a month's end."""
    while first <= last:
        month_end = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        yield first, min(month_end, last)
        first = month_end + datetime.timedelta(days=1)
