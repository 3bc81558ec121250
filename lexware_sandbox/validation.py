"""Lexware's payload rules for contacts and vouchers, answered as IssueLists.

Every rule collects its issue instead of stopping at the first, as Lexware
lists all it finds; rules that need valid input from earlier ones wait for it.
"""

from decimal import ROUND_HALF_UP, Decimal

from . import categories
from .countries import COUNTRY_CODES
from .dates import parse_date
from .errors import IssueListError

CENT = Decimal("0.01")
VOUCHER_KINDS = {
    "salesinvoice": ("income", "customer"),
    "salescreditnote": ("income", "customer"),
    "purchaseinvoice": ("outgo", "vendor"),
    "purchasecreditnote": ("outgo", "vendor"),
}
EMAIL_KINDS = ("business", "office", "private", "other")
PHONE_KINDS = ("business", "office", "mobile", "private", "fax", "other")
ADDRESS_KINDS = ("billing", "shipping")


class Issues(list):
    def add(self, key, source):
        self.append((key, source))

    def raise_any(self):
        if self:
            raise IssueListError(self)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _text(value):
    return isinstance(value, str) and value.strip() != ""


def _amount(holder, field, source, issues, positive=False):
    """The field as a Decimal with at most two decimals, or None after an issue."""
    value = holder.get(field)
    if value is None:
        issues.add("missing_entity", source)
        return None
    amount = Decimal(repr(value)) if _is_number(value) else None
    if amount is None or not amount.is_finite() or amount.as_tuple().exponent < -2:
        issues.add("invalid_value", source)
        return None
    if amount < 0 or (positive and amount == 0):
        issues.add("invalid_value", source)
        return None
    return amount


def _date(payload, field, issues, required):
    if field not in payload or payload[field] is None:
        if required:
            issues.add("missing_entity", field)
        return
    if parse_date(payload[field]) is None:
        issues.add("invalid_value", field)


# vouchers


def validate_voucher(
    payload, find_contact, creating, today=None, tax_tolerance="strict", repeated_items=False
):
    """The voucher fields to store; raises IssueListError with every issue found.

    find_contact(id) answers the organisation's usable contact document or None;
    today (yyyy-MM-dd, None for the real day) picks the category catalogue.
    Where Lexware's documentation is silent, the strictest reading is the default:
    tax_tolerance "strict" compares each item's taxAmount with the exact product
    (amount x rate), "lenient" with the product rounded to cents; repeated_items
    False refuses a second item with the same tax rate and category.
    """
    issues = Issues()
    if creating and "version" in payload:
        issues.add("invalid_value", "version")
    kind = payload.get("type")
    if kind is None:
        issues.add("missing_entity", "type")
    elif kind not in VOUCHER_KINDS:
        issues.add("invalid_value", "type")
    if not _text(payload.get("voucherNumber")):
        issues.add("missing_entity", "voucherNumber")
    _date(payload, "voucherDate", issues, required=True)
    _date(payload, "shippingDate", issues, required=False)
    _date(payload, "dueDate", issues, required=False)
    tax_type = payload.get("taxType")
    if tax_type is None:
        issues.add("missing_entity", "taxType")
    elif tax_type not in ("net", "gross"):
        issues.add("invalid_value", "taxType")
    if payload.get("currency", "EUR") != "EUR":
        issues.add("invalid_value", "currency")
    if payload.get("remark") is not None and not isinstance(payload["remark"], str):
        issues.add("invalid_value", "remark")
    gross = _amount(payload, "totalGrossAmount", "totalGrossAmount", issues, positive=True)
    tax = _amount(payload, "totalTaxAmount", "totalTaxAmount", issues)
    category_type = VOUCHER_KINDS.get(kind, (None,))[0]
    known = categories.by_id(today)
    items = _voucher_items(
        payload.get("voucherItems"), category_type, known, issues, repeated_items
    )
    if items and tax_type in ("net", "gross"):
        _check_item_taxes(items, tax_type, tax_tolerance, issues)
        if gross is not None and tax is not None:
            _check_totals(items, tax_type, gross, tax, issues)
    contact_id = _voucher_contact(payload, kind, items, find_contact, issues)
    issues.raise_any()
    return {
        "type": kind,
        "voucherNumber": payload["voucherNumber"],
        "voucherDate": payload["voucherDate"],
        "shippingDate": payload.get("shippingDate"),
        "dueDate": payload.get("dueDate") or payload["voucherDate"],
        "totalGrossAmount": float(gross),
        "totalTaxAmount": float(tax),
        "taxType": tax_type,
        "useCollectiveContact": contact_id is None,
        "contactId": contact_id,
        "remark": payload.get("remark"),
        "voucherItems": [
            {
                "amount": float(item["amount"]),
                "taxAmount": float(item["taxAmount"]),
                "taxRatePercent": _plain_number(item["rate"]),
                "categoryId": item["category"]["id"],
            }
            for item in items
        ],
    }


def _voucher_items(raw, category_type, known, issues, repeated_items):
    """The items as Decimals with their category, or [] when any item is unusable."""
    if not isinstance(raw, list) or not raw:
        issues.add("missing_entity", "voucherItems")
        return []
    items = [_voucher_item(item, n, category_type, known, issues) for n, item in enumerate(raw)]
    if any(item is None for item in items):
        return []
    _check_item_combinations(items, issues, repeated_items)
    return items


def _voucher_item(item, n, category_type, known, issues):
    source = f"voucherItems[{n}]"
    if not isinstance(item, dict):
        issues.add("invalid_value", source)
        return None
    amount = _amount(item, "amount", f"{source}.amount", issues)
    tax = _amount(item, "taxAmount", f"{source}.taxAmount", issues)
    rate = _tax_rate(item.get("taxRatePercent"), f"{source}.taxRatePercent", issues)
    category = _category(
        item.get("categoryId"), category_type, known, f"{source}.categoryId", issues
    )
    if None in (amount, tax, rate, category):
        return None
    if rate not in categories.ALLOWED_RATES and not category["foreignRates"]:
        # Another EU country's rate: only in the OSS categories taxed over there.
        issues.add("invalid_value", f"{source}.taxRatePercent")
        return None
    return {"n": n, "amount": amount, "taxAmount": tax, "rate": rate, "category": category}


def _tax_rate(value, source, issues):
    """The rate as a Decimal if it is German or another EU member's, else None."""
    if value is None:
        issues.add("missing_entity", source)
        return None
    rate = Decimal(repr(value)) if _is_number(value) else None
    if rate is None or (rate not in categories.ALLOWED_RATES and rate not in categories.EU_RATES):
        issues.add("invalid_value", source)
        return None
    return rate


def _plain_number(rate):
    return int(rate) if rate == rate.to_integral_value() else float(rate)


def _category(value, category_type, known, source, issues):
    if value is None:
        issues.add("missing_entity", source)
        return None
    category = known.get(value) if isinstance(value, str) else None
    if category is None or category["type"] != category_type:
        issues.add("invalid_value", source)
        return None
    return category


def _check_item_combinations(items, issues, repeated_items):
    seen = set()
    rates_by_category = {}
    for item in items:
        source = f"voucherItems[{item['n']}]"
        category = item["category"]
        key = (item["rate"], category["id"])  # "grouped by tax rate": one item per rate
        if key in seen and not repeated_items:
            issues.add("invalid_value", source)
        seen.add(key)
        if category["zeroRateOnly"] and item["rate"] != 0:
            issues.add("invalid_value", f"{source}.taxRatePercent")
        rates = rates_by_category.setdefault(category["id"], set())
        rates.add(item["rate"])
        if not category["splitAllowed"] and len(rates) > 1:
            issues.add("invalid_value", f"{source}.taxRatePercent")


def exact_tax(amount, rate, tax_type):
    """amount x rate (net) or amount x rate / (100 + rate) (gross), unrounded."""
    divisor = Decimal(100) if tax_type == "net" else Decimal(100 + rate)
    return amount * rate / divisor


def expected_tax(amount, rate, tax_type):
    return exact_tax(amount, rate, tax_type).quantize(CENT, rounding=ROUND_HALF_UP)


def _check_item_taxes(items, tax_type, tolerance, issues):
    """Each item's taxAmount within a cent of its own amount x rate: the exact product
    (strict), or the product rounded to cents (lenient)."""
    figure = exact_tax if tolerance == "strict" else expected_tax
    for item in items:
        expected = figure(item["amount"], item["rate"], tax_type)
        if abs(item["taxAmount"] - expected) > CENT:
            issues.add("invalid_taxamount", f"voucherItems[{item['n']}].taxAmount")


def _check_totals(items, tax_type, gross, tax, issues):
    tax_sum = sum(item["taxAmount"] for item in items)
    if tax_type == "net":
        gross_sum = sum(item["amount"] + item["taxAmount"] for item in items)
    else:
        gross_sum = sum(item["amount"] for item in items)
    if tax != tax_sum:
        issues.add("invalid_taxamount", "totalTaxAmount")
    if gross != gross_sum:
        issues.add("invalid_total_amount", "totalGrossAmount")


def _voucher_contact(payload, kind, items, find_contact, issues):
    """The contact id to store; None for the collective contact."""
    collective = payload.get("useCollectiveContact", False)
    if not isinstance(collective, bool):
        issues.add("invalid_value", "useCollectiveContact")
        return None
    if collective:
        if any(item["category"]["contactRequired"] for item in items):
            issues.add("collective_customer_not_applicable", "useCollectiveContact")
        return None
    contact_id = payload.get("contactId")
    if contact_id is None:
        issues.add("missing_entity", "contactId")
        return None
    role = VOUCHER_KINDS.get(kind, (None, "customer"))[1]
    contact = find_contact(contact_id) if isinstance(contact_id, str) else None
    if contact is None or role not in contact.get("roles", {}):
        issues.add("invalid_value", "contactId")
    return contact_id


# contacts


def validate_contact(payload, creating):
    """The contact fields to store; raises IssueListError with every issue found."""
    issues = Issues()
    version = payload.get("version")
    if version is None:
        issues.add("missing_entity", "version")
    elif not isinstance(version, int) or isinstance(version, bool) or (creating and version):
        issues.add("invalid_value", "version")
    roles = _contact_roles(payload.get("roles"), issues)
    company, person = payload.get("company"), payload.get("person")
    if company is None and person is None:
        issues.add("missing_entity", "company")
    elif company is not None and person is not None:
        issues.add("invalid_value", "person")
    elif company is not None:
        _check_company(company, issues)
    else:
        _check_person(person, issues)
    _check_addresses(payload.get("addresses"), issues)
    _check_kinds(payload.get("emailAddresses"), "emailAddresses", EMAIL_KINDS, issues)
    _check_kinds(payload.get("phoneNumbers"), "phoneNumbers", PHONE_KINDS, issues)
    if payload.get("note") is not None and not isinstance(payload["note"], str):
        issues.add("invalid_value", "note")
    issues.raise_any()
    doc = {"roles": roles, "version": version, "archived": False}
    for field in ("company", "person", "addresses", "emailAddresses", "phoneNumbers", "note"):
        if payload.get(field) is not None:
            doc[field] = payload[field]
    return doc


def _contact_roles(roles, issues):
    if not isinstance(roles, dict) or not isinstance(roles.get("customer"), dict):
        issues.add("missing_entity", "roles.customer")
        return {}
    if set(roles) - {"customer", "vendor"} or not isinstance(roles.get("vendor", {}), dict):
        issues.add("invalid_value", "roles")
    return {name: {} for name in roles}


def _check_company(company, issues):
    if not isinstance(company, dict):
        issues.add("invalid_value", "company")
        return
    if not _text(company.get("name")):
        issues.add("missing_entity", "company.name")
    for field in ("vatRegistrationId", "taxNumber"):
        if company.get(field) is not None and not isinstance(company[field], str):
            issues.add("invalid_value", f"company.{field}")
    persons = company.get("contactPersons")
    if persons is None:
        return
    if not isinstance(persons, list) or len(persons) > 1:
        issues.add("invalid_value", "company.contactPersons")
    elif persons and not (isinstance(persons[0], dict) and _text(persons[0].get("lastName"))):
        issues.add("missing_entity", "company.contactPersons[0].lastName")


def _check_person(person, issues):
    if not isinstance(person, dict):
        issues.add("invalid_value", "person")
        return
    if not _text(person.get("lastName")):
        issues.add("missing_entity", "person.lastName")
    for field in ("firstName", "salutation"):
        if person.get(field) is not None and not isinstance(person[field], str):
            issues.add("invalid_value", f"person.{field}")


def _check_addresses(addresses, issues):
    if addresses is None:
        return
    if not isinstance(addresses, dict) or set(addresses) - set(ADDRESS_KINDS):
        issues.add("invalid_value", "addresses")
        return
    for kind, entries in addresses.items():
        source = f"addresses.{kind}"
        if not isinstance(entries, list) or len(entries) > 1:
            issues.add("invalid_value", source)
            continue
        for entry in entries:
            country = entry.get("countryCode") if isinstance(entry, dict) else None
            if country is None:
                issues.add("missing_entity", f"{source}[0].countryCode")
            elif country not in COUNTRY_CODES:
                issues.add("invalid_value", f"{source}[0].countryCode")


def _check_kinds(groups, field, kinds, issues):
    if groups is None:
        return
    if not isinstance(groups, dict) or set(groups) - set(kinds):
        issues.add("invalid_value", field)
        return
    for kind, entries in groups.items():
        if not isinstance(entries, list) or len(entries) > 1:
            issues.add("invalid_value", f"{field}.{kind}")
        elif entries and not _text(entries[0]):
            issues.add("invalid_value", f"{field}.{kind}[0]")


def holds_several_entries(contact):
    """Whether the stored contact has a list with more than one entry (web app edits)."""
    lists = [
        *(contact.get("addresses") or {}).values(),
        *(contact.get("emailAddresses") or {}).values(),
        *(contact.get("phoneNumbers") or {}).values(),
        (contact.get("company") or {}).get("contactPersons") or [],
    ]
    return any(len(entries) > 1 for entries in lists)
