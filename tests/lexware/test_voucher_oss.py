"""build_voucher for the One-Stop-Shop: another EU member state's VAT rate goes in only
in the OSS categories taxed in the customer's country; every other category keeps
Lexware's German rates 0, 5, 7, 16 and 19 %."""

import json
from datetime import date
from decimal import Decimal

import pytest
import requests

from lexware.errors import LexwareDataError
from lexware.voucher import InvoiceData, VoucherLine, build_voucher

API_KEY = "sandbox-api-key"
REVENUE = "8f8664a1-fd86-11e1-a21f-0800200c9a66"
OSS_GOODS = "4ebd965a-7126-416c-9d8c-a5c9366ee473"
OSS_SERVICES = "7ecea006-844c-4c98-a02d-aa3142640dd5"
D = Decimal


def line(rate, net, tax, category=OSS_GOODS, foreign_rates=True):
    return VoucherLine(D(rate), category, D(net), D(tax), foreign_rates=foreign_rates)


def invoice(*lines, tax_included=False):
    return {
        "number": "RE/2025/00077",
        "is_credit_note": False,
        "invoice_date": date(2025, 3, 14),
        "due_date": None,
        "delivery_date": None,
        "tax_included": tax_included,
        "lines": lines,
        "total_gross": sum(li.net + li.tax for li in lines),
        "contact_id": "contact-1",
        "remark": "Odoo RE/2025/00077",
    }


def built(*lines, **options):
    return json.loads(json.dumps(build_voucher(InvoiceData(**invoice(*lines, **options)))))


def refused(*lines):
    with pytest.raises(LexwareDataError) as caught:
        build_voucher(InvoiceData(**invoice(*lines)))
    return caught.value


def items(payload):
    return [
        (i["taxRatePercent"], i["categoryId"], i["amount"], i["taxAmount"])
        for i in payload["voucherItems"]
    ]


def test_austrian_20_percent_books_in_the_oss_category():
    payload = built(line(20, "100.00", "20.00"))
    assert items(payload) == [(20, OSS_GOODS, 100.0, 20.0)]
    assert (payload["totalGrossAmount"], payload["totalTaxAmount"]) == (120.0, 20.0)


def test_french_5_5_percent_goes_out_as_a_json_number():
    payload = built(line("5.5000", "200.00", "11.00", OSS_SERVICES))
    assert items(payload) == [(5.5, OSS_SERVICES, 200.0, 11.0)]
    assert '"taxRatePercent": 5.5' in json.dumps(payload)


def test_oss_rate_settles_its_rounding_like_any_other():
    # 50 lines of 0.33 at 20 %, tax rounded per line: 0.07 each, 3.50 in all, where
    # Lexware computes 16.50 x 20 % = 3.30. The gross the customer paid stays.
    lines = [line(20, "0.33", "0.07")] * 50
    data = InvoiceData(**invoice(*lines, tax_included=True))
    payload = build_voucher(data, repeated_items=False)
    ((rate, category, amount, tax),) = items(payload)
    assert (rate, category, amount) == (20, OSS_GOODS, 20.0)
    assert abs(amount * 20 / 120 - tax) <= 0.01
    split = items(build_voucher(data, repeated_items=True))
    assert {(rate, category) for rate, category, _amount, _tax in split} == {(20, OSS_GOODS)}
    assert sum(tax for *_rest, tax in split) == pytest.approx(3.5)
    assert all(abs(amount * 20 / 120 - tax) <= 0.01 for *_rest, amount, tax in split)


def test_oss_and_german_revenue_on_one_invoice():
    payload = built(line(21, "100.00", "21.00"), line(19, "50.00", "9.50", REVENUE, False))
    assert items(payload) == [(21, OSS_GOODS, 100.0, 21.0), (19, REVENUE, 50.0, 9.5)]


@pytest.mark.parametrize("rate", ["20", "5.5", "25.5"])
def test_a_foreign_rate_outside_the_oss_categories_is_refused(rate):
    error = refused(line(rate, "100.00", "1.00", REVENUE, foreign_rates=False))
    assert (error.code, error.params) == ("tax_rate", {"rate": rate})


@pytest.mark.parametrize("rate", ["15", "16.5", "100"])
def test_a_rate_no_eu_country_has_is_refused_in_the_oss_categories(rate):
    error = refused(line(rate, "100.00", "1.00"))
    assert (error.code, error.params) == ("oss_tax_rate", {"rate": rate})
    assert error.reason == (
        "Lexware accepts in its OSS categories the VAT rates of the EU member states only; "
        f"this invoice uses {rate} %."
    )


def test_german_rates_stay_allowed_in_the_oss_categories():
    # Cyprus charges 19 %, Malta 7 %, many countries 5 %.
    payload = built(line(19, "100.00", "19.00"), line(7, "10.00", "0.70"))
    assert items(payload) == [(19, OSS_GOODS, 100.0, 19.0), (7, OSS_GOODS, 10.0, 0.7)]


def test_built_oss_vouchers_are_accepted_by_the_sandbox(sandbox):
    sandbox.configure(rate=1000.0, burst=1000)
    headers = {"Authorization": f"Bearer {API_KEY}"}
    contact = requests.post(
        sandbox.url + "/v1/contacts",
        json={"version": 0, "roles": {"customer": {}}, "person": {"lastName": "Gruber"}},
        headers=headers,
        timeout=10,
    )
    assert contact.status_code == 200, contact.text
    for number, lines in {
        "OSS-AT": (line(20, "100.00", "20.00"),),
        "OSS-CY": (line(19, "100.00", "19.00"),),
        "OSS-FR": (line("5.5", "200.00", "11.00", OSS_SERVICES),),
    }.items():
        payload = built(*lines)
        payload.update(voucherNumber=number, contactId=contact.json()["id"])
        answer = requests.post(
            sandbox.url + "/v1/vouchers", json=payload, headers=headers, timeout=10
        )
        assert answer.status_code == 200, (number, answer.text)
    stored = {v["voucherNumber"]: v["voucherItems"][0] for v in sandbox.vouchers()}
    assert stored["OSS-AT"]["taxRatePercent"] == 20
    assert stored["OSS-FR"]["taxRatePercent"] == 5.5
