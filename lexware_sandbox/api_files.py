"""POST /v1/vouchers/{id}/files: the document behind a voucher; and POST /v1/files,
the different call that makes an unchecked voucher from a scan."""

import hashlib

from .dates import now_berlin
from .errors import ApiError, IssueListError, issue

MAX_FILE_SIZE = 5_242_880
SIGNATURES = {
    "pdf": (b"%PDF-",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "xml": (b"<", b"\xef\xbb\xbf<"),
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "xml": "application/xml",
}


def upload(call, voucher_id):
    _multipart(call)
    if call.store.get_doc("vouchers", voucher_id, call.caller.organization_id) is None:
        raise ApiError(404, "Voucher not found")
    filename, content, checksum = _checked_file(call)
    existing = call.store.file_by_checksum(voucher_id, checksum)
    if existing is not None:
        return {"id": existing}, 202
    file_id = call.store.add_file(voucher_id, filename, checksum, content)
    call.counters.add("files_uploaded")
    return {"id": file_id}, 202


def upload_scan(call):
    """POST /v1/files with type=voucher: a scan becomes a new, unchecked voucher.

    Not the way to attach a document to a voucher: what it makes has no number,
    no amounts and no contact until someone checks it in the web app.
    """
    _multipart(call)
    kind = call.request.form.get("type")
    if kind is None:
        raise issue("missing_entity", "type")
    if kind != "voucher":
        raise issue("invalid_value", "type")
    filename, content, checksum = _checked_file(call)
    stamp = now_berlin()
    doc = {
        "type": "purchaseinvoice",
        "voucherNumber": "",
        "voucherDate": stamp[:10],
        "shippingDate": None,
        "dueDate": stamp[:10],
        "totalGrossAmount": 0.0,
        "totalTaxAmount": 0.0,
        "taxType": "gross",
        "useCollectiveContact": False,
        "contactId": None,
        "remark": None,
        "voucherItems": [],
        "voucherStatus": "unchecked",
        "paidDate": None,
    }
    doc = call.store.insert_doc("vouchers", call.caller.organization_id, doc)
    file_id = call.store.add_file(doc["id"], filename, checksum, content)
    call.counters.add("scans_uploaded")
    return {"id": file_id}, 202


def _multipart(call):
    if call.request.mimetype != "multipart/form-data":
        raise ApiError(415, "Content type must be multipart/form-data")


def _checked_file(call):
    """(filename, content, checksum) of the part named file, after Lexware's checks."""
    part = call.request.files.get("file")
    if part is None:
        raise issue("missing_entity", "file")
    content = part.read()
    extension = _extension(part.filename, call.organization["eInvoice"])
    if len(content) > MAX_FILE_SIZE:
        raise issue("max_file_size_exceeded", "file")
    if not content.lstrip(b" \t\r\n").startswith(SIGNATURES[extension]):
        raise IssueListError([("inacceptable_file_type", "file")])
    return part.filename, content, hashlib.sha256(content).hexdigest()


def _extension(filename, e_invoice):
    name = filename or ""
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    allowed = set(SIGNATURES) - (set() if e_invoice else {"xml"})
    if extension not in allowed:
        raise issue("inacceptable_file_extension", "file")
    return extension


def content_type(filename):
    return CONTENT_TYPES.get(filename.rpartition(".")[2].lower(), "application/octet-stream")
