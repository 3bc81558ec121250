"""A customer, as plain data, turned into the payload of `POST /v1/contacts`.

Lexware takes at most one entry per list on a write (one billing address, one email,
one phone number), needs a country on every address, and stores text as given: names
with emoji or markup go through unchanged, only trimmed.
"""

import re
from dataclasses import dataclass
from email.utils import getaddresses

from .errors import LexwareDataError

# Lexware documents no field lengths; 255 characters hold any real name or street while
# keeping a pasted novel from failing the whole transfer.
TEXT_LIMIT = 255


@dataclass(frozen=True)
class ContactData:
    """A customer as Odoo knows it; empty strings for what is unknown."""

    is_company: bool
    name: str
    first_name: str
    last_name: str
    street: str
    zip: str
    city: str
    country_code: str
    email: str
    phone: str
    vat_id: str


def build_contact(contact: ContactData) -> dict:
    """The `POST /v1/contacts` payload for a customer; raises LexwareDataError."""
    payload = {"version": 0, "roles": {"customer": {}}}
    if contact.is_company:
        payload["company"] = _company(contact)
    else:
        payload["person"] = _person(contact)
    address = _billing_address(contact)
    if address:
        payload["addresses"] = {"billing": [address]}
    email = _email(contact.email)
    if email:
        payload["emailAddresses"] = {"business": [email]}
    phone = _text(contact.phone)
    if phone:
        payload["phoneNumbers"] = {"business": [phone]}
    return payload


def _company(contact):
    name = _text(contact.name)
    if not name:
        raise LexwareDataError("company_without_name")
    company = {"name": name}
    vat_id = re.sub(r"[\s.\-]", "", contact.vat_id or "").upper()
    if vat_id:
        company["vatRegistrationId"] = vat_id[:TEXT_LIMIT]
    return company


def _person(contact):
    last_name = _text(contact.last_name)
    if not last_name:
        # Odoo keeps a person's whole name in one field: it stands as the last name, and
        # a first name on its own would only repeat part of it.
        last_name = _text(contact.name) or _text(contact.first_name)
        if not last_name:
            raise LexwareDataError("no_name")
        return {"lastName": last_name}
    person = {"lastName": last_name}
    first_name = _text(contact.first_name)
    if first_name:
        person["firstName"] = first_name
    return person


def _billing_address(contact):
    """The address, or None: without a valid country Lexware refuses the whole contact,
    and a voucher needs the contact more than its address."""
    country = (contact.country_code or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        return None
    address = {
        field: value
        for field, value in (
            ("street", _text(contact.street)),
            ("zip", _text(contact.zip)),
            ("city", _text(contact.city)),
        )
        if value
    }
    address["countryCode"] = country
    return address


def _email(raw):
    """The first address of a field that may hold several, or "Name <address>"."""
    for _name, address in getaddresses([raw or ""]):
        if "@" in address:
            return address[:TEXT_LIMIT]
    return ""


def _text(value):
    """Trimmed, inner runs of whitespace (line breaks too) made one space, bounded: a
    longer text is cut after a whole word and ends in "…", so a reader sees the cut."""
    text = " ".join((value or "").split())
    if len(text) <= TEXT_LIMIT:
        return text
    cut = text[: TEXT_LIMIT - 1]
    if text[TEXT_LIMIT - 1] != " " and " " in cut[TEXT_LIMIT // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-/&") + "…"
