"""Who is calling /v1: an API key (every scope) or an OAuth access token (its scopes)."""

import time
from dataclasses import dataclass

from .errors import ApiError

ALL_SCOPES = frozenset(
    {
        "profile.read",
        "contacts.read",
        "contacts.write",
        "vouchers.read",
        "vouchers.write",
        "files.read",
        "files.write",
    }
)


@dataclass(frozen=True)
class Caller:
    organization_id: str
    credential: str
    scopes: frozenset
    connection_id: str | None = None


def authenticate(store, header):
    """The Caller for an Authorization header; 401 when missing, unknown or expired."""
    scheme, _, token = (header or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "Unauthorized")
    org_id = store.organization_for_api_key(token)
    if org_id is not None:
        return Caller(org_id, f"key:{token}", ALL_SCOPES)
    access = store.access_token(token)
    if access is None or access["expires_at"] <= time.time():
        raise ApiError(401, "Unauthorized")
    connection = store.connection(access["connection_id"])
    if connection is None or connection["revoked"]:
        raise ApiError(401, "Unauthorized")
    return Caller(
        connection["organization_id"],
        f"connection:{connection['id']}",
        frozenset(connection["scope"].split()),
        connection["id"],
    )


def require_scope(caller, scope):
    if scope not in caller.scopes:
        raise ApiError(403, f"Missing scope {scope}", [("Scope", "scope", scope)])
