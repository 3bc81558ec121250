"""/v1/contacts: create, read, search, update with version check."""

from . import search
from .errors import ApiError, IssueListError
from .requests_json import json_body, stub
from .validation import holds_several_entries, validate_contact


def create(call):
    doc = validate_contact(json_body(call.request), creating=True)
    doc = call.store.insert_doc("contacts", call.caller.organization_id, doc)
    call.counters.add("contacts_created")
    return stub(doc, "contacts")


def read(call, contact_id):
    doc = _find(call, contact_id)
    call.counters.add("contacts_read")
    return doc


def update(call, contact_id):
    """A PUT replaces the whole contact (what the body leaves out is gone), keeps its
    roles' customer numbers and raises the version. A contact holding more entries than
    the API writes (web app edits) is refused: written back, it would lose them."""
    stored = _find(call, contact_id)
    payload = json_body(call.request)
    doc = validate_contact(payload, creating=False)
    if payload["version"] != stored["version"]:
        raise _stale(call, payload["version"])
    if holds_several_entries(stored):
        raise IssueListError([("invalid_value", "contact")])
    for role in doc["roles"]:
        doc["roles"][role] = stored["roles"].get(role, {})
    fixed = {key: stored[key] for key in ("id", "organizationId", "createdDate")}
    saved = call.store.replace_doc("contacts", {**doc, **fixed}, stored["version"])
    if saved is None:
        raise _stale(call, payload["version"])
    call.counters.add("contacts_updated")
    return stub(saved, "contacts")


def _stale(call, version):
    if call.settings.stale_contact_status == 406:
        return IssueListError([("invalid_value", "version")])
    return ApiError(409, "Optimistic locking violation", [("Version", "version", str(version))])


def _find(call, contact_id):
    doc = call.store.get_doc("contacts", contact_id, call.caller.organization_id)
    if doc is None:
        raise ApiError(404, "Contact not found")
    return doc


def find(call):
    args = call.request.args
    page, size = search.paging(args)
    matchers = _matchers(args)
    contacts = [
        doc
        for doc in call.store.docs("contacts", call.caller.organization_id)
        if all(matches(doc) for matches in matchers)
    ]
    return search.spring_page(contacts, page, size, "name")


def _matchers(args):
    matchers = []
    name = args.get("name")
    if name is not None:
        if len(name) < 3:
            raise ApiError(400, "name needs at least 3 characters", [("Size", "name", "min 3")])
        pattern = search.like_pattern(name, substring=True)
        matchers.append(lambda doc: any(pattern.fullmatch(n) for n in _names(doc)))
    email = args.get("email")
    if email is not None:
        pattern = search.like_pattern(email, substring=False)
        matchers.append(lambda doc: any(pattern.fullmatch(e) for e in _emails(doc)))
    number = args.get("number")
    if number is not None:
        matchers.append(lambda doc: number in _numbers(doc))
    for role in ("customer", "vendor"):
        wanted = args.get(role)
        if wanted is not None:
            present = wanted.lower() == "true"
            matchers.append(
                lambda doc, role=role, present=present: (role in doc["roles"]) == present
            )
    return matchers


def _role_matcher(role, present):
    return lambda doc: (role in doc["roles"]) == present


def _names(doc):
    company, person = doc.get("company"), doc.get("person")
    if company:
        names = [company["name"]]
    else:
        first = person.get("firstName") or ""
        names = [person["lastName"], first, f"{first} {person['lastName']}".strip()]
    return [search.escaped(name) for name in names if name]


def _emails(doc):
    groups = doc.get("emailAddresses") or {}
    return [search.escaped(email) for entries in groups.values() for email in entries]


def _numbers(doc):
    return {str(role["number"]) for role in doc["roles"].values() if "number" in role}
