"""Lexware's two error body shapes become readable issues."""

from lexware import (
    Issue,
    LexwareError,
    LexwareOutcomeUnknownError,
    LexwarePermanentError,
    LexwareRetryableError,
    errors,
)
from lexware.errors import parse_issues


def test_legacy_issue_list_names_field_and_reason():
    body = {
        "IssueList": [
            {"i18nKey": "invalid_taxamount", "source": "voucherItems[0].taxAmount",
             "type": "validation_failure"},
            {"i18nKey": "invalid_total_amount", "source": "totalGrossAmount",
             "type": "validation_failure"},
        ]
    }  # fmt: skip
    assert parse_issues(body) == [
        Issue("voucherItems[0].taxAmount", "invalid_taxamount"),
        Issue("totalGrossAmount", "invalid_total_amount"),
    ]


def test_regular_body_reads_details():
    body = {
        "timestamp": "2024-05-10T10:00:00.000+02:00",
        "status": 400,
        "error": "Bad Request",
        "path": "/v1/contacts",
        "traceId": "abc",
        "message": "Validation failed",
        "details": [
            {"violation": "NOTNULL", "field": "company.name", "message": "darf nicht leer sein"}
        ],
    }
    assert parse_issues(body) == [Issue("company.name", "NOTNULL (darf nicht leer sein)")]


def test_regular_body_without_details_keeps_the_message():
    assert parse_issues({"status": 404, "message": "Not found"}) == [Issue("", "Not found")]


def test_unauthorized_body():
    assert parse_issues({"message": "Unauthorized"}) == [Issue("", "Unauthorized")]


def test_unreadable_bodies_give_no_issues():
    assert parse_issues(None) == []
    assert parse_issues(["not", "a", "dict"]) == []
    assert parse_issues({}) == []


def test_permanent_error_reads_well():
    error = LexwarePermanentError(406, [Issue("voucherItems[0].taxAmount", "invalid_taxamount")])
    assert str(error) == (
        "Lexware refused the request (406): voucherItems[0].taxAmount: invalid_taxamount"
    )
    assert error.status == 406
    assert str(LexwarePermanentError(404)) == "Lexware refused the request (404)"


def test_the_kind_follows_the_status_unless_given():
    """Callers word the error for the user from `kind` and `status`, not from its text."""
    assert LexwareRetryableError("x", status=429).kind == errors.RATE_LIMITED
    assert LexwareRetryableError("x", status=503).kind == errors.SERVER_TROUBLE
    assert LexwareOutcomeUnknownError("x", status=504).kind == errors.SERVER_TROUBLE
    assert LexwareRetryableError("x").kind == errors.NETWORK
    assert LexwareRetryableError("x", kind=errors.TIMEOUT).kind == errors.TIMEOUT
    assert LexwarePermanentError(406).kind == errors.REFUSED
    assert LexwareError("x", status=200).kind == errors.UNEXPECTED
