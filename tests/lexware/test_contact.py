"""build_contact: customers become contact payloads Lexware accepts."""

import dataclasses

import pytest
import requests

from lexware.contact import ContactData, build_contact
from lexware.errors import LexwareDataError

BLANK = ContactData(
    is_company=False,
    name="",
    first_name="",
    last_name="",
    street="",
    zip="",
    city="",
    country_code="",
    email="",
    phone="",
    vat_id="",
)


def contact(**fields):
    return dataclasses.replace(BLANK, **fields)


def company(**fields):
    return contact(is_company=True, **fields)


def test_company_with_vat_id_address_email_and_phone():
    payload = build_contact(
        company(
            name="Muster Bau GmbH",
            street="Hauptstraße 1",
            zip="80331",
            city="München",
            country_code="de",
            email="rechnung@muster-bau.de",
            phone="+49 89 123456",
            vat_id="DE 123 456 789",
        )
    )
    assert payload == {
        "version": 0,
        "roles": {"customer": {}},
        "company": {"name": "Muster Bau GmbH", "vatRegistrationId": "DE123456789"},
        "addresses": {
            "billing": [
                {"street": "Hauptstraße 1", "zip": "80331", "city": "München", "countryCode": "DE"}
            ]
        },
        "emailAddresses": {"business": ["rechnung@muster-bau.de"]},
        "phoneNumbers": {"business": ["+49 89 123456"]},
    }


def test_company_without_vat_id_leaves_it_out():
    assert build_contact(company(name="Kiosk Ecke"))["company"] == {"name": "Kiosk Ecke"}


def test_person_with_first_and_last_name():
    payload = build_contact(
        contact(name="Erika Mustermann", first_name="Erika", last_name="Mustermann")
    )
    assert payload["person"] == {"lastName": "Mustermann", "firstName": "Erika"}
    assert "company" not in payload


def test_person_known_by_one_name_uses_it_as_last_name():
    payload = build_contact(contact(name="Erika Mustermann", first_name="Erika"))
    assert payload["person"] == {"lastName": "Erika Mustermann"}


def test_contact_without_anything_else_carries_only_version_role_and_name():
    assert build_contact(contact(name="Max Muster")) == {
        "version": 0,
        "roles": {"customer": {}},
        "person": {"lastName": "Max Muster"},
    }


def test_missing_address_parts_are_left_out():
    payload = build_contact(company(name="Alpen AG", city="Wien", country_code=" at "))
    assert payload["addresses"] == {"billing": [{"city": "Wien", "countryCode": "AT"}]}


def test_address_without_country_is_left_out_as_lexware_refuses_it():
    payload = build_contact(company(name="Ohne Land GmbH", street="Weg 2", zip="12345", city="X"))
    assert "addresses" not in payload


def test_address_with_a_country_that_is_no_alpha_2_code_is_left_out():
    payload = build_contact(company(name="Irgendwo GmbH", city="Berlin", country_code="DEU"))
    assert "addresses" not in payload


def test_only_the_first_of_several_email_addresses_goes():
    payload = build_contact(contact(name="Max", email="Max M <max@example.de>, büro@example.de"))
    assert payload["emailAddresses"] == {"business": ["max@example.de"]}


def test_email_field_without_an_address_is_left_out():
    assert "emailAddresses" not in build_contact(contact(name="Max", email="keine"))


def test_emoji_and_markup_in_names_pass_through_unchanged():
    name = "<b>Bäckerei</b> 🥨 & Söhne"
    assert build_contact(company(name=name))["company"]["name"] == name
    person = build_contact(contact(first_name="Zoë 🌸", last_name="<i>O'Brien</i>"))["person"]
    assert person == {"lastName": "<i>O'Brien</i>", "firstName": "Zoë 🌸"}


def test_texts_are_trimmed_and_bounded():
    payload = build_contact(company(name="  Lange\n  Firma  ", street="x" * 400, country_code="DE"))
    assert payload["company"]["name"] == "Lange Firma"
    assert len(payload["addresses"]["billing"][0]["street"]) == 255


def test_a_long_name_is_cut_after_a_word_and_shows_the_cut():
    name = " ".join(["Großhandel für Fliesen, Naturstein und Sanitärbedarf"] * 6)
    cut = build_contact(company(name=name))["company"]["name"]
    assert len(cut) <= 255
    assert cut.endswith("Naturstein und…")
    assert name.startswith(cut[:-1])


def test_company_without_name_is_refused():
    with pytest.raises(LexwareDataError) as caught:
        build_contact(company(name="  ", email="a@b.de"))
    assert (caught.value.code, caught.value.params) == ("company_without_name", {})
    assert caught.value.reason == "The customer is a company without a name."


def test_person_without_any_name_is_refused():
    with pytest.raises(LexwareDataError) as caught:
        build_contact(contact(email="a@b.de"))
    assert (caught.value.code, caught.value.params) == ("no_name", {})
    assert caught.value.reason == "The customer has no name."


def test_built_contacts_are_accepted_by_the_sandbox(sandbox):
    sandbox.configure(rate=1000.0, burst=1000)
    customers = [
        company(name="Muster Bau GmbH", city="München", country_code="DE", vat_id="DE123456789"),
        contact(name="Erika Mustermann", first_name="Erika", last_name="Mustermann"),
        contact(name="<b>🥨</b>", email="x@y.de", phone="0171 1", street="Weg 1"),
    ]
    for customer in customers:
        answer = requests.post(
            sandbox.url + "/v1/contacts",
            json=build_contact(customer),
            headers={"Authorization": "Bearer sandbox-api-key"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
    assert len(sandbox.contacts()) == len(customers)
