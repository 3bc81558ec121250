"""POST /v1/vouchers/{id}/files: the document behind a voucher."""

import hashlib

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
    if call.request.mimetype != "multipart/form-data":
        raise ApiError(415, "Content type must be multipart/form-data")
    if call.store.get_doc("vouchers", voucher_id, call.caller.organization_id) is None:
        raise ApiError(404, "Voucher not found")
    part = call.request.files.get("file")
    if part is None:
        raise issue("missing_entity", "file")
    content = part.read()
    extension = _extension(part.filename, call.organization["eInvoice"])
    if len(content) > MAX_FILE_SIZE:
        raise issue("max_file_size_exceeded", "file")
    if not content.lstrip(b" \t\r\n").startswith(SIGNATURES[extension]):
        raise IssueListError([("inacceptable_file_type", "file")])
    checksum = hashlib.sha256(content).hexdigest()
    existing = call.store.file_by_checksum(voucher_id, checksum)
    if existing is not None:
        return {"id": existing}, 202
    file_id = call.store.add_file(voucher_id, part.filename, checksum, content)
    call.counters.add("files_uploaded")
    return {"id": file_id}, 202


def _extension(filename, e_invoice):
    name = filename or ""
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    allowed = set(SIGNATURES) - (set() if e_invoice else {"xml"})
    if extension not in allowed:
        raise issue("inacceptable_file_extension", "file")
    return extension


def content_type(filename):
    return CONTENT_TYPES.get(filename.rpartition(".")[2].lower(), "application/octet-stream")
