"""/v1/vouchers, /v1/voucherlist and /v1/payments."""

import time
from datetime import datetime

from . import search
from .dates import berlin_midnight, now_berlin, parse_date
from .errors import ApiError, IssueListError
from .payments import answer as payment_answer
from .payments import open_amount
from .requests_json import json_body, stub
from .validation import validate_voucher

VOUCHER_TYPES = {
    "salesinvoice",
    "salescreditnote",
    "purchaseinvoice",
    "purchasecreditnote",
    "invoice",
    "creditnote",
    "orderconfirmation",
    "quotation",
    "downpaymentinvoice",
    "deliverynote",
}
VOUCHER_STATUSES = {
    "open",
    "paid",
    "paidoff",
    "voided",
    "transferred",
    "sepadebit",
    "unchecked",
    "draft",
    "accepted",
    "rejected",
}
# Not a stored status: open and past its due date. Lexware takes it only alone.
OVERDUE = "overdue"
COLLECTIVE_CONTACT_NAME = "Sammelkunde"


def create(call):
    payload = json_body(call.request)
    doc = validate_voucher(payload, _contact_finder(call), creating=True, **_rules(call))
    doc.update(voucherStatus="open", paidDate=None)
    doc = call.store.insert_doc("vouchers", call.caller.organization_id, doc)
    call.counters.add("vouchers_created")
    return stub(doc, "vouchers")


def read(call, voucher_id):
    return public_voucher(call.store, _find(call, voucher_id))


def update(call, voucher_id):
    stored = _find(call, voucher_id)
    payload = json_body(call.request)
    version = payload.pop("version", None)
    if not isinstance(version, int) or isinstance(version, bool):
        raise IssueListError([("missing_entity", "version")])
    if version != stored["version"]:
        raise ApiError(409, "Optimistic locking violation", [("Version", "version", str(version))])
    if stored["voucherStatus"] != "open":
        raise IssueListError([("invalid_value", "voucherStatus")])
    doc = validate_voucher(payload, _contact_finder(call), creating=False, **_rules(call))
    keep = ("id", "organizationId", "createdDate", "voucherStatus", "paidDate", "paymentItems")
    saved = call.store.replace_doc("vouchers", {**doc, **{k: stored.get(k) for k in keep}}, version)
    if saved is None:
        raise ApiError(409, "Optimistic locking violation")
    call.counters.add("vouchers_updated")
    return stub(saved, "vouchers")


def _rules(call):
    """The sandbox's settings that decide what validate_voucher accepts."""
    settings = call.settings
    return {
        "today": settings.today,
        "tax_tolerance": settings.tax_tolerance,
        "repeated_items": settings.repeated_items,
    }


def _contact_finder(call):
    """The organisation's contact by id, None while it is unknown or still settling."""
    settle = call.settings.contact_settle_s

    def find(contact_id):
        contact = call.store.get_doc("contacts", contact_id, call.caller.organization_id)
        if contact is None or not settle:
            return contact
        age = time.time() - datetime.fromisoformat(contact["createdDate"]).timestamp()
        return contact if age >= settle else None

    return find


def _find(call, voucher_id):
    doc = call.store.get_doc("vouchers", voucher_id, call.caller.organization_id)
    if doc is None:
        raise ApiError(404, "Voucher not found")
    return doc


def public_voucher(store, doc):
    """The voucher as GET answers it: dates at Berlin midnight, with its files."""
    hidden = ("paidDate", "paymentItems")
    shown = {key: value for key, value in doc.items() if key not in hidden}
    for field in ("voucherDate", "shippingDate", "dueDate"):
        if shown.get(field):
            shown[field] = berlin_midnight(shown[field])
    shown["files"] = store.file_ids(doc["id"])
    return shown


def find_by_number(call):
    """The deprecated GET /v1/vouchers?voucherNumber=: a page of whole vouchers."""
    args = call.request.args
    number = args.get("voucherNumber")
    if not number:
        raise ApiError(
            400, "Required parameter voucherNumber is missing", [("NotNull", "voucherNumber", "")]
        )
    page, size = search.paging(args)
    found = [
        public_voucher(call.store, doc)
        for doc in call.store.docs("vouchers", call.caller.organization_id)
        if search.escaped(doc["voucherNumber"]) == number
    ]
    return search.spring_page(found, page, size, "voucherDate")


def voucherlist(call):
    args = call.request.args
    types = _choice_list(args, "voucherType", VOUCHER_TYPES)
    wanted_status = _status_filter(args)
    page, size = search.paging(args)
    date_from = _date_arg(args, "voucherDateFrom")
    date_to = _date_arg(args, "voucherDateTo")
    number = args.get("voucherNumber")
    vouchers = [
        doc
        for doc in call.store.docs("vouchers", call.caller.organization_id)
        if (types is None or doc["type"] in types)
        and wanted_status(doc)
        and (number is None or search.escaped(doc["voucherNumber"]) == number)
        and (date_from is None or doc["voucherDate"] >= date_from)
        and (date_to is None or doc["voucherDate"] <= date_to)
    ]
    vouchers.sort(key=lambda doc: (doc["voucherDate"], doc["createdDate"]))
    entries = [_list_entry(call.store, doc) for doc in vouchers]
    return search.spring_page(entries, page, size, "voucherDate")


def _choice_list(args, name, allowed):
    """The set of values asked for, or None for `any`; 400 when missing or unknown."""
    raw = args.get(name)
    if not raw:
        raise ApiError(400, f"Required parameter {name} is missing", [("NotNull", name, "")])
    values = {value.strip() for value in raw.split(",")}
    if "any" in values:
        return None
    unknown = values - allowed
    if unknown:
        raise ApiError(400, f"Invalid {name}", [("Enum", name, ",".join(sorted(unknown)))])
    return values


def _status_filter(args):
    """A test of a voucher for the voucherStatus asked for: a comma list, `any`, or
    `overdue` alone (open and due before today in Berlin); 400 for `overdue` in a list."""
    raw = args.get("voucherStatus") or ""
    values = {value.strip() for value in raw.split(",")}
    if OVERDUE in values:
        if len(values) > 1:
            raise ApiError(
                400,
                "voucherStatus overdue cannot be combined with other values",
                [("Enum", "voucherStatus", raw)],
            )
        today = now_berlin()[:10]
        return lambda doc: doc["voucherStatus"] == "open" and doc["dueDate"] < today
    statuses = _choice_list(args, "voucherStatus", VOUCHER_STATUSES)
    return lambda doc: statuses is None or doc["voucherStatus"] in statuses


def _date_arg(args, name):
    raw = args.get(name)
    if raw is None:
        return None
    if parse_date(raw) is None:
        raise ApiError(400, f"Invalid {name}", [("Pattern", name, "yyyy-MM-dd")])
    return raw


def _list_entry(store, doc):
    return {
        "id": doc["id"],
        "voucherType": doc["type"],
        "voucherStatus": doc["voucherStatus"],
        "voucherNumber": doc["voucherNumber"],
        "voucherDate": berlin_midnight(doc["voucherDate"]),
        "dueDate": berlin_midnight(doc["dueDate"]),
        "contactId": doc["contactId"],
        "contactName": contact_name(store, doc),
        "totalAmount": doc["totalGrossAmount"],
        "openAmount": open_amount(doc),
        "currency": "EUR",
        "archived": False,
        "createdDate": doc["createdDate"],
        "updatedDate": doc["updatedDate"],
    }


def contact_name(store, doc):
    if doc["contactId"] is None:
        # An unchecked voucher from a scan has no contact at all yet.
        return COLLECTIVE_CONTACT_NAME if doc["useCollectiveContact"] else ""
    contact = store.get_doc("contacts", doc["contactId"]) or {}
    if contact.get("company"):
        return contact["company"]["name"]
    person = contact.get("person") or {}
    return " ".join(filter(None, [person.get("firstName"), person.get("lastName")]))


def payments(call, voucher_id):
    return payment_answer(_find(call, voucher_id))
