"""Keeping a contact current: the fingerprint, the lists a write cannot hold, Odoo's fields
merged into what Lexware holds, and the client's GET and PUT against the sandbox."""

import dataclasses

import pytest

from lexware.contact import ContactData, build_contact
from lexware.contact_update import (
    ADDRESS,
    EMAIL,
    NAME,
    PHONE,
    VAT_ID,
    contact_fingerprint,
    contact_kind,
    crowded_lists,
    merge_contact,
)
from lexware.errors import LexwarePermanentError

KUNDE = ContactData(
    is_company=True,
    name="Kunde Bau GmbH",
    first_name="",
    last_name="",
    street="Hauptstraße 1",
    zip="10115",
    city="Berlin",
    country_code="DE",
    email="buchhaltung@kunde-bau.example",
    phone="",
    vat_id="",
)


def wanted(**fields):
    return build_contact(dataclasses.replace(KUNDE, **fields))


def held(**extra):
    """The contact as Lexware answers a GET: the connector's fields and the customer's own."""
    body = {
        "id": "c-1",
        "organizationId": "o-1",
        "version": 3,
        "roles": {"customer": {"number": 10007}, "vendor": {"number": 70001}},
        "company": {"name": "Kunde Bau GmbH", "taxNumber": "27/123/45678"},
        "addresses": {
            "billing": [
                {"street": "Hauptstraße 1", "zip": "10115", "city": "Berlin", "countryCode": "DE"}
            ],
            "shipping": [{"street": "Lager 9", "zip": "14467", "countryCode": "DE"}],
        },
        "emailAddresses": {
            "business": ["buchhaltung@kunde-bau.example"],
            "private": ["chef@example.org"],
        },
        "phoneNumbers": {"mobile": ["+49 170 1"]},
        "note": "Zahlt pünktlich",
    }
    body.update(extra)
    return body


def test_fingerprint_follows_the_written_fields_only():
    payload = wanted()
    assert contact_fingerprint(payload) == contact_fingerprint({**payload, "version": 7})
    assert len(contact_fingerprint(payload)) == 32
    for change in (
        {"name": "Kunde Bau AG"},
        {"city": "Potsdam"},
        {"vat_id": "DE123456789"},
        {"email": "neu@kunde-bau.example"},
        {"phone": "+49 30 1"},
        {"is_company": False},
    ):
        assert contact_fingerprint(wanted(**change)) != contact_fingerprint(payload), change


def test_unchanged_customer_merges_to_the_contact_as_read():
    merged, changed = merge_contact(held(), wanted())
    assert (merged, changed) == (held(), set())


def test_changed_fields_replace_the_connectors_fields_and_keep_the_rest():
    merged, changed = merge_contact(
        held(),
        wanted(
            name="Kunde Bau AG",
            street="Neue Straße 5",
            zip="14467",
            city="Potsdam",
            vat_id="de 123 456 789",
            email="rechnung@kunde-bau.example",
            phone="+49 331 1",
        ),
    )
    assert changed == {NAME, ADDRESS, VAT_ID, EMAIL, PHONE}
    expected = held()
    expected["company"] = {
        "name": "Kunde Bau AG",
        "taxNumber": "27/123/45678",
        "vatRegistrationId": "DE123456789",
    }
    expected["addresses"]["billing"] = [
        {"street": "Neue Straße 5", "zip": "14467", "city": "Potsdam", "countryCode": "DE"}
    ]
    expected["emailAddresses"]["business"] = ["rechnung@kunde-bau.example"]
    expected["phoneNumbers"] = {"mobile": ["+49 170 1"], "business": ["+49 331 1"]}
    assert merged == expected


def test_empty_odoo_fields_leave_lexwares_values():
    contact = held(
        company={"name": "Kunde Bau GmbH", "vatRegistrationId": "DE999999999"},
        phoneNumbers={"business": ["+49 30 9"]},
    )
    merged, changed = merge_contact(contact, wanted(email="", phone="", vat_id=""))
    assert (merged, changed) == (contact, set())
    # No country in Odoo: no address to write, Lexware's stays.
    merged, changed = merge_contact(contact, wanted(country_code="", city="Potsdam"))
    assert (merged, changed) == (contact, set())


def test_an_address_odoo_knows_less_of_is_lexwares_when_the_rest_agrees():
    contact = held()
    contact["addresses"]["billing"][0]["supplement"] = "Hinterhaus"
    assert merge_contact(contact, wanted(zip=""))[1] == set()
    # Moved: the old address's supplement and zip do not belong to the new one.
    merged, changed = merge_contact(contact, wanted(street="Neue Straße 5", zip=""))
    assert changed == {ADDRESS}
    assert merged["addresses"]["billing"] == [
        {"street": "Neue Straße 5", "city": "Berlin", "countryCode": "DE"}
    ]


def test_a_persons_name_spelled_in_two_fields_is_the_same_name():
    person = {"version": 1, "roles": {"customer": {}}, "person": {"salutation": "Frau"}}
    person["person"].update(firstName="Anna", lastName="Müller")
    private = {"is_company": False, "country_code": "", "email": ""}
    payload = wanted(name="Anna Müller", **private)
    assert contact_kind(payload) == contact_kind(person) == "person"
    assert merge_contact(person, payload)[1] == set()
    merged, changed = merge_contact(person, wanted(name="Anna Schmidt", **private))
    assert changed == {NAME}
    assert merged["person"] == {"salutation": "Frau", "lastName": "Anna Schmidt"}


def test_lists_a_write_cannot_hold_are_named():
    assert crowded_lists(held()) == []
    contact = held(
        company={"name": "X", "contactPersons": [{"lastName": "A"}, {"lastName": "B"}]},
        phoneNumbers={"business": ["1", "2"]},
    )
    contact["addresses"]["billing"].append({"countryCode": "AT"})
    assert crowded_lists(contact) == [
        "addresses.billing",
        "phoneNumbers.business",
        "company.contactPersons",
    ]


def test_client_reads_and_writes_a_contact_with_its_version(client, fast_sandbox):
    contact_id = client.create_contact(wanted())["id"]
    current = client.get_contact(contact_id)
    merged, _changed = merge_contact(current, wanted(city="Potsdam"))
    assert client.update_contact(contact_id, merged)["version"] == current["version"] + 1
    assert client.get_contact(contact_id)["addresses"]["billing"][0]["city"] == "Potsdam"
    with pytest.raises(LexwarePermanentError) as stale:
        client.update_contact(contact_id, merged)
    assert stale.value.status == 409
    assert fast_sandbox.counters()["contacts_updated"] == 1
