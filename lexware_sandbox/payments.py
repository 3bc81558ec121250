"""What was paid on a voucher: its payment items, its open amount, and GET /v1/payments.

Payment items live on the stored voucher (`paymentItems`); GET /v1/vouchers never shows
them. Amounts are counted in cents so that partial payments add up exactly.

Where Lexware's documentation is silent, the sandbox takes the strict reading:
- only an `open` voucher (or one under SEPA direct debit) takes payments, and never more
  than is open;
- a cash discount (Skonto) settles the voucher: with it, payment and discount together
  must be exactly what is open, and the voucher is `paidoff`;
- only an open voucher can be voided; it keeps the items paid so far, owes nothing more
  and takes no further payment;
- item amounts are positive for invoices and credit notes alike, as `openAmount` is;
- a payment taken back (the bookkeeper undoes its bank match) goes with the cash discount
  of its posting date, and a settled voucher is open again.
"""

from .dates import berlin_midnight, now_berlin, parse_date
from .errors import IssueListError

MANUAL_PAYMENT = "manualPayment"
CASH_DISCOUNT = "cashDiscount"
# A credit note set off against the voucher. Lexware's own name for it is undocumented.
CREDIT_NOTE = "creditNote"
ITEM_TYPES = (MANUAL_PAYMENT, CASH_DISCOUNT, CREDIT_NOTE)
PAYABLE = ("open", "sepadebit")
SETTLED = ("paid", "paidoff")
# Voucher types whose open amount is money to come in; the others' is money to go out.
REVENUE_TYPES = ("salesinvoice", "purchasecreditnote", "invoice", "downpaymentinvoice")


class PaymentRefused(ValueError):
    """A payment or void the web app would not allow for this voucher."""


def items(doc):
    return doc.get("paymentItems") or []


def _cents(value):
    return round(value * 100)


def open_amount(doc):
    status = doc["voucherStatus"]
    if status == "voided" or (status in SETTLED and not items(doc)):
        # A voucher set paid without items (a control, or a database from before items)
        # owes nothing either.
        return 0.0
    paid = sum(_cents(item["amount"]) for item in items(doc))
    return (_cents(doc["totalGrossAmount"]) - paid) / 100


def settle(doc, amount=None, discount=0.0, date=None, item_type=MANUAL_PAYMENT):
    """The changed fields after paying `amount` (None: all that is open, less the discount)
    and granting a cash discount of `discount`, posted on `date` (yyyy-MM-dd; today)."""
    if doc["voucherStatus"] not in PAYABLE:
        raise PaymentRefused(f"a voucher in status {doc['voucherStatus']} takes no payment")
    if item_type not in ITEM_TYPES or item_type == CASH_DISCOUNT:
        raise PaymentRefused(f"unknown payment item type {item_type}")
    open_cents = _cents(open_amount(doc))
    discount_cents = _cents(discount or 0)
    paid_cents = open_cents - discount_cents if amount is None else _cents(amount)
    if paid_cents < 0 or discount_cents < 0 or paid_cents + discount_cents == 0:
        raise PaymentRefused("the amounts must be positive")
    if paid_cents + discount_cents > open_cents:
        raise PaymentRefused(f"only {open_cents / 100:.2f} is open")
    if discount_cents and paid_cents + discount_cents != open_cents:
        raise PaymentRefused("a cash discount settles what is left open")
    posted = _posting_date(date)
    new_items = list(items(doc))
    if paid_cents:
        new_items.append(_item(item_type, posted, paid_cents))
    if discount_cents:
        new_items.append(_item(CASH_DISCOUNT, posted, discount_cents))
    if paid_cents + discount_cents < open_cents:
        return {"paymentItems": new_items}
    discounted = any(item["paymentItemType"] == CASH_DISCOUNT for item in new_items)
    return {
        "paymentItems": new_items,
        "voucherStatus": "paidoff" if discounted else "paid",
        "paidDate": posted,
    }


def void(doc):
    if doc["voucherStatus"] not in PAYABLE:
        raise PaymentRefused(f"a voucher in status {doc['voucherStatus']} cannot be voided")
    return {"voucherStatus": "voided", "paidDate": None}


def take_back(doc, index=None):
    """The changed fields after the bookkeeper undoes the match of payment item `index`
    (None: the last one that is not a cash discount). A cash discount is granted with the
    payment of its day, so it goes with it; what is left open is owed again."""
    if doc["voucherStatus"] not in PAYABLE + SETTLED:
        raise PaymentRefused(f"a voucher in status {doc['voucherStatus']} keeps its payments")
    current = items(doc)
    if index is None:
        payments_made = [
            n for n, item in enumerate(current) if item["paymentItemType"] != CASH_DISCOUNT
        ]
        index = (payments_made or [len(current) - 1])[-1]
    if not 0 <= index < len(current):
        raise PaymentRefused(f"the voucher has no payment item {index}")
    taken = current[index]
    with_it = taken["paymentItemType"] != CASH_DISCOUNT
    kept = [
        item
        for n, item in enumerate(current)
        if n != index
        and not (
            with_it
            and item["paymentItemType"] == CASH_DISCOUNT
            and item["postingDate"] == taken["postingDate"]
        )
    ]
    if doc["voucherStatus"] not in SETTLED:
        return {"paymentItems": kept}
    return {"paymentItems": kept, "voucherStatus": "open", "paidDate": None}


def _posting_date(date):
    if date is None:
        return berlin_midnight(now_berlin()[:10])
    if parse_date(date) is None:
        raise PaymentRefused("the date must be yyyy-MM-dd")
    return berlin_midnight(date)


def _item(item_type, posted, cents):
    return {
        "paymentItemType": item_type,
        "postingDate": posted,
        "amount": cents / 100,
        "currency": "EUR",
    }


def answer(doc):
    """GET /v1/payments/{id}.

    A voucher not yet booked (`unchecked`, from a scan) has no payment information.
    Lexware's documentation names the case but not its answer; the sandbox answers the
    strictest plausible one, 404 in the legacy IssueList shape, so that a client tells it
    apart from success and treats it as "nothing known", like an unknown voucher's 404.
    """
    if doc["voucherStatus"] == "unchecked":
        raise IssueListError([("no_payment_information", "voucherId")], status=404)
    left = open_amount(doc)
    if left == 0:
        payment_status = "balanced"
    elif doc["type"] in REVENUE_TYPES:
        payment_status = "openRevenue"
    else:
        payment_status = "openExpense"
    body = {
        "openAmount": left,
        "currency": "EUR",
        "paymentStatus": payment_status,
        "voucherType": doc["type"],
        "voucherStatus": doc["voucherStatus"],
        "paymentItems": [dict(item) for item in items(doc)],
    }
    if doc["voucherStatus"] in SETTLED:
        body["paidDate"] = doc.get("paidDate") or doc["updatedDate"]
    return body
