"""POST/GET/PUT /v1/vouchers: Lexware's rules, its answers, and what gets stored."""

import time

import pytest
import requests
from sandbox_helpers import (
    INTRA_EU,
    KLEINUNTERNEHMER,
    OSS_DISTANCE,
    OUTGO,
    SERVICES,
    assert_regular_error,
    company,
    issues,
)
from voucher_payloads import GOODS, voucher

OLD_KLEINUNTERNEHMER = "7a1efa0e-6283-4cbf-9583-8e88d3ba5960"


def item(amount, tax, rate=19, category=GOODS):
    return {"amount": amount, "taxAmount": tax, "taxRatePercent": rate, "categoryId": category}


def customer_id(api, **overrides):
    response = api.post("/v1/contacts", json=company(**overrides))
    assert response.status_code == 200, response.text
    return response.json()["id"]


def test_valid_voucher_answers_a_stub_and_is_stored_open(api, sandbox):
    response = api.post("/v1/vouchers", json=voucher())
    assert response.status_code == 200
    stub = response.json()
    assert set(stub) == {"id", "resourceUri", "createdDate", "updatedDate", "version"}
    assert stub["version"] == 0
    [stored] = sandbox.vouchers()
    assert stored["id"] == stub["id"]
    assert stored["voucherStatus"] == "open"
    assert stored["voucherItems"][0]["categoryId"] == GOODS
    assert stored["organizationId"]
    assert sandbox.counters()["vouchers_created"] == 1


def test_same_voucher_number_twice_makes_two_vouchers(api, sandbox):
    first = api.post("/v1/vouchers", json=voucher()).json()["id"]
    second = api.post("/v1/vouchers", json=voucher()).json()["id"]
    assert first != second
    assert len(sandbox.vouchers(number="RE-2026-0001")) == 2


def test_vouchers_cannot_be_deleted(api, sandbox):
    voucher_id = api.post("/v1/vouchers", json=voucher()).json()["id"]
    assert_regular_error(api.request("DELETE", f"/v1/vouchers/{voucher_id}"), 405)
    assert len(sandbox.vouchers()) == 1


@pytest.mark.parametrize(
    "body",
    [
        voucher(type="salescreditnote"),
        voucher(
            taxType="gross",
            totalGrossAmount=119.0,
            totalTaxAmount=19.0,
            voucherItems=[item(119.0, 19.0)],
        ),
        voucher(
            totalGrossAmount=226.0,
            totalTaxAmount=26.0,
            voucherItems=[item(100.0, 19.0), item(100.0, 7.0, rate=7)],
        ),
        voucher(totalTaxAmount=19.01, totalGrossAmount=119.01, voucherItems=[item(100, 19.01)]),
        voucher(
            totalGrossAmount=50.0,
            totalTaxAmount=0.0,
            voucherItems=[item(50.0, 0.0, rate=0, category=KLEINUNTERNEHMER)],
        ),
        voucher(shippingDate="2026-11-20", dueDate="2026-12-08", remark="Danke", currency="EUR"),
        voucher(
            type="purchaseinvoice",
            voucherItems=[item(100.0, 19.0, category=OUTGO)],
        ),
    ],
    ids=["creditnote", "gross", "two-rates", "cent-off", "kleinunternehmer", "optional", "outgo"],
)
def test_lexware_accepts(api, body):
    assert api.post("/v1/vouchers", json=body).status_code == 200


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (voucher(type=None), ("missing_entity", "type")),
        (voucher(type="invoice"), ("invalid_value", "type")),
        (voucher(voucherNumber=""), ("missing_entity", "voucherNumber")),
        (voucher(voucherDate=None), ("missing_entity", "voucherDate")),
        (voucher(voucherDate="24.11.2026"), ("invalid_value", "voucherDate")),
        (voucher(voucherDate="2026-11-24T00:00:00+01:00"), ("invalid_value", "voucherDate")),
        (voucher(voucherDate="2026-02-30"), ("invalid_value", "voucherDate")),
        (voucher(shippingDate="2026-1-2"), ("invalid_value", "shippingDate")),
        (voucher(dueDate="tomorrow"), ("invalid_value", "dueDate")),
        (voucher(taxType=None), ("missing_entity", "taxType")),
        (voucher(taxType="vatfree"), ("invalid_value", "taxType")),
        (voucher(currency="USD"), ("invalid_value", "currency")),
        (voucher(version=0), ("invalid_value", "version")),
        (voucher(totalGrossAmount=None), ("missing_entity", "totalGrossAmount")),
        (voucher(totalGrossAmount="119.00"), ("invalid_value", "totalGrossAmount")),
        (voucher(totalTaxAmount=19.001), ("invalid_value", "totalTaxAmount")),
        (voucher(voucherItems=[]), ("missing_entity", "voucherItems")),
        (voucher(voucherItems=None), ("missing_entity", "voucherItems")),
        (
            voucher(voucherItems=[{"taxAmount": 19.0, "taxRatePercent": 19, "categoryId": GOODS}]),
            ("missing_entity", "voucherItems[0].amount"),
        ),
        (voucher(voucherItems=[item(-100.0, 19.0)]), ("invalid_value", "voucherItems[0].amount")),
        (voucher(voucherItems=[item(100.001, 19.0)]), ("invalid_value", "voucherItems[0].amount")),
        (
            voucher(voucherItems=[item(100.0, None)]),
            ("missing_entity", "voucherItems[0].taxAmount"),
        ),
        (
            voucher(voucherItems=[item(100.0, 20.0, rate=20)]),
            ("invalid_value", "voucherItems[0].taxRatePercent"),
        ),
        (
            voucher(voucherItems=[item(100.0, 19.0, category=None)]),
            ("missing_entity", "voucherItems[0].categoryId"),
        ),
        (
            voucher(voucherItems=[item(100.0, 19.0, category=OLD_KLEINUNTERNEHMER)]),
            ("invalid_value", "voucherItems[0].categoryId"),
        ),
        (
            voucher(voucherItems=[item(100.0, 19.0, category=OUTGO)]),
            ("invalid_value", "voucherItems[0].categoryId"),
        ),
        (
            voucher(voucherItems=[item(100.0, 19.02)]),
            ("invalid_taxamount", "voucherItems[0].taxAmount"),
        ),
        (voucher(totalTaxAmount=19.01), ("invalid_taxamount", "totalTaxAmount")),
        (voucher(totalGrossAmount=118.99), ("invalid_total_amount", "totalGrossAmount")),
        (
            voucher(totalGrossAmount=0, totalTaxAmount=0, voucherItems=[item(0, 0)]),
            ("invalid_value", "totalGrossAmount"),
        ),
        (
            voucher(useCollectiveContact=False),
            ("missing_entity", "contactId"),
        ),
        (
            voucher(useCollectiveContact=False, contactId="7d2c6b3e-0000-0000-0000-000000000000"),
            ("invalid_value", "contactId"),
        ),
        (voucher(useCollectiveContact="yes"), ("invalid_value", "useCollectiveContact")),
    ],
)
def test_lexware_refuses(api, sandbox, body, expected):
    body = {key: value for key, value in body.items() if value is not None}
    response = api.post("/v1/vouchers", json=body)
    assert expected in issues(response)
    assert response.json()["IssueList"][0]["type"] == "validation_failure"
    assert sandbox.vouchers() == []


def test_gross_items_carry_the_tax_inside_the_amount(api):
    wrong = voucher(taxType="gross", voucherItems=[item(100.0, 19.0)])
    assert ("invalid_taxamount", "voucherItems[0].taxAmount") in issues(
        api.post("/v1/vouchers", json=wrong)
    )


def test_one_item_per_rate_and_category(api):
    body = voucher(
        totalGrossAmount=238.0,
        totalTaxAmount=38.0,
        voucherItems=[item(100.0, 19.0), item(100.0, 19.0)],
    )
    assert ("invalid_value", "voucherItems[1]") in issues(api.post("/v1/vouchers", json=body))


def test_category_without_split_takes_one_rate(api):
    body = voucher(
        useCollectiveContact=False,
        contactId=customer_id(api),
        totalGrossAmount=100.0,
        totalTaxAmount=0.0,
        voucherItems=[
            item(50.0, 0.0, rate=0, category=INTRA_EU),
            item(50.0, 0.0, rate=7, category=INTRA_EU),
        ],
    )
    assert ("invalid_value", "voucherItems[1].taxRatePercent") in issues(
        api.post("/v1/vouchers", json=body)
    )


def test_zero_rate_category_refuses_a_tax_rate(api):
    body = voucher(voucherItems=[item(100.0, 19.0, category=KLEINUNTERNEHMER)])
    assert ("invalid_value", "voucherItems[0].taxRatePercent") in issues(
        api.post("/v1/vouchers", json=body)
    )


@pytest.mark.parametrize(
    ("category", "rate", "tax"), [(INTRA_EU, 0, 0.0), (OSS_DISTANCE, 19, 19.0)]
)
def test_special_categories_refuse_the_collective_contact(api, sandbox, category, rate, tax):
    body = voucher(
        totalGrossAmount=100.0 + tax,
        totalTaxAmount=tax,
        voucherItems=[item(100.0, tax, rate=rate, category=category)],
    )
    assert issues(api.post("/v1/vouchers", json=body)) == {
        ("collective_customer_not_applicable", "useCollectiveContact")
    }
    body.update(useCollectiveContact=False, contactId=customer_id(api))
    assert api.post("/v1/vouchers", json=body).status_code == 200
    assert sandbox.vouchers()[0]["contactId"] == body["contactId"]


def test_contact_must_have_the_customer_role(api):
    vendor = customer_id(api, roles={"customer": {}, "vendor": {}})
    assert api.post("/v1/vouchers", json=voucher(useCollectiveContact=False, contactId=vendor))
    body = voucher(
        type="purchaseinvoice",
        useCollectiveContact=False,
        contactId=customer_id(api, name="Nur Kunde AG"),
        voucherItems=[item(100.0, 19.0, category=OUTGO)],
    )
    assert ("invalid_value", "contactId") in issues(api.post("/v1/vouchers", json=body))


def test_contact_of_another_organisation_is_unknown(api, sandbox):
    sandbox.add_organization("Andere GmbH", api_key="other-key")
    foreign = customer_id(api)
    other = type(api)(sandbox.url, "other-key")
    body = voucher(useCollectiveContact=False, contactId=foreign)
    assert ("invalid_value", "contactId") in issues(other.post("/v1/vouchers", json=body))


def test_all_issues_are_listed_at_once(api):
    body = voucher(voucherNumber="", taxType="brutto", currency="CHF")
    assert issues(api.post("/v1/vouchers", json=body)) == {
        ("missing_entity", "voucherNumber"),
        ("invalid_value", "taxType"),
        ("invalid_value", "currency"),
    }


def test_wrong_content_type_answers_415(api, sandbox):
    response = api.post("/v1/vouchers", data="{}", headers={"Content-Type": "text/plain"})
    assert_regular_error(response, 415)
    assert sandbox.vouchers() == []


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]"])
def test_malformed_json_answers_400(api, raw):
    response = api.post("/v1/vouchers", data=raw, headers={"Content-Type": "application/json"})
    assert_regular_error(response, 400)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2023-06-28", "2023-06-28T00:00:00.000+02:00"),
        ("2026-01-15", "2026-01-15T00:00:00.000+01:00"),
        ("2026-03-29", "2026-03-29T00:00:00.000+01:00"),
    ],
)
def test_get_answers_dates_at_berlin_midnight(api, day, expected):
    voucher_id = api.post("/v1/vouchers", json=voucher(voucherDate=day)).json()["id"]
    body = api.get(f"/v1/vouchers/{voucher_id}").json()
    assert body["voucherDate"] == expected
    assert body["dueDate"] == expected
    assert body["files"] == []
    assert body["version"] == 0
    assert body["voucherStatus"] == "open"


def test_get_unknown_or_foreign_voucher_is_404(api, sandbox):
    voucher_id = api.post("/v1/vouchers", json=voucher()).json()["id"]
    sandbox.add_organization("Andere GmbH", api_key="other-key")
    other = type(api)(sandbox.url, "other-key")
    assert_regular_error(other.get(f"/v1/vouchers/{voucher_id}"), 404)
    assert_regular_error(api.get("/v1/vouchers/00000000-0000-0000-0000-000000000000"), 404)


def test_put_needs_the_current_version(api, sandbox):
    voucher_id = api.post("/v1/vouchers", json=voucher()).json()["id"]
    changed = voucher(remark="korrigiert", version=0)
    response = api.put(f"/v1/vouchers/{voucher_id}", json=changed)
    assert response.status_code == 200
    assert response.json()["version"] == 1
    assert sandbox.vouchers()[0]["remark"] == "korrigiert"
    stale = api.put(f"/v1/vouchers/{voucher_id}", json=voucher(remark="alt", version=0))
    assert_regular_error(stale, 409)
    assert sandbox.vouchers()[0]["remark"] == "korrigiert"


def test_put_is_validated_like_post(api):
    voucher_id = api.post("/v1/vouchers", json=voucher()).json()["id"]
    bad = voucher(totalGrossAmount=120.0, version=0)
    assert ("invalid_total_amount", "totalGrossAmount") in issues(
        api.put(f"/v1/vouchers/{voucher_id}", json=bad)
    )
    assert ("missing_entity", "version") in issues(
        api.put(f"/v1/vouchers/{voucher_id}", json=voucher())
    )


def test_put_is_refused_for_paid_vouchers(api, sandbox):
    voucher_id = api.post("/v1/vouchers", json=voucher()).json()["id"]
    sandbox.mark_paid(voucher_id)
    paid = api.get(f"/v1/vouchers/{voucher_id}").json()
    response = api.put(
        f"/v1/vouchers/{voucher_id}", json=voucher(remark="zu spät", version=paid["version"])
    )
    assert ("invalid_value", "voucherStatus") in issues(response)
    assert sandbox.vouchers()[0]["remark"] is None


def test_payments_follow_the_paid_state(api, sandbox):
    voucher_id = api.post("/v1/vouchers", json=voucher()).json()["id"]
    open_payment = api.get(f"/v1/payments/{voucher_id}").json()
    assert open_payment["openAmount"] == 119.0
    assert open_payment["paymentStatus"] == "openRevenue"
    assert open_payment["currency"] == "EUR"
    assert "paidDate" not in open_payment
    sandbox.mark_paid(voucher_id)
    paid = api.get(f"/v1/payments/{voucher_id}").json()
    assert paid["openAmount"] == 0
    assert paid["paymentStatus"] == "balanced"
    assert paid["voucherStatus"] == "paid"
    assert paid["paidDate"]
    assert paid["paymentItems"][0]["amount"] == 119.0
    assert_regular_error(api.get("/v1/payments/00000000-0000-0000-0000-000000000000"), 404)


def test_posting_categories_answer_the_documented_ids(api):
    categories = {c["id"]: c for c in api.get("/v1/posting-categories").json()}
    assert categories[KLEINUNTERNEHMER]["type"] == "income"
    assert OLD_KLEINUNTERNEHMER not in categories
    assert categories[INTRA_EU]["contactRequired"] is True
    assert categories[INTRA_EU]["splitAllowed"] is False
    assert categories[SERVICES]["contactRequired"] is False
    assert categories[OUTGO]["type"] == "outgo"
    assert set(categories[GOODS]) == {
        "id",
        "name",
        "type",
        "contactRequired",
        "splitAllowed",
        "groupName",
    }


OSS_ABROAD = "4ebd965a-7126-416c-9d8c-a5c9366ee473"
OSS_ABROAD_SERVICES = "7ecea006-844c-4c98-a02d-aa3142640dd5"


def test_tax_is_checked_per_item_not_per_rate_column(api, sandbox):
    sandbox.configure(repeated_items=True)
    # Each item is a cent and a half off, though the 19 % column adds up: refused.
    column_right = voucher(
        totalGrossAmount=238.0,
        totalTaxAmount=38.0,
        voucherItems=[item(100.0, 20.5), item(100.0, 17.5, category=SERVICES)],
    )
    assert issues(api.post("/v1/vouchers", json=column_right)) == {
        ("invalid_taxamount", "voucherItems[0].taxAmount"),
        ("invalid_taxamount", "voucherItems[1].taxAmount"),
    }
    # Each item is within a cent, though the column is two cents off: accepted.
    column_off = voucher(
        totalGrossAmount=345.02,
        totalTaxAmount=45.02,
        voucherItems=[
            item(100.0, 7.0, rate=7),
            item(100.0, 19.01),
            item(100.0, 19.01, category=SERVICES),
        ],
    )
    assert api.post("/v1/vouchers", json=column_off).status_code == 200


# Five lines at 19 % rounded per line (the issue's example): 2,456.80 net, 466.78 tax,
# where 19 % of the net is 466.792.
PER_LINE_NET, PER_LINE_TAX = 2456.8, 466.78


def per_line_example(tax_type="net"):
    amount = PER_LINE_NET if tax_type == "net" else round(PER_LINE_NET + PER_LINE_TAX, 2)
    return voucher(
        taxType=tax_type,
        totalGrossAmount=round(PER_LINE_NET + PER_LINE_TAX, 2),
        totalTaxAmount=PER_LINE_TAX,
        voucherItems=[item(amount, PER_LINE_TAX)],
    )


@pytest.mark.parametrize("tax_type", ["net", "gross"])
def test_strict_tolerance_by_default_compares_with_the_exact_product(api, sandbox, tax_type):
    # 466.792 - 466.78 = 0.012 (net); 2923.58 x 19 / 119 = 466.7902..., 0.0102 (gross).
    assert issues(api.post("/v1/vouchers", json=per_line_example(tax_type))) == {
        ("invalid_taxamount", "voucherItems[0].taxAmount")
    }
    assert sandbox.vouchers() == []


@pytest.mark.parametrize("tax_type", ["net", "gross"])
def test_lenient_tolerance_rounds_the_product_first(api, sandbox, tax_type):
    sandbox.configure(tax_tolerance="lenient")
    # round(466.792) = 466.79: a cent from 466.78.
    assert api.post("/v1/vouchers", json=per_line_example(tax_type)).status_code == 200
    # Two cents off the rounded product stays refused.
    two_off = voucher(
        totalGrossAmount=119.02, totalTaxAmount=19.02, voucherItems=[item(100.0, 19.02)]
    )
    assert issues(api.post("/v1/vouchers", json=two_off)) == {
        ("invalid_taxamount", "voucherItems[0].taxAmount")
    }


def test_strict_tolerance_keeps_a_cent_on_the_exact_product(api):
    # 100.05 x 19 % = 19.0095: 19.00 and 19.01 are within a cent, 18.99 is not.
    for tax, status in ((19.0, 200), (19.01, 200), (18.99, 406)):
        body = voucher(
            totalGrossAmount=round(100.05 + tax, 2),
            totalTaxAmount=tax,
            voucherItems=[item(100.05, tax)],
        )
        assert api.post("/v1/vouchers", json=body).status_code == status, tax


def test_repeated_items_are_refused_by_default(api, sandbox):
    body = voucher(
        totalGrossAmount=238.0,
        totalTaxAmount=38.0,
        voucherItems=[item(100.0, 19.0), item(100.0, 19.0)],
    )
    assert issues(api.post("/v1/vouchers", json=body)) == {("invalid_value", "voucherItems[1]")}
    sandbox.configure(repeated_items=True)
    assert api.post("/v1/vouchers", json=body).status_code == 200
    assert len(sandbox.vouchers()[0]["voucherItems"]) == 2


def test_the_example_split_into_exact_items_passes_only_where_repeated_items_are(api, sandbox):
    # 304.64 x 2 + 175.01 x 7 at 19 % (tax 115.76 + 232.76) and the other three lines.
    split = voucher(
        totalGrossAmount=2923.58,
        totalTaxAmount=466.78,
        voucherItems=[item(1834.35, 348.52), item(622.45, 118.26)],
    )
    assert issues(api.post("/v1/vouchers", json=split)) == {("invalid_value", "voucherItems[1]")}
    sandbox.configure(repeated_items=True)
    assert api.post("/v1/vouchers", json=split).status_code == 200


def test_the_switches_are_set_over_http_too(api, sandbox):
    base = f"{sandbox.url}/_sandbox/config"
    answer = requests.post(
        base, json={"tax_tolerance": "lenient", "repeated_items": True}, timeout=5
    )
    assert answer.status_code == 200
    assert (sandbox.settings.tax_tolerance, sandbox.settings.repeated_items) == ("lenient", True)
    assert api.post("/v1/vouchers", json=per_line_example()).status_code == 200
    requests.post(base, json={"tax_tolerance": "strict", "repeated_items": False}, timeout=5)
    assert (sandbox.settings.tax_tolerance, sandbox.settings.repeated_items) == ("strict", False)
    assert api.post("/v1/vouchers", json=per_line_example()).status_code == 406


def test_an_unknown_tolerance_is_refused(sandbox):
    with pytest.raises(ValueError):
        sandbox.configure(tax_tolerance="generous")


@pytest.mark.parametrize(
    ("category", "rate", "tax"),
    [(OSS_ABROAD, 20, 20.0), (OSS_ABROAD, 5.5, 5.5), (OSS_ABROAD_SERVICES, 21, 21.0)],
)
def test_other_eu_rates_only_in_the_categories_taxed_abroad(api, sandbox, category, rate, tax):
    body = voucher(
        useCollectiveContact=False,
        contactId=customer_id(api),
        totalGrossAmount=100.0 + tax,
        totalTaxAmount=tax,
        voucherItems=[item(100.0, tax, rate=rate, category=category)],
    )
    assert api.post("/v1/vouchers", json=body).status_code == 200
    assert sandbox.vouchers()[0]["voucherItems"][0]["taxRatePercent"] == rate
    for elsewhere in (GOODS, OSS_DISTANCE):
        body["voucherItems"][0]["categoryId"] = elsewhere
        assert ("invalid_value", "voucherItems[0].taxRatePercent") in issues(
            api.post("/v1/vouchers", json=body)
        )


@pytest.mark.parametrize("rate", [15, 19.5, 100])
def test_no_eu_country_has_this_rate(api, rate):
    body = voucher(
        useCollectiveContact=False,
        contactId=customer_id(api),
        voucherItems=[item(100.0, 19.0, rate=rate, category=OSS_ABROAD)],
    )
    assert ("invalid_value", "voucherItems[0].taxRatePercent") in issues(
        api.post("/v1/vouchers", json=body)
    )


def test_kleinunternehmer_id_changed_on_2026_04_28(api, sandbox):
    def kleinunternehmer_ids():
        listed = {c["id"] for c in api.get("/v1/posting-categories").json()}
        return listed & {KLEINUNTERNEHMER, OLD_KLEINUNTERNEHMER}

    def post_with(category):
        body = voucher(
            totalGrossAmount=50.0,
            totalTaxAmount=0.0,
            voucherItems=[item(50.0, 0.0, rate=0, category=category)],
        )
        return api.post("/v1/vouchers", json=body)

    sandbox.configure(today="2026-04-27")
    assert kleinunternehmer_ids() == {OLD_KLEINUNTERNEHMER}
    assert post_with(OLD_KLEINUNTERNEHMER).status_code == 200
    assert ("invalid_value", "voucherItems[0].categoryId") in issues(post_with(KLEINUNTERNEHMER))
    sandbox.configure(today="2026-04-28")
    assert kleinunternehmer_ids() == {KLEINUNTERNEHMER}
    assert post_with(KLEINUNTERNEHMER).status_code == 200
    assert ("invalid_value", "voucherItems[0].categoryId") in issues(
        post_with(OLD_KLEINUNTERNEHMER)
    )


def test_collective_contact_ignores_a_contact_id(api, sandbox):
    body = voucher(contactId="7d2c6b3e-0000-0000-0000-000000000000")
    assert api.post("/v1/vouchers", json=body).status_code == 200
    stored = sandbox.vouchers()[0]
    assert stored["contactId"] is None
    assert stored["useCollectiveContact"] is True


def test_credit_notes_carry_positive_amounts(api):
    body = voucher(
        type="salescreditnote",
        totalGrossAmount=-119.0,
        totalTaxAmount=-19.0,
        voucherItems=[item(-100.0, -19.0)],
    )
    assert {
        ("invalid_value", "totalGrossAmount"),
        ("invalid_value", "totalTaxAmount"),
        ("invalid_value", "voucherItems[0].amount"),
        ("invalid_value", "voucherItems[0].taxAmount"),
    } <= issues(api.post("/v1/vouchers", json=body))


def test_shipping_date_comes_back_at_berlin_midnight_too(api):
    body = voucher(voucherDate="2026-11-02", shippingDate="2026-10-25", dueDate="2026-03-29")
    voucher_id = api.post("/v1/vouchers", json=body).json()["id"]
    read = api.get(f"/v1/vouchers/{voucher_id}").json()
    assert read["shippingDate"] == "2026-10-25T00:00:00.000+02:00"
    assert read["voucherDate"] == "2026-11-02T00:00:00.000+01:00"
    assert read["dueDate"] == "2026-03-29T00:00:00.000+01:00"


def test_deprecated_search_by_number_answers_whole_vouchers(api):
    wanted = api.post("/v1/vouchers", json=voucher(voucherNumber="R<1>&2")).json()["id"]
    api.post("/v1/vouchers", json=voucher(voucherNumber="R<1>&20"))
    response = api.get("/v1/vouchers", params={"voucherNumber": "R&lt;1&gt;&amp;2"})
    assert response.status_code == 200
    [found] = response.json()["content"]
    assert found["id"] == wanted
    assert found["voucherItems"][0]["categoryId"] == GOODS
    assert found["voucherDate"] == "2026-11-24T00:00:00.000+01:00"
    unescaped = api.get("/v1/vouchers", params={"voucherNumber": "R<1>&2"})
    assert unescaped.json()["content"] == []
    assert_regular_error(api.get("/v1/vouchers"), 400)


@pytest.mark.parametrize("status", ["transferred", "voided", "paidoff"])
def test_put_is_refused_for_locked_vouchers(api, sandbox, status):
    voucher_id = api.post("/v1/vouchers", json=voucher()).json()["id"]
    sandbox.set_voucher_status(voucher_id, status)
    current = api.get(f"/v1/vouchers/{voucher_id}").json()
    assert current["voucherStatus"] == status
    response = api.put(
        f"/v1/vouchers/{voucher_id}", json=voucher(remark="zu spät", version=current["version"])
    )
    assert ("invalid_value", "voucherStatus") in issues(response)
    with pytest.raises(ValueError):
        sandbox.set_voucher_status(voucher_id, "lost")


def test_a_new_contact_may_be_unusable_for_a_moment(api, sandbox):
    sandbox.configure(contact_settle_s=0.3)
    body = voucher(useCollectiveContact=False, contactId=customer_id(api))
    assert ("invalid_value", "contactId") in issues(api.post("/v1/vouchers", json=body))
    time.sleep(0.35)
    assert api.post("/v1/vouchers", json=body).status_code == 200


def test_new_contacts_are_usable_at_once_by_default(api):
    body = voucher(useCollectiveContact=False, contactId=customer_id(api))
    assert api.post("/v1/vouchers", json=body).status_code == 200
