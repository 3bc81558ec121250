"""Lexware's two error shapes, raised as exceptions so handlers stay linear."""

import json
import secrets
from datetime import datetime, timezone

from werkzeug.wrappers import Response

REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def json_response(body, status=200, headers=None):
    return Response(
        json.dumps(body), status=status, headers=headers, content_type="application/json"
    )


class ApiError(Exception):
    """An answer in the regular error shape."""

    def __init__(self, status, message, details=(), headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = list(details)
        self.headers = headers

    def response(self, path):
        if self.status == 401:
            return json_response({"message": "Unauthorized"}, 401)
        body = {
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "status": self.status,
            "error": REASONS.get(self.status, "Error"),
            "path": path,
            "traceId": secrets.token_hex(8),
            "message": self.message,
            "details": [
                {"violation": violation, "field": field, "message": message}
                for violation, field, message in self.details
            ],
        }
        return json_response(body, self.status, self.headers)


class IssueListError(Exception):
    """An answer (406 unless told) in the legacy IssueList shape that contacts, vouchers,
    files and payments use."""

    def __init__(self, issues, status=406):
        super().__init__(", ".join(f"{source}: {key}" for key, source in issues))
        self.issues = list(issues)
        self.status = status

    def response(self, path):
        del path
        body = {
            "IssueList": [
                {"i18nKey": key, "source": source, "type": "validation_failure"}
                for key, source in self.issues
            ]
        }
        return json_response(body, self.status)


def issue(key, source):
    return IssueListError([(key, source)])
