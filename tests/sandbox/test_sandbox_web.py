"""The page at / that the demo and browser tests look at."""

from sandbox_helpers import company
from voucher_payloads import voucher


def test_page_lists_vouchers_newest_first_with_their_figures(api):
    contact_id = api.post("/v1/contacts", json=company("Kunde & Co")).json()["id"]
    api.post("/v1/vouchers", json=voucher(voucherNumber="RE-1"))
    api.post(
        "/v1/vouchers",
        json=voucher(
            voucherNumber="GS-2",
            type="salescreditnote",
            useCollectiveContact=False,
            contactId=contact_id,
        ),
    )
    page = api.get("/")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    html = page.text
    assert html.index("GS-2") < html.index("RE-1")
    assert "Kunde &amp; Co" in html
    assert "Sammelkunde" in html
    assert "Muster Handwerk GmbH" in html
    for figure in ("100.00", "19.00", "119.00", "salescreditnote", "open"):
        assert figure in html


def test_page_escapes_what_clients_sent(api):
    api.post("/v1/vouchers", json=voucher(voucherNumber="<script>alert(1)</script>"))
    html = api.get("/").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_permalink_shows_the_one_voucher_it_names(api):
    first = api.post("/v1/vouchers", json=voucher(voucherNumber="RE-10")).json()["id"]
    api.post("/v1/vouchers", json=voucher(voucherNumber="RE-11"))
    page = api.get(f"/permalink/vouchers/view/{first}")
    assert page.status_code == 200
    assert "RE-10" in page.text
    assert "RE-11" not in page.text
    assert api.get("/permalink/vouchers/view/unknown").status_code == 404
