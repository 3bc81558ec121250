"""POST /v1/vouchers/{id}/files: the document's rules, deduplication, and serving it."""

import pytest
from sandbox_helpers import PDF, Api, assert_regular_error, issues
from voucher_payloads import voucher

MAX = 5_242_880
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 16
XML = b'<?xml version="1.0"?><Invoice/>'


@pytest.fixture
def voucher_id(api):
    return api.post("/v1/vouchers", json=voucher()).json()["id"]


def upload(api, voucher_id, name, content):
    return api.post(f"/v1/vouchers/{voucher_id}/files", files={"file": (name, content)})


@pytest.mark.parametrize(
    ("name", "content"),
    [("RE-1.pdf", PDF), ("scan.PNG", PNG), ("foto.jpg", JPEG), ("foto.jpeg", JPEG)],
)
def test_accepted_documents_answer_202_with_an_id(api, sandbox, voucher_id, name, content):
    response = upload(api, voucher_id, name, content)
    assert response.status_code == 202
    file_id = response.json()["id"]
    assert api.get(f"/v1/vouchers/{voucher_id}").json()["files"] == [file_id]
    assert sandbox.counters()["files_uploaded"] == 1


def test_same_file_twice_answers_the_existing_id(api, sandbox, voucher_id):
    first = upload(api, voucher_id, "RE-1.pdf", PDF).json()["id"]
    again = upload(api, voucher_id, "nochmal.pdf", PDF)
    assert again.status_code == 202
    assert again.json()["id"] == first
    assert sandbox.vouchers()[0]["files"] == [first]
    other = upload(api, voucher_id, "RE-1.pdf", PDF + b"%%EOF")
    assert other.json()["id"] != first


@pytest.mark.parametrize("name", ["RE-1.txt", "RE-1", "RE-1.xml", "RE-1.pdf.exe"])
def test_other_extensions_are_refused(api, voucher_id, name):
    response = upload(api, voucher_id, name, XML if name.endswith("xml") else PDF)
    assert issues(response) == {("inacceptable_file_extension", "file")}


def test_xml_needs_the_e_invoice_feature(sandbox, api):
    sandbox.add_organization("E-Rechnung GmbH", api_key="e-key", e_invoice=True)
    client = Api(sandbox.url, "e-key")
    voucher_id = client.post("/v1/vouchers", json=voucher()).json()["id"]
    assert upload(client, voucher_id, "RE-1.xml", XML).status_code == 202


def test_content_must_match_the_extension(api, voucher_id):
    assert issues(upload(api, voucher_id, "RE-1.pdf", PNG)) == {("inacceptable_file_type", "file")}


def test_size_limit_is_five_mebibytes(api, sandbox, voucher_id):
    padding = b"\0" * (MAX - len(PDF))
    assert upload(api, voucher_id, "gross.pdf", PDF + padding).status_code == 202
    response = upload(api, voucher_id, "zu-gross.pdf", PDF + padding + b"\0")
    assert issues(response) == {("max_file_size_exceeded", "file")}
    assert len(sandbox.vouchers()[0]["files"]) == 1


def test_missing_part_wrong_type_and_unknown_voucher(api, voucher_id):
    wrong_part = api.post(f"/v1/vouchers/{voucher_id}/files", files={"document": ("a.pdf", PDF)})
    assert issues(wrong_part) == {("missing_entity", "file")}
    not_multipart = api.post(
        f"/v1/vouchers/{voucher_id}/files", data=PDF, headers={"Content-Type": "application/pdf"}
    )
    assert_regular_error(not_multipart, 415)
    unknown = upload(api, "00000000-0000-0000-0000-000000000000", "a.pdf", PDF)
    assert_regular_error(unknown, 404)


def test_web_page_links_the_document_it_serves(api, sandbox, voucher_id):
    file_id = upload(api, voucher_id, "RE-1.pdf", PDF).json()["id"]
    page = api.get("/").text
    assert f'href="/files/{file_id}"' in page
    served = api.get(f"/files/{file_id}")
    assert served.content == PDF
    assert served.headers["Content-Type"] == "application/pdf"
    assert api.get("/files/unknown").status_code == 404


def scan(api, data=None, name="beleg.pdf", content=PDF):
    return api.post(
        "/v1/files",
        files={"file": (name, content)},
        data={"type": "voucher"} if data is None else data,
    )


def test_post_files_makes_a_new_unchecked_voucher_not_a_sales_one(api, sandbox):
    response = scan(api)
    assert response.status_code == 202
    file_id = response.json()["id"]
    [made] = sandbox.vouchers()
    assert made["voucherStatus"] == "unchecked"
    assert made["files"] == [file_id]
    assert sandbox.counters()["scans_uploaded"] == 1
    assert sandbox.counters()["files_uploaded"] == 0
    sales = api.get(
        "/v1/voucherlist",
        params={"voucherType": "salesinvoice,salescreditnote", "voucherStatus": "any"},
    )
    assert sales.json()["content"] == []
    unchecked = api.get(
        "/v1/voucherlist", params={"voucherType": "any", "voucherStatus": "unchecked"}
    )
    assert [entry["id"] for entry in unchecked.json()["content"]] == [made["id"]]


def test_post_files_rules(api, sandbox):
    assert issues(scan(api, data={})) == {("missing_entity", "type")}
    assert issues(scan(api, data={"type": "invoice"})) == {("invalid_value", "type")}
    assert issues(scan(api, name="beleg.txt")) == {("inacceptable_file_extension", "file")}
    assert sandbox.vouchers() == []
