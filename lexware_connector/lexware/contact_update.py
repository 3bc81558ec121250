"""Keeping a customer's contact in Lexware current: what of a contact the connector owns,
a fingerprint of it, and Odoo's data merged into what Lexware holds.

A `PUT /v1/contacts/{id}` replaces the whole contact, so its body is the contact as Lexware
answered it with only the connector's fields changed: the name, the billing address, the
VAT id, the business email and the business phone. Everything else (other address kinds,
other emails and phones, contact persons, the note, the customer number, the salutation,
the roles) goes back as it was read.

An empty field in Odoo leaves Lexware's value: Odoo often simply does not keep what a
bookkeeper typed into Lexware, and what a PUT erased could not be got back. The address is
the one unit: when the street, zip, city or country Odoo knows differ from Lexware's, Odoo's
address replaces the billing address whole, since a supplement or zip of the old address
would be wrong at the new one.
"""

import copy
import hashlib
import json

# The parts of a `build_contact` payload the connector writes.
OWNED = ("company", "person", "addresses", "emailAddresses", "phoneNumbers")
ADDRESS_PARTS = ("street", "zip", "city", "countryCode")

# What a change touched, for the caller's words.
NAME, ADDRESS, VAT_ID, EMAIL, PHONE = "name", "address", "vat_id", "email", "phone"


def contact_fingerprint(payload):
    """A short digest of what `payload` (from `build_contact`) writes: equal digests, equal
    data, so an unchanged customer costs no request."""
    owned = {key: payload[key] for key in OWNED if key in payload}
    text = json.dumps(owned, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def crowded_lists(contact):
    """The lists of `contact` holding more entries than a write takes, as "group.kind"
    names (e.g. "addresses.billing"): a contact edited so in the web app cannot be written
    without losing them."""
    crowded = []
    for group in ("addresses", "emailAddresses", "phoneNumbers"):
        for kind, entries in sorted((contact.get(group) or {}).items()):
            if isinstance(entries, list) and len(entries) > 1:
                crowded.append(f"{group}.{kind}")
    if len((contact.get("company") or {}).get("contactPersons") or []) > 1:
        crowded.append("company.contactPersons")
    return crowded


def contact_kind(contact):
    """ "company" or "person": which of the two a contact or payload is."""
    return "company" if contact.get("company") else "person"


def merge_contact(current, wanted):
    """(body to PUT, set of what changed): `current` (a contact as read) with the owned
    fields of `wanted` (a `build_contact` payload of the same kind).

    Nothing changed: the body equals `current` and the set is empty.
    """
    merged = copy.deepcopy(current)
    changed = set()
    if contact_kind(wanted) == "company":
        _merge_company(merged.setdefault("company", {}), wanted["company"], changed)
    else:
        _merge_person(merged.setdefault("person", {}), wanted["person"], changed)
    billing = (wanted.get("addresses") or {}).get("billing")
    if billing:
        _merge_address(merged, billing[0], changed)
    for group, what in (("emailAddresses", EMAIL), ("phoneNumbers", PHONE)):
        entries = (wanted.get(group) or {}).get("business")
        if entries and (merged.get(group) or {}).get("business") != entries:
            merged.setdefault(group, {})["business"] = list(entries)
            changed.add(what)
    return merged, changed


def _merge_company(company, wanted, changed):
    if company.get("name") != wanted["name"]:
        company["name"] = wanted["name"]
        changed.add(NAME)
    vat_id = wanted.get("vatRegistrationId")
    if vat_id and company.get("vatRegistrationId") != vat_id:
        company["vatRegistrationId"] = vat_id
        changed.add(VAT_ID)


def _merge_person(person, wanted, changed):
    """Odoo keeps one name: Lexware's first and last name, read together, are the same
    name when they spell it; otherwise Odoo's stands as the last name alone."""
    if _full_name(person) == _full_name(wanted):
        return
    person["lastName"] = wanted["lastName"]
    if wanted.get("firstName"):
        person["firstName"] = wanted["firstName"]
    else:
        person.pop("firstName", None)
    changed.add(NAME)


def _full_name(person):
    return " ".join(part for part in (person.get("firstName"), person.get("lastName")) if part)


def _merge_address(merged, wanted, changed):
    addresses = merged.setdefault("addresses", {})
    held = (addresses.get("billing") or [{}])[0]
    if all(held.get(part) == wanted[part] for part in ADDRESS_PARTS if part in wanted):
        return
    addresses["billing"] = [dict(wanted)]
    changed.add(ADDRESS)
