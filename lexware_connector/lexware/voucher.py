"""An invoice, as plain data, turned into the payload of `POST /v1/vouchers`.

Lexware checks every item on its own: the item's `taxAmount` may differ by at most one
cent from `amount * rate / 100` (taxType net) or `amount * rate / (100 + rate)` (taxType
gross). Whether it rounds that product before comparing, and whether a voucher may hold
two items with the same rate and category, is undocumented. We build for the strictest
reading (the exact product, which passes the lenient one too) unless the caller knows
Lexware rounds first (`tolerance="lenient"`), and split a rate only when the caller does
not know that Lexware refuses it (`repeated_items`). The totals must equal the sums over
the items.

Odoo rounds tax per line by default, so an invoice's tax at one rate can miss rate x net
by more than a cent: five lines at 19 % of 2,456.80 net carry 466.78 tax, where 19 % of
the net is 466.792. The rule keeps what the customer was charged, and the tax the
invoice shows wherever Lexware lets it:
1. The invoice comes as its lines, each with the tax Odoo computed for it (the lines'
   taxes add up to the invoice's tax lines; an early payment discount of Odoo's "mixed"
   computation is two lines, a taxed one in its rate and an untaxed one at 0 %). Lines
   with the same rate and category form a group; a group of nothing is dropped.
2. A group whose net and tax pass the check (nothing negative, the tax within the
   tolerance the voucher is built for) is one item.
3. Otherwise, where repeated items are allowed, the group's lines are split into as few
   items as possible whose taxes each pass: every line is added where it brings its
   item's deviation from rate x amount closest to zero. Each item keeps the sum of its
   lines, so the booked tax is the invoice's tax.
4. Where that cannot be (repeated items refused, or no split passes), the group is one
   item whose gross (net + tax, Odoo's value) stays, and whose tax is the one closest
   to the invoice's that passes the check; the net is gross minus that tax.
5. The untaxed cash rounding (Odoo's "add an invoice line") is an item at 0 % in the
   category of the largest group when it adds to the total. When it takes away, or Odoo
   rounded the total apart from its groups by a few cents, the difference goes to the
   largest item, whose tax is kept where the check allows, else moved as in 4.
So the voucher's total gross equals the invoice total to the cent; only the split
between net and tax may move, and `tax_moves` says by how much at which rate.

Input Lexware cannot take raises `LexwareDataError`: a `code` and its `params` for the caller
to say in the user's language, and an English `reason` for logs.
"""

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from .errors import LexwareDataError

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

# Lexware's undocumented tolerance for an item's tax: within a cent of the exact
# amount x rate ("strict"), or of that product rounded to cents ("lenient").
TOLERANCES = ("strict", "lenient")
# Lexware documents no limit for the remark; 255 characters keep it a one-liner in any
# database column while leaving room for an invoice reference and a currency note.
REMARK_LIMIT = 255
# Lexware's voucher types of what Odoo sends: a customer invoice, a customer credit note.
SALES_INVOICE = "salesinvoice"
SALES_CREDIT_NOTE = "salescreditnote"
SALES_VOUCHER_TYPES = (SALES_INVOICE, SALES_CREDIT_NOTE)
# The status of a voucher voided in Lexware: it keeps its number but counts no more.
VOIDED = "voided"
# The largest file Lexware takes on a voucher (`POST /v1/vouchers/{id}/files`): 5 MB.
MAX_FILE_SIZE = 5_242_880


def voucher_permalink(web_url, voucher_id):
    """Where a person sees the voucher in Lexware Office's web app at `web_url`."""
    return f"{web_url.rstrip('/')}/permalink/vouchers/view/{voucher_id}"


def voucher_type(is_credit_note):
    """Lexware's voucher type of a customer invoice, or of a credit note."""
    return SALES_CREDIT_NOTE if is_credit_note else SALES_INVOICE


@dataclass(frozen=True)
class VoucherLine:
    """Net and tax of one invoice line (or of several lines of one tax), in EUR, positive
    for credit notes too; the tax as Odoo rounded it for the line.

    `foreign_rates`: the category is taxed in another EU country (OSS), so that country's
    rate goes in; any other category takes the German rates only."""

    rate_percent: Decimal
    category_id: str
    net: Decimal
    tax: Decimal
    foreign_rates: bool = False


@dataclass(frozen=True)
class InvoiceData:
    """An invoice or credit note as Lexware needs it, amounts in EUR.

    `cash_rounding` is the untaxed cash rounding of the total (Odoo's "add an invoice
    line" strategy), already part of `total_gross`; a rounding Odoo puts on the biggest
    tax is in the lines' taxes instead.
    """

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
    cash_rounding: Decimal = Decimal(0)


@dataclass(frozen=True)
class TaxMove:
    """At `rate` %, the voucher books `booked` tax where the invoice shows `invoiced`."""

    rate: int
    booked: Decimal
    invoiced: Decimal


@dataclass(frozen=True)
class _Rules:
    """How Lexware checks the items: taxType, and its tolerance (see TOLERANCES)."""

    tax_type: str
    tolerance: str


@dataclass(frozen=True)
class _Item:
    rate: int | Decimal
    category_id: str
    net: Decimal
    tax: Decimal

    @property
    def gross(self):
        return self.net + self.tax


def build_voucher(
    invoice: InvoiceData, repeated_items: bool = True, tolerance: str = "strict"
) -> dict:
    """The `POST /v1/vouchers` payload for the invoice; raises LexwareDataError.

    With `repeated_items` False, every rate and category is one item, as Lexware may
    demand; a group whose tax cannot pass as one item then moves its tax (see
    `tax_moves`). `tolerance` "lenient" builds for a Lexware known to round amount x
    rate to cents before comparing; "strict" (the exact product) passes either.
    """
    if tolerance not in TOLERANCES:
        raise ValueError(f"tolerance is one of {', '.join(TOLERANCES)}")
    tax_type = "gross" if invoice.tax_included else "net"
    items = _voucher_items(invoice, _Rules(tax_type, tolerance), repeated_items)
    payload = {
        "type": voucher_type(invoice.is_credit_note),
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


def has_repeated_items(payload: dict) -> bool:
    """Whether the payload holds two items with the same tax rate and category."""
    keys = [(item["taxRatePercent"], item["categoryId"]) for item in payload["voucherItems"]]
    return len(keys) != len(set(keys))


def tax_moves(invoice: InvoiceData, payload: dict) -> tuple[TaxMove, ...]:
    """The rates at which the payload books another tax than the invoice shows."""
    invoiced = defaultdict(Decimal)
    for line in invoice.lines:
        invoiced[_rate(line.rate_percent, line.foreign_rates)] += Decimal(line.tax)
    booked = defaultdict(Decimal)
    for item in payload["voucherItems"]:
        booked[item["taxRatePercent"]] += Decimal(repr(item["taxAmount"]))
    return tuple(
        TaxMove(rate, _cents(booked[rate]), _cents(invoiced[rate]))
        for rate in sorted(set(invoiced) | set(booked), reverse=True)
        if _cents(booked[rate]) != _cents(invoiced[rate])
    )


def _voucher_items(invoice, rules, repeated_items):
    """The items, summing to the invoice total."""
    if not invoice.lines:
        raise LexwareDataError("no_lines")
    total = _cents(invoice.total_gross)
    if total <= 0:
        raise LexwareDataError("total_not_positive", total=total)
    groups = _groups(invoice.lines, _cents(invoice.cash_rounding))
    items = []
    for lines in groups:
        items += _group_items(lines, rules, repeated_items)
    items = [item for item in items if item.net or item.tax]
    return _spread_residue(items, total, rules, _cents(invoice.cash_rounding))


def _groups(lines, cash_rounding):
    """The lines as (rate, category, net, tax) in cents, grouped per rate and category in
    the order they first appear; a rounding that adds to the total joins them at 0 %."""
    groups = {}
    for line in lines:
        if not line.category_id:
            raise LexwareDataError("no_category")
        key = (_rate(line.rate_percent, line.foreign_rates), line.category_id)
        # Summed unrounded: with Odoo's "round globally" a line's tax may come with more
        # decimals, and only the group's sum is rounded, as Odoo does.
        groups.setdefault(key, []).append(
            _Item(key[0], key[1], Decimal(line.net), Decimal(line.tax))
        )
    for (rate, _category), group in groups.items():
        group_sum = _cents_item(_sum(group))
        if rate == 0 and group_sum.tax:
            raise LexwareDataError("tax_at_zero_rate", tax=group_sum.tax)
        if group_sum.gross < 0:
            raise LexwareDataError("negative_group", rate=rate, gross=group_sum.gross)
    if cash_rounding > 0 and groups:
        largest = max(groups.values(), key=lambda group: _sum(group).gross)
        key = (0, largest[0].category_id)
        groups.setdefault(key, []).append(_Item(0, key[1], cash_rounding, Decimal(0)))
    sums = [(group, _cents_item(_sum(group))) for group in groups.values()]
    return [group for group, group_sum in sums if group_sum.net or group_sum.tax]


def _rate(rate_percent, foreign_rates=False):
    """The rate as Lexware takes it (an int when whole, 5.5 stays a Decimal); German rates
    only, unless the category is taxed in another EU country."""
    rate = Decimal(rate_percent)
    whole = rate == rate.to_integral_value()
    if whole and int(rate) in ALLOWED_RATES:
        return int(rate)
    if not foreign_rates:
        raise LexwareDataError("tax_rate", rate=f"{rate.normalize():f}")
    if rate not in EU_RATES:
        raise LexwareDataError("oss_tax_rate", rate=f"{rate.normalize():f}")
    return int(rate) if whole else rate.normalize()


def _sum(lines):
    first = lines[0]
    return _Item(
        first.rate,
        first.category_id,
        sum((line.net for line in lines), Decimal(0)),
        sum((line.tax for line in lines), Decimal(0)),
    )


def _cents_item(item):
    return replace(item, net=_cents(item.net), tax=_cents(item.tax))


def _group_items(lines, rules, repeated_items):
    """One group as items: whole when it passes, else split (when allowed) or settled.

    Only lines in cents are split: a split of unrounded taxes would round them apart.
    """
    whole = _cents_item(_sum(lines))
    if _consistent(whole, rules):
        return [whole]
    in_cents = all(line == _cents_item(line) for line in lines)
    if repeated_items and in_cents:
        split = _split(lines, rules)
        if split:
            return split
    return [_settle(whole, rules)]


# The number of items tried beyond the fewest that could carry a group's deviation.
SPLIT_TRIES = 4


def _split(lines, rules):
    """The fewest items made of whole lines whose taxes each pass, or None."""
    deviation = abs(sum(_deviation(line, rules) for line in lines))
    # An item may carry a cent of deviation (half a cent more where Lexware rounds first).
    carried = CENT if rules.tolerance == "strict" else CENT * Decimal("1.5")
    fewest = max(2, int((deviation / carried).to_integral_value(rounding=ROUND_CEILING)))
    for count in range(fewest, min(len(lines), fewest + SPLIT_TRIES) + 1):
        items = _balanced(lines, count, rules)
        if items and all(_consistent(item, rules) for item in items):
            return items
    return None


def _balanced(lines, count, rules):
    """The lines dealt into `count` items, each line where it brings the item's
    deviation closest to zero; lines that reduce (discounts) go last, to the largest
    item that takes them. Items in the order of their first line."""
    order = sorted(
        range(len(lines)),
        key=lambda n: (lines[n].gross < 0, -abs(_deviation(lines[n], rules)), n),
    )
    bins = [[] for _ in range(count)]
    for n in order:
        line = lines[n]
        deviation = _deviation(line, rules)

        def score(members, line=line, deviation=deviation):
            after = abs(sum(_deviation(lines[m], rules) for m in members) + deviation)
            if line.gross < 0:
                return (after > CENT, -sum(lines[m].gross for m in members))
            return (after, len(members))

        min(bins, key=score).append(n)
    bins = sorted((sorted(members) for members in bins if members), key=lambda ms: ms[0])
    return [_sum([lines[n] for n in members]) for members in bins]


def _deviation(item, rules):
    """How far the item's tax lies from Lexware's exact figure."""
    return item.tax - _exact_tax(item, rules)


def _exact_tax(item, rules):
    """amount x rate (net) or amount x rate / (100 + rate) (gross), unrounded."""
    if rules.tax_type == "net":
        return item.net * item.rate / 100
    return item.gross * item.rate / (100 + item.rate)


def _consistent(item, rules):
    """Lexware's check: no negative figure, the tax within a cent of amount x rate, exact
    (strict) or rounded to cents (lenient)."""
    if item.net < 0 or item.tax < 0:
        return False
    if rules.tolerance == "lenient":
        return abs(item.tax - _round(_exact_tax(item, rules))) <= CENT
    return abs(_deviation(item, rules)) <= CENT


def _settle(item, rules):
    """The item with its gross kept and the tax closest to its own that Lexware accepts."""
    if _consistent(item, rules):
        return item
    gross = item.gross
    around = _round(gross * item.rate / (100 + item.rate))
    candidates = [
        replace(item, net=gross - tax, tax=tax)
        for tax in (around + CENT * step for step in range(-2, 3))
        if 0 <= tax <= gross
    ]
    accepted = [candidate for candidate in candidates if _consistent(candidate, rules)]
    if not accepted:
        raise LexwareDataError("residue_not_positive", residue=gross)
    return min(accepted, key=lambda candidate: (abs(candidate.tax - item.tax), candidate.tax))


def _spread_residue(items, total, rules, cash_rounding):
    """The items with what the total differs from their sum on the largest one: a cash
    rounding that takes away, and the cents Odoo rounded the total apart from its groups."""
    if not items:
        raise LexwareDataError("lines_zero", total=total)
    residue = total - sum(item.gross for item in items)
    if not residue:
        return items
    rounding = min(cash_rounding, Decimal(0))
    # Odoo rounds each group on its own, so its total may differ by a cent per group.
    if abs(residue - rounding) > CENT * max(2, len(items)):
        raise LexwareDataError("total_mismatch", total=total, lines_total=total - residue)
    largest = max(range(len(items)), key=lambda n: items[n].gross)
    item = items[largest]
    if item.gross + residue <= 0:
        raise LexwareDataError("residue_not_positive", residue=residue)
    moved = _settle(replace(item, net=item.net + residue), rules)
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
