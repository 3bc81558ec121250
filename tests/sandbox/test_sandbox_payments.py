"""GET /v1/payments and the controls that book payments: in full, in parts, with a cash
discount (Skonto), by voiding; for invoices and credit notes alike."""

import pytest
import requests
from sandbox_helpers import PDF, assert_regular_error
from voucher_payloads import voucher


def booked(api, **overrides):
    """A new voucher of 119.00 EUR; its id."""
    response = api.post("/v1/vouchers", json=voucher(**overrides))
    assert response.status_code == 200, response.text
    return response.json()["id"]


def payments(api, voucher_id):
    response = api.get(f"/v1/payments/{voucher_id}")
    assert response.status_code == 200, response.text
    return response.json()


def test_an_open_invoice_owes_its_total_and_has_no_items(api):
    answer = payments(api, booked(api))
    assert answer == {
        "openAmount": 119.0,
        "currency": "EUR",
        "paymentStatus": "openRevenue",
        "voucherType": "salesinvoice",
        "voucherStatus": "open",
        "paymentItems": [],
    }


def test_a_part_payment_leaves_the_invoice_open_with_less_to_pay(api, sandbox):
    voucher_id = booked(api)
    sandbox.pay(voucher_id, 19.0, date="2026-11-30")
    answer = payments(api, voucher_id)
    assert answer["openAmount"] == 100.0
    assert answer["voucherStatus"] == "open"
    assert answer["paymentStatus"] == "openRevenue"
    assert "paidDate" not in answer
    assert answer["paymentItems"] == [
        {
            "paymentItemType": "manualPayment",
            "postingDate": "2026-11-30T00:00:00.000+01:00",
            "amount": 19.0,
            "currency": "EUR",
        }
    ]


def test_several_part_payments_add_up_to_paid_exactly(api, sandbox):
    voucher_id = booked(api)
    for amount, day in [(33.33, "2026-12-01"), (33.33, "2026-12-02"), (52.34, "2026-12-03")]:
        sandbox.pay(voucher_id, amount, date=day)
    answer = payments(api, voucher_id)
    assert answer["openAmount"] == 0
    assert answer["voucherStatus"] == "paid"
    assert answer["paymentStatus"] == "balanced"
    assert answer["paidDate"] == "2026-12-03T00:00:00.000+01:00"
    assert [item["amount"] for item in answer["paymentItems"]] == [33.33, 33.33, 52.34]


def test_a_cash_discount_settles_the_invoice_as_paid_off(api, sandbox):
    voucher_id = booked(api)
    sandbox.pay_with_discount(voucher_id, 116.62, 2.38, date="2026-12-01")
    answer = payments(api, voucher_id)
    assert answer["voucherStatus"] == "paidoff"
    assert answer["openAmount"] == 0
    assert answer["paymentStatus"] == "balanced"
    assert answer["paidDate"] == "2026-12-01T00:00:00.000+01:00"
    kinds = [(item["paymentItemType"], item["amount"]) for item in answer["paymentItems"]]
    assert kinds == [("manualPayment", 116.62), ("cashDiscount", 2.38)]


def test_a_cash_discount_must_settle_what_is_open(api, sandbox):
    voucher_id = booked(api)
    with pytest.raises(ValueError, match="settles"):
        sandbox.pay_with_discount(voucher_id, 100.0, 2.38)
    assert payments(api, voucher_id)["paymentItems"] == []


def test_a_voided_invoice_owes_nothing_and_takes_no_more_payment(api, sandbox):
    voucher_id = booked(api)
    sandbox.pay(voucher_id, 19.0)
    sandbox.void_voucher(voucher_id)
    answer = payments(api, voucher_id)
    assert answer["voucherStatus"] == "voided"
    assert answer["openAmount"] == 0
    assert answer["paymentStatus"] == "balanced"
    assert "paidDate" not in answer
    assert len(answer["paymentItems"]) == 1
    with pytest.raises(ValueError, match="voided"):
        sandbox.pay(voucher_id, 1.0)
    with pytest.raises(ValueError, match="voided"):
        sandbox.void_voucher(voucher_id)


@pytest.mark.parametrize("amount", [119.01, 0, -5.0])
def test_no_payment_beyond_what_is_open_or_below_a_cent(api, sandbox, amount):
    voucher_id = booked(api)
    with pytest.raises(ValueError):
        sandbox.pay(voucher_id, amount)
    assert payments(api, voucher_id)["openAmount"] == 119.0


def test_a_paid_invoice_takes_no_more_payment(api, sandbox):
    voucher_id = booked(api)
    sandbox.pay(voucher_id)
    with pytest.raises(ValueError, match="paid"):
        sandbox.pay(voucher_id, 1.0)


def test_a_credit_note_is_settled_the_same_way(api, sandbox):
    voucher_id = booked(api, voucher_type="salescreditnote", number="GS-1")
    first = payments(api, voucher_id)
    assert first["openAmount"] == 119.0
    assert first["paymentStatus"] == "openExpense"
    sandbox.pay(voucher_id, 100.0, item_type="creditNote")
    assert payments(api, voucher_id)["openAmount"] == 19.0
    sandbox.pay(voucher_id)
    answer = payments(api, voucher_id)
    assert answer["voucherType"] == "salescreditnote"
    assert answer["voucherStatus"] == "paid"
    assert answer["openAmount"] == 0
    assert [item["paymentItemType"] for item in answer["paymentItems"]] == [
        "creditNote",
        "manualPayment",
    ]


def test_an_unchecked_voucher_has_no_payment_information(api):
    api.post("/v1/files", files={"file": ("scan.pdf", PDF)}, data={"type": "voucher"})
    [voucher_id] = [
        entry["id"]
        for entry in api.get(
            "/v1/voucherlist", params={"voucherType": "any", "voucherStatus": "unchecked"}
        ).json()["content"]
    ]
    response = api.get(f"/v1/payments/{voucher_id}")
    assert response.status_code == 404
    assert response.json() == {
        "IssueList": [
            {
                "i18nKey": "no_payment_information",
                "source": "voucherId",
                "type": "validation_failure",
            }
        ]
    }
    assert_regular_error(api.get("/v1/payments/00000000-0000-0000-0000-000000000000"), 404)


def test_payment_items_stay_out_of_the_voucher_and_survive_its_update(api, sandbox):
    voucher_id = booked(api)
    sandbox.pay(voucher_id, 19.0)
    current = api.get(f"/v1/vouchers/{voucher_id}").json()
    assert "paymentItems" not in current
    response = api.put(
        f"/v1/vouchers/{voucher_id}", json=voucher(remark="korrigiert", version=current["version"])
    )
    assert response.status_code == 200, response.text
    assert payments(api, voucher_id)["openAmount"] == 100.0


def test_controls_over_http_pay_part_discount_and_void(api, sandbox):
    part, discounted, voided = booked(api), booked(api), booked(api)
    control = sandbox.url + "/_sandbox/"
    assert requests.post(control + "pay", json={"voucherId": part, "amount": 19}, timeout=5).ok
    assert requests.post(
        control + "pay",
        json={"voucherId": discounted, "amount": 116.62, "discount": 2.38, "date": "2026-12-01"},
        timeout=5,
    ).ok
    assert requests.post(control + "void", json={"voucherId": voided}, timeout=5).ok
    assert payments(api, part)["openAmount"] == 100.0
    assert payments(api, discounted)["voucherStatus"] == "paidoff"
    assert payments(api, voided)["voucherStatus"] == "voided"
    refused = requests.post(control + "pay", json={"voucherId": voided}, timeout=5)
    assert refused.status_code == 400
    unknown = requests.post(control + "void", json={"voucherId": "nope"}, timeout=5)
    assert unknown.status_code == 404


def test_the_voucher_page_pays_in_parts_with_skonto_and_voids(api, sandbox):
    part, discounted, voided = booked(api), booked(api), booked(api)
    page = sandbox.url + "/vouchers/"

    def click(voucher_id, action, **form):
        response = requests.post(
            f"{page}{voucher_id}/{action}", data=form, allow_redirects=False, timeout=5
        )
        assert response.status_code == 303, response.text
        assert response.headers["Location"] == "/"

    click(part, "pay", amount="19,00")
    click(discounted, "pay", amount="116.62", discount="2,38")
    click(voided, "void")
    assert payments(api, part)["openAmount"] == 100.0
    assert payments(api, discounted)["voucherStatus"] == "paidoff"
    assert payments(api, voided)["voucherStatus"] == "voided"
    html = requests.get(sandbox.url + "/", timeout=5).text
    assert html.count('class="pay-full"') == 1  # only the part-paid invoice is still open
    assert "100.00" in html
    refused = requests.post(f"{page}{voided}/pay", data={}, allow_redirects=False, timeout=5)
    assert refused.status_code == 400


def test_a_payment_taken_back_is_owed_again_and_takes_its_skonto_with_it(api, sandbox):
    part, discounted = booked(api), booked(api)
    sandbox.pay(part, 19.0, date="2026-11-30")
    sandbox.pay(part, date="2026-12-01")
    sandbox.pay_with_discount(discounted, 116.62, 2.38, date="2026-12-01")
    sandbox.take_back_payment(part)
    control = sandbox.url + "/_sandbox/take-back"
    assert requests.post(control, json={"voucherId": discounted}, timeout=5).ok
    answer = payments(api, part)
    assert (answer["voucherStatus"], answer["openAmount"]) == ("open", 100.0)
    assert [item["amount"] for item in answer["paymentItems"]] == [19.0]
    assert "paidDate" not in answer
    answer = payments(api, discounted)
    assert (answer["voucherStatus"], answer["openAmount"]) == ("open", 119.0)
    assert answer["paymentItems"] == []
    listed = api.get(
        "/v1/voucherlist",
        params={"voucherType": "salesinvoice", "voucherStatus": "open"},
    ).json()["content"]
    assert {entry["id"]: entry["openAmount"] for entry in listed} == {
        part: 100.0,
        discounted: 119.0,
    }
    refused = requests.post(control, json={"voucherId": discounted}, timeout=5)
    assert refused.status_code == 400
