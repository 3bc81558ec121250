"""GET /v1/voucherlist: mandatory filters, exact escaped numbers, periods, pages."""

import pytest
from sandbox_helpers import assert_regular_error
from voucher_payloads import voucher

ANY = {"voucherType": "any", "voucherStatus": "any"}


def listing(api, **params):
    response = api.get("/v1/voucherlist", params={**ANY, **params})
    assert response.status_code == 200, response.text
    return response.json()


def numbers(page):
    return [entry["voucherNumber"] for entry in page["content"]]


@pytest.mark.parametrize(
    "params",
    [
        {"voucherStatus": "any"},
        {"voucherType": "any"},
        {"voucherType": "bill", "voucherStatus": "any"},
        {"voucherType": "any", "voucherStatus": "lost"},
        {**ANY, "size": "251"},
        {**ANY, "page": "-1"},
        {**ANY, "page": "40", "size": "250"},
        {**ANY, "voucherDateFrom": "01.11.2026"},
    ],
)
def test_refused_queries_answer_400(api, params):
    assert_regular_error(api.get("/v1/voucherlist", params=params), 400)


def test_search_window_ends_at_ten_thousand(api):
    assert listing(api, page=39, size=250)["content"] == []
    body = assert_regular_error(
        api.get("/v1/voucherlist", params={**ANY, "page": 40, "size": 250}), 400
    )
    assert body["message"] == "Maximum search window size exceeded"


def test_entries_carry_what_a_connector_needs(api, sandbox):
    voucher_id = api.post("/v1/vouchers", json=voucher(voucherDate="2026-07-01")).json()["id"]
    [entry] = listing(api, voucherNumber="RE-2026-0001")["content"]
    assert entry["id"] == voucher_id
    assert entry["voucherType"] == "salesinvoice"
    assert entry["voucherStatus"] == "open"
    assert entry["voucherDate"] == "2026-07-01T00:00:00.000+02:00"
    assert entry["totalAmount"] == 119.0
    assert entry["openAmount"] == 119.0
    assert entry["currency"] == "EUR"
    assert entry["contactName"] == "Sammelkunde"
    assert entry["archived"] is False
    sandbox.mark_paid(voucher_id)
    assert listing(api, voucherStatus="paid")["content"][0]["openAmount"] == 0
    assert listing(api, voucherStatus="open")["content"] == []


def test_number_matches_exactly_after_html_escaping(api):
    api.post("/v1/vouchers", json=voucher(voucherNumber="R&D-1"))
    api.post("/v1/vouchers", json=voucher(voucherNumber="R&D-10"))
    assert numbers(listing(api, voucherNumber="R&amp;D-1")) == ["R&D-1"]
    assert listing(api, voucherNumber="R&D-1")["content"] == []


def test_type_filter_takes_a_comma_list(api):
    api.post("/v1/vouchers", json=voucher(voucherNumber="RE-1"))
    api.post("/v1/vouchers", json=voucher(voucherNumber="GS-1", type="salescreditnote"))
    assert numbers(listing(api, voucherType="salescreditnote")) == ["GS-1"]
    both = listing(api, voucherType="salesinvoice,salescreditnote")
    assert sorted(numbers(both)) == ["GS-1", "RE-1"]


def test_period_is_whole_days_and_order_is_by_date(api):
    for number, day in [
        ("C", "2026-11-30"),
        ("A", "2026-11-01"),
        ("X", "2026-12-01"),
        ("B", "2026-11-01"),
    ]:
        api.post("/v1/vouchers", json=voucher(voucherNumber=number, voucherDate=day))
    november = listing(api, voucherDateFrom="2026-11-01", voucherDateTo="2026-11-30")
    assert numbers(november) == ["A", "B", "C"]


def test_pages_walk_the_result(api):
    for n in range(5):
        api.post("/v1/vouchers", json=voucher(voucherNumber=f"RE-{n}"))
    page = listing(api, page=2, size=2)
    assert numbers(page) == ["RE-4"]
    assert page["last"] is True and page["first"] is False
    assert page["totalElements"] == 5 and page["totalPages"] == 3
    assert page["numberOfElements"] == 1 and page["size"] == 2 and page["number"] == 2


def test_status_filter_takes_a_comma_list_and_entries_carry_the_open_amount(api, sandbox):
    ids = {
        number: api.post("/v1/vouchers", json=voucher(voucherNumber=number)).json()["id"]
        for number in ("OPEN", "PART", "PAID", "SKONTO", "VOID")
    }
    sandbox.pay(ids["PART"], 19.0)
    sandbox.pay(ids["PAID"])
    sandbox.pay_with_discount(ids["SKONTO"], 116.62, 2.38)
    sandbox.void_voucher(ids["VOID"])
    entries = {e["voucherNumber"]: e for e in listing(api, voucherStatus="any")["content"]}
    assert {n: (e["voucherStatus"], e["openAmount"]) for n, e in entries.items()} == {
        "OPEN": ("open", 119.0),
        "PART": ("open", 100.0),
        "PAID": ("paid", 0),
        "SKONTO": ("paidoff", 0),
        "VOID": ("voided", 0),
    }
    assert sorted(numbers(listing(api, voucherStatus="paid,paidoff"))) == ["PAID", "SKONTO"]
    assert sorted(numbers(listing(api, voucherStatus="open,voided"))) == ["OPEN", "PART", "VOID"]
    everything = "open,paid,paidoff,voided,transferred,sepadebit"
    assert len(listing(api, voucherStatus=everything)["content"]) == 5


def test_overdue_is_open_and_past_due_and_only_asked_alone(api, sandbox):
    for number, due in [("LATE", "2026-01-31"), ("LATE-PAID", "2026-01-31"), ("DUE", "2099-12-31")]:
        voucher_id = api.post(
            "/v1/vouchers",
            json=voucher(voucherNumber=number, voucherDate="2026-01-02", dueDate=due),
        ).json()["id"]
        if number == "LATE-PAID":
            sandbox.pay(voucher_id)
    assert numbers(listing(api, voucherStatus="overdue")) == ["LATE"]
    body = assert_regular_error(
        api.get("/v1/voucherlist", params={**ANY, "voucherStatus": "open,overdue"}), 400
    )
    assert "overdue" in body["message"]
