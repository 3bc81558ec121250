"""Reading JSON request bodies the way Lexware does: 415 on a wrong type, 400 on bad JSON."""

import json

from .errors import ApiError


def json_body(request):
    if request.mimetype != "application/json":
        raise ApiError(415, "Content type must be application/json")
    try:
        body = json.loads(request.get_data(as_text=True))
    except ValueError as error:
        raise ApiError(400, "Malformed JSON request body") from error
    if not isinstance(body, dict):
        raise ApiError(400, "Malformed JSON request body")
    return body


def stub(doc, resource):
    """The answer to a write: where the resource is, not the resource."""
    return {
        "id": doc["id"],
        "resourceUri": f"https://api.lexware.io/v1/{resource}/{doc['id']}",
        "createdDate": doc["createdDate"],
        "updatedDate": doc["updatedDate"],
        "version": doc["version"],
    }
