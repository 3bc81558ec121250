"""An invoice, as plain data, turned into the payload of `POST /v1/vouchers`.

Lexware books one item per tax rate and category, and checks every item on its own:
the item's `taxAmount` may differ by at most one cent from `amount * rate / 100`
(taxType net) or `amount * rate / (100 + rate)` (taxType gross), and the totals must
equal the sums over the items. Odoo rounds tax per line by default, so a tax group
built from Odoo's lines can miss Lexware's per-column figure by far more than a cent:
50 lines of 0.33 net at 19 % carry 0.06 tax each, 3.00 in all, where Lexware expects
16.50 * 19 % = 3.14.

The rule that settles this keeps what the customer was charged:
1. Lines with the same rate and category are summed (discounts and negative lines fold
   into their group); a group of nothing (0 net, 0 tax) is dropped.
2. A group whose tax Odoo computed within a cent of Lexware's figure, nothing negative,
   keeps it.
   Otherwise its gross (net + tax, Odoo's value) stays and the tax is computed from it,
   `round(gross * rate / (100 + rate))`, the net being gross minus that tax. Such a pair
   passes Lexware's check in both tax types.
3. When the groups' gross sum misses the invoice total by a few cents (Odoo rounded the
   total differently from its groups), the difference goes to the largest item, which
   is settled again as in 2.
So the voucher's total gross equals the invoice total to the cent, and only the split
between net and tax may move, by the residue Odoo's per-line rounding left.

Input Lexware cannot take raises `VoucherError`: a `code` and its `params` for the caller
to say in the user's language, and an English `reason` for logs.
"""

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ALLOWED_RATES = (0, 5, 7, 16, 19)
# The EU member states' standard and reduced VAT rates (2025/2026, the latest changes in
# EE, FI, RO and SK included): Lexware takes them in the OSS categories taxed in the
# customer's country, and only there.
EU_RATES = frozenset(
    Decimal(rate)
    for rate in (
        *("3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "16", "17"),
        *("18", "19", "20", "21", "22", "23", "24", "25", "27"),
        *("2.1", "4.8", "5.5", "9.5", "13.5", "25.5"),
    )
)
# Lexware documents no limit for the remark; 255 characters keep it a one-liner in any
# database column while leaving room for an invoice reference and a currency note.
REMARK_LIMIT = 255


# VoucherError codes, with the English reason; the params are formatted text (amounts as
# "12.50", rates as "16.5"), ready to be put into a sentence of any language.
REASONS = {
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


class VoucherError(ValueError):
    """An invoice Lexware would refuse: `code` (a key of REASONS) and `params` say why,
    `reason` in one English sentence."""

    def __init__(self, code, **params):
        self.code = code
        self.params = {name: str(value) for name, value in params.items()}
        self.reason = REASONS[code].format(**self.params)
        super().__init__(self.reason)


@dataclass(frozen=True)
class VoucherLine:
    """Net and tax of one tax rate and category, in EUR, positive for credit notes too.

    `foreign_rates`: the category is taxed in another EU country (OSS), so that country's
    rate goes in; any other category takes the German rates only."""

    rate_percent: Decimal
    category_id: str
    net: Decimal
    tax: Decimal
    foreign_rates: bool = False


@dataclass(frozen=True)
class InvoiceData:
    """An invoice or credit note as Lexware needs it, amounts in EUR."""

    number: str
    is_credit_note: bool
    invoice_date: date
    due_date: date | None
    delivery_date: date | None
    tax_included: bool
    lines: tuple[VoucherLine, ...]
    total_gross: Decimal
    contact_id: str | None
    remark: str


@dataclass(frozen=True)
class _Item:
    rate: int | Decimal
    category_id: str
    net: Decimal
    tax: Decimal

    @property
    def gross(self):
        return self.net + self.tax


def build_voucher(invoice: InvoiceData) -> dict:
    """The `POST /v1/vouchers` payload for the invoice; raises VoucherError."""
    tax_type = "gross" if invoice.tax_included else "net"
    items = _voucher_items(invoice, tax_type)
    payload = {
        "type": "salescreditnote" if invoice.is_credit_note else "salesinvoice",
        "voucherNumber": invoice.number,
        "voucherDate": invoice.invoice_date.isoformat(),
    }
    if invoice.delivery_date:
        payload["shippingDate"] = invoice.delivery_date.isoformat()
    payload["dueDate"] = (invoice.due_date or invoice.invoice_date).isoformat()
    payload["totalGrossAmount"] = _number(sum(item.gross for item in items))
    payload["totalTaxAmount"] = _number(sum(item.tax for item in items))
    payload["taxType"] = tax_type
    payload.update(_contact(invoice.contact_id))
    remark = _remark(invoice.remark)
    if remark:
        payload["remark"] = remark
    payload["voucherItems"] = [_item_payload(item, tax_type) for item in items]
    return payload


def _voucher_items(invoice, tax_type):
    """The settled items: one per rate and category, summing to the invoice total."""
    if not invoice.lines:
        raise VoucherError("no_lines")
    total = _cents(invoice.total_gross)
    if total <= 0:
        raise VoucherError("total_not_positive", total=total)
    items = [_settle(item, tax_type) for item in _groups(invoice.lines)]
    items = [item for item in items if item.net or item.tax]
    return _spread_residue(items, total, tax_type)


def _groups(lines):
    """Lines summed per (rate, category), in the order they first appear."""
    sums = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for line in lines:
        if not line.category_id:
            raise VoucherError("no_category")
        key = (_rate(line.rate_percent, line.foreign_rates), line.category_id)
        # Summed unrounded: with Odoo's "round globally" a line's tax has more than two
        # decimals, and only the group's sum is rounded, as Odoo does.
        sums[key][0] += Decimal(line.net)
        sums[key][1] += Decimal(line.tax)
    groups = [
        _Item(rate, category, _cents(net), _cents(tax))
        for (rate, category), (net, tax) in sums.items()
    ]
    for group in groups:
        if group.gross < 0:
            raise VoucherError("negative_group", rate=group.rate, gross=group.gross)
    return groups


def _rate(rate_percent, foreign_rates=False):
    """The rate as Lexware takes it (an int when whole, 5.5 stays a Decimal); German rates
    only, unless the category is taxed in another EU country."""
    rate = Decimal(rate_percent)
    whole = rate == rate.to_integral_value()
    if whole and int(rate) in ALLOWED_RATES:
        return int(rate)
    if not foreign_rates:
        raise VoucherError("tax_rate", rate=f"{rate.normalize():f}")
    if rate not in EU_RATES:
        raise VoucherError("oss_tax_rate", rate=f"{rate.normalize():f}")
    return int(rate) if whole else rate.normalize()


def _settle(item, tax_type):
    """The item with a tax Lexware accepts, its gross unchanged."""
    if item.rate == 0 and item.tax:
        raise VoucherError("tax_at_zero_rate", tax=item.tax)
    if _consistent(item, tax_type):
        return item
    tax = _round(item.gross * item.rate / (100 + item.rate))
    return replace(item, net=item.gross - tax, tax=tax)


def _consistent(item, tax_type):
    """Lexware's check: no negative figure, the tax within a cent of amount times rate."""
    if item.net < 0 or item.tax < 0:
        return False
    return abs(item.tax - _expected_tax(item, tax_type)) <= CENT


def _expected_tax(item, tax_type):
    """The tax Lexware computes for an item of the given taxType."""
    if tax_type == "net":
        return _round(item.net * item.rate / 100)
    return _round(item.gross * item.rate / (100 + item.rate))


def _spread_residue(items, total, tax_type):
    """The items with the invoice total's rounding residue on the largest one."""
    if not items:
        raise VoucherError("lines_zero", total=total)
    residue = total - sum(item.gross for item in items)
    if not residue:
        return items
    # Odoo rounds each group on its own, so its total may differ by a cent per group.
    if abs(residue) > CENT * max(2, len(items)):
        raise VoucherError("total_mismatch", total=total, lines_total=total - residue)
    largest = max(range(len(items)), key=lambda n: items[n].gross)
    item = items[largest]
    moved = _settle(replace(item, net=item.net + residue), tax_type)
    if moved.gross <= 0:
        raise VoucherError("residue_not_positive", residue=residue)
    return [*items[:largest], moved, *items[largest + 1 :]]


def _item_payload(item, tax_type):
    return {
        "amount": _number(item.net if tax_type == "net" else item.gross),
        "taxAmount": _number(item.tax),
        "taxRatePercent": item.rate if isinstance(item.rate, int) else float(item.rate),
        "categoryId": item.category_id,
    }


def _contact(contact_id):
    if contact_id is None:
        return {"useCollectiveContact": True}
    return {"useCollectiveContact": False, "contactId": contact_id}


def _remark(remark):
    remark = (remark or "").strip()
    if len(remark) <= REMARK_LIMIT:
        return remark
    return remark[: REMARK_LIMIT - 1].rstrip() + "…"


def _cents(amount):
    return _round(Decimal(amount))


def _round(amount):
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _number(amount):
    """A JSON number with at most two decimals (float's repr is the shortest that
    round-trips, so 19.50 goes out as 19.5 and never as 19.499999)."""
    return float(_round(amount))
