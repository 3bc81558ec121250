"""The typed calls against the sandbox over real HTTP."""

import datetime

import pytest
from client_helpers import SERVICES
from voucher_payloads import voucher

import lexware.client
import lexware_sandbox.search
from lexware import ApiKeyAuth, LexwareAuthError, LexwareClient, LexwarePermanentError
from lexware.client import _months

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def company(name, email=None):
    payload = {"version": 0, "roles": {"customer": {}}, "company": {"name": name}}
    if email:
        payload["emailAddresses"] = {"business": [email]}
    return payload


def test_profile_and_posting_categories(client):
    assert client.get_profile()["organizationId"]
    categories = client.get_posting_categories()
    assert SERVICES in {category["id"] for category in categories}


def test_voucher_round_trip(client):
    stub = client.create_voucher(voucher("RE-2024-0001", date="2024-05-10"))
    booked = client.get_voucher(stub["id"])
    assert booked["voucherNumber"] == "RE-2024-0001"
    assert booked["voucherDate"].startswith("2024-05-10")

    update = {**voucher("RE-2024-0001", net=200.0), "version": booked["version"]}
    client.update_voucher(stub["id"], update)
    assert client.get_voucher(stub["id"])["totalGrossAmount"] == 238.0

    assert client.upload_voucher_file(stub["id"], "RE-2024-0001.pdf", PDF)["id"]
    assert client.get_payments(stub["id"])["openAmount"] == 238.0


def test_stale_put_is_permanent_409(client):
    stub = client.create_voucher(voucher("RE-STALE"))
    stale = {**voucher("RE-STALE", net=50.0), "version": stub["version"]}
    client.update_voucher(stub["id"], stale)
    with pytest.raises(LexwarePermanentError) as caught:
        client.update_voucher(stub["id"], stale)
    assert caught.value.status == 409


def test_validation_failure_reads_as_issues(client):
    payload = voucher("RE-BAD")
    payload["voucherItems"][0]["taxAmount"] = 1.0
    with pytest.raises(LexwarePermanentError) as caught:
        client.create_voucher(payload)
    assert caught.value.status == 406
    assert ("voucherItems[0].taxAmount", "invalid_taxamount") in caught.value.issues
    assert "voucherItems[0].taxAmount: invalid_taxamount" in str(caught.value)


def test_unknown_voucher_is_permanent_404(client):
    with pytest.raises(LexwarePermanentError) as caught:
        client.get_voucher("00000000-0000-0000-0000-000000000000")
    assert caught.value.status == 404


NUMBERS = [
    "R&D/2024#1",
    "Rechnung-Ä-ö-ü-ß",
    "A<B>1",
    "50%",
    "R_1",
    "R 1; x=y?z",
]


@pytest.mark.parametrize("number", NUMBERS)
def test_voucher_number_is_found_again_exactly(client, number):
    near = [number + "0", "x" + number, number.replace("_", "X").replace("%", "Y") + "-"]
    for other in near:
        client.create_voucher(voucher(other))
    created = client.create_voucher(voucher(number))
    found = client.find_vouchers_by_number(number)
    assert [voucher["id"] for voucher in found] == [created["id"]]
    assert found[0]["voucherNumber"] == number


def test_unknown_number_finds_nothing(client):
    client.create_voucher(voucher("RE-1"))
    assert client.find_vouchers_by_number("RE-") == []


def test_credit_notes_are_found_by_number_too(client):
    created = client.create_voucher(voucher("GS-1", voucher_type="salescreditnote"))
    assert [v["id"] for v in client.find_vouchers_by_number("GS-1")] == [created["id"]]


def test_voucherlist_walks_pages_and_months(client):
    dates = ["2024-01-15", "2024-01-31", "2024-02-01", "2024-02-29", "2024-03-10"] * 2
    for n, date in enumerate(dates):
        client.create_voucher(voucher(f"P-{n}", date=date))
    found = list(
        client.iter_voucherlist(
            ["salesinvoice"], datetime.date(2024, 1, 20), "2024-03-31", page_size=2
        )
    )
    assert sorted(v["voucherNumber"] for v in found) == sorted(
        f"P-{n}" for n, date in enumerate(dates) if date >= "2024-01-20"
    )


def test_voucherlist_halves_a_month_beyond_lexwares_search_window(client, monkeypatch):
    # Lexware pages through 10,000 entries of one search at most; here 4, to keep it small.
    monkeypatch.setattr(lexware_sandbox.search, "MAX_WINDOW", 4)
    monkeypatch.setattr(lexware.client, "SEARCH_WINDOW", 4)
    numbers = [f"W-{day}" for day in range(1, 10)]
    for day, number in enumerate(numbers, start=1):
        client.create_voucher(voucher(number, date=f"2024-03-{day:02d}"))
    found = list(client.iter_voucherlist(["salesinvoice"], "2024-03-01", "2024-03-31", page_size=2))
    assert sorted(v["voucherNumber"] for v in found) == sorted(numbers)


def test_voucherlist_page_answers_one_page_of_one_search(client):
    for n, date in enumerate(["2024-04-01", "2024-04-02", "2024-04-03", "2024-05-01"]):
        client.create_voucher(voucher(f"Q-{n}", date=date))
    first = client.voucherlist_page("salesinvoice", "2024-04-01", "2024-04-30", 0, page_size=2)
    second = client.voucherlist_page(
        ["salesinvoice"], datetime.date(2024, 4, 1), datetime.date(2024, 4, 30), 1, page_size=2
    )
    assert (first["totalElements"], first["totalPages"], first["last"]) == (3, 2, False)
    assert second["last"] is True
    numbers = [v["voucherNumber"] for v in first["content"] + second["content"]]
    assert sorted(numbers) == ["Q-0", "Q-1", "Q-2"]


def test_contact_create_and_find(client):
    created = client.create_contact(company("Müller & Söhne GmbH", "info@mueller.example"))
    assert client.get_contact(created["id"])["company"]["name"] == "Müller & Söhne GmbH"
    assert [c["id"] for c in client.find_contacts(name="Müller & Söhne")] == [created["id"]]
    assert [c["id"] for c in client.find_contacts(email="info@mueller.example")] == [created["id"]]


def test_contact_search_takes_wildcards_literally(client):
    literal = client.create_contact(company("Shop_100% <Berlin>", "a_b@shop.example"))
    client.create_contact(company("ShopX100X <Berlin>", "axb@shop.example"))
    client.create_contact(company("Shop_1000 <Berlin>", "a_bb@shop.example"))
    assert [c["id"] for c in client.find_contacts(name="Shop_100% <Berlin>")] == [literal["id"]]
    assert [c["id"] for c in client.find_contacts(email="a_b@shop.example")] == [literal["id"]]


def test_contact_search_by_number(client):
    created = client.create_contact(company("Nummer AG"))
    number = client.get_contact(created["id"])["roles"]["customer"]["number"]
    assert [c["id"] for c in client.find_contacts(number=number)] == [created["id"]]


def test_periods_split_at_month_ends():
    months = list(_months(datetime.date(2023, 12, 15), datetime.date(2024, 2, 3)))
    assert months == [
        (datetime.date(2023, 12, 15), datetime.date(2023, 12, 31)),
        (datetime.date(2024, 1, 1), datetime.date(2024, 1, 31)),
        (datetime.date(2024, 2, 1), datetime.date(2024, 2, 3)),
    ]


def test_an_unknown_api_key_is_authorization_lost(fast_sandbox):
    client = LexwareClient(fast_sandbox.url, ApiKeyAuth("not-a-key"), rate=1000.0)
    with pytest.raises(LexwareAuthError) as caught:
        client.get_profile()
    assert caught.value.status == 401
    assert fast_sandbox.counters()["requests"] == 1
