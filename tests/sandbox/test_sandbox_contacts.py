"""/v1/contacts: creation rules, customer numbers, search semantics, versioned updates."""

import pytest
import requests
from sandbox_helpers import Api, assert_regular_error, company, issues


def create(api, body):
    response = api.post("/v1/contacts", json=body)
    assert response.status_code == 200, response.text
    return response.json()["id"]


def person(last_name="Müller", **overrides):
    body = {"version": 0, "roles": {"customer": {}}, "person": {"lastName": last_name}}
    body.update(overrides)
    return body


def search(api, **params):
    response = api.get("/v1/contacts", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_created_contact_reads_back_with_an_assigned_customer_number(api, sandbox):
    first = create(api, company("Erste GmbH", addresses={"billing": [{"countryCode": "DE"}]}))
    second = create(api, person())
    body = api.get(f"/v1/contacts/{first}").json()
    assert body["company"]["name"] == "Erste GmbH"
    assert body["roles"]["customer"]["number"] == 10000
    assert body["version"] == 0
    assert api.get(f"/v1/contacts/{second}").json()["roles"]["customer"]["number"] == 10001
    assert sandbox.counters()["contacts_created"] == 2
    assert [c["id"] for c in sandbox.contacts()] == [first, second]


def test_client_cannot_choose_the_customer_number(api):
    contact_id = create(api, company(roles={"customer": {"number": 4711}}))
    assert api.get(f"/v1/contacts/{contact_id}").json()["roles"]["customer"]["number"] == 10000


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (company(version=None), ("missing_entity", "version")),
        (company(version=1), ("invalid_value", "version")),
        (company(roles={}), ("missing_entity", "roles.customer")),
        (company(roles={"vendor": {}}), ("missing_entity", "roles.customer")),
        (company(roles={"customer": {}, "boss": {}}), ("invalid_value", "roles")),
        ({"version": 0, "roles": {"customer": {}}}, ("missing_entity", "company")),
        (company(person={"lastName": "Doppelt"}), ("invalid_value", "person")),
        (company(company={"name": " "}), ("missing_entity", "company.name")),
        (person(person={"firstName": "Anna"}), ("missing_entity", "person.lastName")),
        (
            company(
                company={"name": "X", "contactPersons": [{"lastName": "A"}, {"lastName": "B"}]}
            ),
            ("invalid_value", "company.contactPersons"),
        ),
        (
            company(company={"name": "X", "contactPersons": [{"firstName": "A"}]}),
            ("missing_entity", "company.contactPersons[0].lastName"),
        ),
        (
            company(addresses={"billing": [{"countryCode": "DE"}, {"countryCode": "AT"}]}),
            ("invalid_value", "addresses.billing"),
        ),
        (
            company(addresses={"billing": [{"city": "Berlin"}]}),
            ("missing_entity", "addresses.billing[0].countryCode"),
        ),
        (
            company(addresses={"billing": [{"countryCode": "Deutschland"}]}),
            ("invalid_value", "addresses.billing[0].countryCode"),
        ),
        (
            company(addresses={"billing": [{"countryCode": "de"}]}),
            ("invalid_value", "addresses.billing[0].countryCode"),
        ),
        (
            company(emailAddresses={"business": ["a@example.org", "b@example.org"]}),
            ("invalid_value", "emailAddresses.business"),
        ),
        (company(emailAddresses={"work": ["a@example.org"]}), ("invalid_value", "emailAddresses")),
        (
            company(phoneNumbers={"mobile": ["+49 1", "+49 2"]}),
            ("invalid_value", "phoneNumbers.mobile"),
        ),
    ],
)
def test_lexware_refuses_contact(api, sandbox, body, expected):
    body = {key: value for key, value in body.items() if value is not None}
    assert expected in issues(api.post("/v1/contacts", json=body))
    assert sandbox.contacts() == []


def test_one_entry_per_kind_is_accepted(api):
    body = company(
        emailAddresses={"business": ["a@example.org"], "private": ["b@example.org"]},
        phoneNumbers={"business": ["+49 30 1"], "mobile": ["+49 170 1"]},
        addresses={"billing": [{"countryCode": "AT"}], "shipping": [{"countryCode": "CH"}]},
    )
    assert api.post("/v1/contacts", json=body).status_code == 200


def test_unknown_or_foreign_contact_is_404(api, sandbox):
    contact_id = create(api, company())
    sandbox.add_organization("Andere GmbH", api_key="other-key")
    assert_regular_error(Api(sandbox.url, "other-key").get(f"/v1/contacts/{contact_id}"), 404)
    assert_regular_error(api.get("/v1/contacts/00000000-0000-0000-0000-000000000000"), 404)


def test_search_by_name_matches_substrings_without_case(api):
    create(api, company("Bäckerei Schmidt GmbH"))
    create(api, person("Schmidtke", person={"lastName": "Schmidtke", "firstName": "Eva"}))
    create(api, company("Metzgerei Huber"))
    page = search(api, name="schmidt")
    assert page["totalElements"] == 2
    assert page["first"] is True and page["last"] is True
    assert page["number"] == 0
    assert {"content", "totalPages", "numberOfElements", "size", "sort"} <= set(page)


def test_search_name_needs_three_characters(api):
    assert_regular_error(api.get("/v1/contacts", params={"name": "ab"}), 400)


def test_search_compares_html_escaped_values(api):
    create(api, company("A&B <Bau> GmbH"))
    assert search(api, name="A&amp;B &lt;Bau&gt;")["totalElements"] == 1
    assert search(api, name="A&B")["totalElements"] == 0


def test_underscore_and_percent_are_wildcards_unless_escaped(api):
    create(api, company("Max_Bau GmbH"))
    create(api, company("MaxiBau GmbH"))
    assert search(api, name="Max_Bau")["totalElements"] == 2
    assert search(api, name="Max\\_Bau")["totalElements"] == 1
    assert search(api, name="M%Bau")["totalElements"] == 2


def test_search_by_email_number_and_role(api):
    create(api, company("Eins GmbH", emailAddresses={"business": ["info@eins.de"]}))
    create(api, company("Zwei GmbH", emailAddresses={"office": ["buero@zwei.de"]}))
    assert [c["company"]["name"] for c in search(api, email="INFO@eins.de")["content"]] == [
        "Eins GmbH"
    ]
    assert search(api, email="%@zwei.de")["totalElements"] == 1
    assert search(api, email="eins.de")["totalElements"] == 0
    assert search(api, number="10001")["content"][0]["company"]["name"] == "Zwei GmbH"
    assert search(api, customer="true")["totalElements"] == 2
    assert search(api, vendor="true")["totalElements"] == 0


def test_search_pages(api):
    for n in range(5):
        create(api, company(f"Firma {n}"))
    page = search(api, page=1, size=2)
    assert [c["company"]["name"] for c in page["content"]] == ["Firma 2", "Firma 3"]
    assert page["totalPages"] == 3
    assert page["first"] is False and page["last"] is False
    assert_regular_error(api.get("/v1/contacts", params={"size": 251}), 400)


def test_put_with_current_version_updates_and_keeps_the_number(api):
    contact_id = create(api, company("Alt GmbH"))
    response = api.put(f"/v1/contacts/{contact_id}", json=company("Neu GmbH"))
    assert response.status_code == 200
    assert response.json()["version"] == 1
    body = api.get(f"/v1/contacts/{contact_id}").json()
    assert body["company"]["name"] == "Neu GmbH"
    assert body["roles"]["customer"]["number"] == 10000


def test_put_with_stale_version_is_409(api, sandbox):
    contact_id = create(api, company("Alt GmbH"))
    api.put(f"/v1/contacts/{contact_id}", json=company("Neu GmbH"))
    assert_regular_error(api.put(f"/v1/contacts/{contact_id}", json=company("Wieder Alt")), 409)
    assert sandbox.contacts()[0]["company"]["name"] == "Neu GmbH"


def test_contact_with_several_entries_can_be_read_but_not_updated(api, sandbox):
    contact_id = create(api, company("Viele GmbH"))
    sandbox.edit_contact_in_web_app(
        contact_id, emailAddresses={"business": ["a@viele.de", "b@viele.de"]}
    )
    body = api.get(f"/v1/contacts/{contact_id}").json()
    assert len(body["emailAddresses"]["business"]) == 2
    update = company("Viele GmbH", version=body["version"])
    assert ("invalid_value", "contact") in issues(
        api.put(f"/v1/contacts/{contact_id}", json=update)
    )


def test_put_replaces_the_whole_contact_and_raises_the_version(api, sandbox):
    contact_id = create(api, company("Alt GmbH", note="Zahlt pünktlich"))
    body = api.get(f"/v1/contacts/{contact_id}").json()
    assert sandbox.counters()["contacts_read"] == 1
    body["company"]["name"] = "Neu GmbH"
    del body["note"]
    assert api.put(f"/v1/contacts/{contact_id}", json=body).json()["version"] == 1
    again = api.get(f"/v1/contacts/{contact_id}").json()
    assert "note" not in again  # a PUT is no patch: what the body leaves out is gone
    again["emailAddresses"] = {"business": ["neu@example.org"]}
    assert api.put(f"/v1/contacts/{contact_id}", json=again).json()["version"] == 2
    stored = sandbox.contacts()[0]
    assert (stored["version"], stored["emailAddresses"]) == (2, {"business": ["neu@example.org"]})
    assert sandbox.counters()["contacts_updated"] == 2


def test_stale_version_can_answer_406_as_seen(api, sandbox):
    sandbox.configure(stale_contact_status=406)
    contact_id = create(api, company("Alt GmbH"))
    api.put(f"/v1/contacts/{contact_id}", json=company("Neu GmbH"))
    assert ("invalid_value", "version") in issues(
        api.put(f"/v1/contacts/{contact_id}", json=company("Wieder Alt"))
    )
    assert sandbox.contacts()[0]["company"]["name"] == "Neu GmbH"
    with pytest.raises(ValueError):
        sandbox.configure(stale_contact_status=400)


def test_web_app_edit_over_http_raises_the_version_and_locks_the_contact(api, sandbox):
    contact_id = create(api, company("Viele GmbH"))
    persons = [{"lastName": "Eins"}, {"lastName": "Zwei"}]
    answer = requests.post(
        f"{sandbox.url}/_sandbox/contact-edit",
        json={
            "contactId": contact_id,
            "fields": {"company": {"name": "Viele GmbH", "contactPersons": persons}},
        },
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    body = api.get(f"/v1/contacts/{contact_id}").json()
    assert (body["version"], body["company"]["contactPersons"]) == (1, persons)
    assert ("invalid_value", "contact") in issues(
        api.put(f"/v1/contacts/{contact_id}", json=company("Viele GmbH", version=1))
    )
    assert sandbox.counters()["contacts_updated"] == 0
    unknown = requests.post(
        f"{sandbox.url}/_sandbox/contact-edit", json={"contactId": "nope", "fields": {}}, timeout=5
    )
    assert unknown.status_code == 404
