"""What Lexware says was paid on a voucher (`GET /v1/payments/{id}`), as plain data.

Lexware documents the answer's fields but not every payment item type. Known types are
mapped to what they mean for the books (a payment, a cash discount, a credit note set off);
the raw type is always kept, and an unknown one counts as a payment, since money that
arrived is what Lexware mostly books.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .errors import LexwareUnexpectedAnswerError

PAYMENT = "payment"
CASH_DISCOUNT = "cash_discount"
CREDIT_NOTE = "credit_note"

ITEM_KINDS = {
    "manualPayment": PAYMENT,
    "cashDiscount": CASH_DISCOUNT,
    "creditNote": CREDIT_NOTE,
}

CENT = Decimal("0.01")


@dataclass(frozen=True)
class PaymentItem:
    kind: str  # PAYMENT, CASH_DISCOUNT or CREDIT_NOTE
    raw_type: str  # Lexware's paymentItemType, as it came
    posting_date: datetime.date
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Payments:
    open_amount: Decimal
    currency: str
    voucher_type: str
    voucher_status: str
    payment_status: str  # balanced, openRevenue or openExpense: not the voucher status
    paid_date: datetime.date | None
    items: tuple[PaymentItem, ...]

    @property
    def balanced(self):
        return self.payment_status == "balanced"


def parse_payments(body):
    """The `Payments` of Lexware's answer; `LexwareUnexpectedAnswerError` when it is not one."""
    if not isinstance(body, dict):
        raise LexwareUnexpectedAnswerError("the payments answer is not an object")
    raw_items = body.get("paymentItems") or []
    if not isinstance(raw_items, list):
        raise LexwareUnexpectedAnswerError("paymentItems is not a list")
    paid_date = body.get("paidDate")
    return Payments(
        open_amount=money(body.get("openAmount"), "openAmount"),
        currency=str(body.get("currency") or "EUR"),
        voucher_type=_text(body, "voucherType"),
        voucher_status=_text(body, "voucherStatus"),
        payment_status=_text(body, "paymentStatus"),
        paid_date=lexware_date(paid_date, "paidDate") if paid_date else None,
        items=tuple(_item(item, n) for n, item in enumerate(raw_items)),
    )


def _item(item, n):
    where = f"paymentItems[{n}]"
    if not isinstance(item, dict):
        raise LexwareUnexpectedAnswerError(f"{where} is not an object")
    raw_type = _text(item, "paymentItemType", where)
    return PaymentItem(
        kind=ITEM_KINDS.get(raw_type, PAYMENT),
        raw_type=raw_type,
        posting_date=lexware_date(item.get("postingDate"), f"{where}.postingDate"),
        amount=money(item.get("amount"), f"{where}.amount"),
        currency=str(item.get("currency") or "EUR"),
    )


def _text(body, field, where=""):
    value = body.get(field)
    if not isinstance(value, str) or not value:
        name = f"{where}.{field}" if where else field
        raise LexwareUnexpectedAnswerError(f"{name} is missing")
    return value


def money(value, field):
    """An amount of Lexware's as a Decimal in cents."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise LexwareUnexpectedAnswerError(f"{field} is not an amount: {value!r}")
    try:
        return Decimal(str(value)).quantize(CENT)
    except InvalidOperation:
        raise LexwareUnexpectedAnswerError(f"{field} is not an amount: {value!r}") from None


def lexware_date(value, field):
    """The day of one of Lexware's dates: RFC 3339 at midnight in Berlin, whose date part
    is the day meant (never convert it to UTC), or a plain yyyy-MM-dd."""
    try:
        return datetime.date.fromisoformat(value[:10])
    except (TypeError, ValueError):
        raise LexwareUnexpectedAnswerError(f"{field} is not a date: {value!r}") from None
