"""`LexwareClient.payments` and the voucherlist's entries: what Lexware says was paid."""

import datetime
from decimal import Decimal

import pytest
import requests
from client_helpers import API_KEY
from voucher_payloads import voucher

from lexware import LexwarePermanentError, LexwareUnexpectedAnswerError
from lexware.payments import CASH_DISCOUNT, CREDIT_NOTE, PAYMENT, parse_payments
from lexware.voucherlist import parse_entry, status_param


def booked(client, number="RE-1", **kwargs):
    return client.create_voucher(voucher(number, **kwargs))["id"]


def test_an_open_invoice_owes_its_total(client):
    answer = client.payments(booked(client))
    assert answer.open_amount == Decimal("119.00")
    assert answer.voucher_status == "open"
    assert answer.payment_status == "openRevenue"
    assert not answer.balanced
    assert answer.paid_date is None
    assert answer.items == ()


def test_part_payments_then_a_cash_discount(client, fast_sandbox):
    voucher_id = booked(client)
    fast_sandbox.pay(voucher_id, 50.0, date="2026-11-28")
    part = client.payments(voucher_id)
    assert part.open_amount == Decimal("69.00")
    assert part.voucher_status == "open"
    fast_sandbox.pay(voucher_id, 66.62, date="2026-11-29")
    fast_sandbox.pay_with_discount(voucher_id, 0.4, 1.98, date="2026-11-30")
    answer = client.payments(voucher_id)
    assert answer.voucher_status == "paidoff"
    assert answer.balanced
    assert answer.open_amount == Decimal("0.00")
    assert answer.paid_date == datetime.date(2026, 11, 30)
    assert [(item.kind, item.amount, item.posting_date) for item in answer.items] == [
        (PAYMENT, Decimal("50.00"), datetime.date(2026, 11, 28)),
        (PAYMENT, Decimal("66.62"), datetime.date(2026, 11, 29)),
        (PAYMENT, Decimal("0.40"), datetime.date(2026, 11, 30)),
        (CASH_DISCOUNT, Decimal("1.98"), datetime.date(2026, 11, 30)),
    ]
    assert sum(item.amount for item in answer.items) == Decimal("119.00")


def test_a_credit_note_set_off_and_a_void(client, fast_sandbox):
    credit_note = booked(client, "GS-1", voucher_type="salescreditnote")
    fast_sandbox.pay(credit_note, item_type="creditNote")
    settled = client.payments(credit_note)
    assert (settled.voucher_type, settled.voucher_status) == ("salescreditnote", "paid")
    assert [(item.kind, item.raw_type) for item in settled.items] == [(CREDIT_NOTE, "creditNote")]
    voided = booked(client, "RE-2")
    fast_sandbox.void_voucher(voided)
    answer = client.payments(voided)
    assert (answer.voucher_status, answer.open_amount, answer.items) == (
        "voided",
        Decimal("0.00"),
        (),
    )


@pytest.mark.parametrize("which", ["unchecked", "unknown"])
def test_no_payment_information_is_a_permanent_404(client, fast_sandbox, which):
    voucher_id = "00000000-0000-0000-0000-000000000000"
    if which == "unchecked":
        scanned = requests.post(
            fast_sandbox.url + "/v1/files",
            headers={"Authorization": f"Bearer {API_KEY}"},
            files={"file": ("scan.pdf", b"%PDF-1.4\n% scan\n")},
            data={"type": "voucher"},
            timeout=5,
        )
        assert scanned.status_code == 202
        [voucher_id] = [doc["id"] for doc in fast_sandbox.vouchers()]
    with pytest.raises(LexwarePermanentError) as caught:
        client.payments(voucher_id)
    assert caught.value.status == 404


def test_every_item_kind_is_read_and_unknown_ones_count_as_payments():
    answer = parse_payments(
        {
            "openAmount": 0,
            "currency": "EUR",
            "paymentStatus": "balanced",
            "voucherType": "salesinvoice",
            "voucherStatus": "paidoff",
            "paidDate": "2026-03-31T00:00:00.000+02:00",
            "paymentItems": [
                {
                    "paymentItemType": "manualPayment",
                    "postingDate": "2026-03-30T00:00:00.000+02:00",
                    "amount": 100.1,
                    "currency": "EUR",
                },
                {
                    "paymentItemType": "cashDiscount",
                    "postingDate": "2026-03-31T00:00:00.000+02:00",
                    "amount": 2,
                    "currency": "EUR",
                },
                {
                    "paymentItemType": "creditNote",
                    "postingDate": "2026-03-31",
                    "amount": "10.50",
                    "currency": "EUR",
                },
                {
                    "paymentItemType": "somethingNew",
                    "postingDate": "2026-03-31T00:00:00.000+02:00",
                    "amount": 6.4,
                    "currency": "EUR",
                },
            ],
        }
    )
    assert answer.paid_date == datetime.date(2026, 3, 31)
    assert [(i.kind, i.raw_type, i.amount) for i in answer.items] == [
        (PAYMENT, "manualPayment", Decimal("100.10")),
        (CASH_DISCOUNT, "cashDiscount", Decimal("2.00")),
        (CREDIT_NOTE, "creditNote", Decimal("10.50")),
        (PAYMENT, "somethingNew", Decimal("6.40")),
    ]
    # The date part is Berlin's day, also when that is the previous day in UTC.
    assert answer.items[0].posting_date == datetime.date(2026, 3, 30)


@pytest.mark.parametrize(
    "broken",
    [
        [],
        {"openAmount": "much", "voucherType": "x", "voucherStatus": "x", "paymentStatus": "x"},
        {"openAmount": 1, "voucherStatus": "open", "paymentStatus": "openRevenue"},
        {
            "openAmount": 1,
            "voucherType": "salesinvoice",
            "voucherStatus": "open",
            "paymentStatus": "openRevenue",
            "paymentItems": [{"paymentItemType": "manualPayment", "amount": 1}],
        },
    ],
)
def test_a_malformed_answer_is_an_unexpected_answer(broken):
    with pytest.raises(LexwareUnexpectedAnswerError):
        parse_payments(broken)


def test_voucherlist_entries_carry_status_and_open_amount(client, fast_sandbox):
    paid, part, open_one = (booked(client, f"RE-{n}", date="2026-10-0" + str(n)) for n in (1, 2, 3))
    fast_sandbox.pay(paid)
    fast_sandbox.pay(part, 19.0)
    entries = list(
        client.iter_voucher_entries("salesinvoice", "2026-10-01", "2026-10-31", status="any")
    )
    assert [(e.id, e.voucher_status, e.open_amount) for e in entries] == [
        (paid, "paid", Decimal("0.00")),
        (part, "open", Decimal("100.00")),
        (open_one, "open", Decimal("119.00")),
    ]
    assert entries[0].voucher_date == datetime.date(2026, 10, 1)
    assert entries[0].total_amount == Decimal("119.00")
    only_open = client.iter_voucher_entries(
        ["salesinvoice"], "2026-10-01", "2026-10-31", status=("open", "paidoff")
    )
    assert [e.id for e in only_open] == [part, open_one]
    page = client.voucherlist_page("salesinvoice", "2026-10-01", "2026-10-31", 0, status="paid")
    assert [parse_entry(e).id for e in page["content"]] == [paid]


def test_overdue_is_asked_alone(client):
    booked(client, "RE-LATE", date="2026-01-05", dueDate="2026-01-20")
    booked(client, "RE-DUE", date="2026-01-06", dueDate="2099-01-20")
    late = client.iter_voucher_entries("salesinvoice", "2026-01-01", "2026-01-31", "overdue")
    assert [e.voucher_number for e in late] == ["RE-LATE"]
    with pytest.raises(ValueError, match="overdue"):
        list(client.iter_voucherlist("salesinvoice", "2026-01-01", "2026-01-31", "open,overdue"))
    assert status_param(["open", " paid"]) == "open,paid"
    assert status_param("any") == "any"
