"""The voucherlist's status filter and its entries, as plain data.

`voucherStatus` takes a comma list of statuses, or `any`; `overdue` (open and past due)
only alone: Lexware refuses it in a list, so the client refuses it before asking.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from .errors import LexwareUnexpectedAnswerError
from .payments import lexware_date, money

STATUSES = ("open", "paid", "paidoff", "voided", "transferred", "sepadebit")
OVERDUE = "overdue"
ANY = "any"


def status_param(status):
    """The voucherStatus query value for a status, a comma list or an iterable of them."""
    values = status.split(",") if isinstance(status, str) else list(status)
    values = [value.strip() for value in values if value.strip()]
    if not values:
        raise ValueError("voucherStatus needs at least one status")
    if OVERDUE in values and len(values) > 1:
        raise ValueError("voucherStatus overdue cannot be combined with other statuses")
    return ",".join(values)


@dataclass(frozen=True)
class VoucherListEntry:
    id: str
    voucher_type: str
    voucher_status: str
    voucher_number: str
    voucher_date: datetime.date
    total_amount: Decimal
    # None when Lexware leaves it out of the entry.
    open_amount: Decimal | None


def parse_entry(entry):
    """A `VoucherListEntry` of one entry of a voucherlist page."""
    if not isinstance(entry, dict) or not entry.get("id"):
        raise LexwareUnexpectedAnswerError("a voucherlist entry without an id")
    open_amount = entry.get("openAmount")
    return VoucherListEntry(
        id=str(entry["id"]),
        voucher_type=str(entry.get("voucherType") or ""),
        voucher_status=str(entry.get("voucherStatus") or ""),
        voucher_number=str(entry.get("voucherNumber") or ""),
        voucher_date=lexware_date(entry.get("voucherDate"), "voucherDate"),
        total_amount=money(entry.get("totalAmount"), "totalAmount"),
        open_amount=None if open_amount is None else money(open_amount, "openAmount"),
    )
