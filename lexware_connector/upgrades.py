"""Moving databases of earlier versions to the current shape, callable from tests.

The migration scripts in `migrations/` only call these functions.
"""

import logging

from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# 18.0.1: res_company column -> 18.0.2: lexware_connection column.
CONNECTION_COLUMNS = {
    "lexware_connection_mode": "mode",
    "lexware_organization_id": "organization_id",
    "lexware_organization_name": "organization_name",
    "lexware_contacts_organization_id": "contacts_organization_id",
    "lexware_connected_since": "connected_since",
    "lexware_connected_by": "connected_by",
    "lexware_last_error": "last_error",
    "lexware_small_business": "small_business",
    "lexware_posting_categories": "posting_categories",
    "lexware_repeated_items_refused": "repeated_items_refused",
    "lexware_tax_tolerance": "tax_tolerance",
    "lexware_api_key": "api_key",
    "lexware_access_token": "access_token",
    "lexware_refresh_token": "refresh_token",
    "lexware_token_expires_at": "token_expires_at",
    "lexware_oauth_state_hash": "oauth_state_hash",
    "lexware_oauth_verifier": "oauth_verifier",
    "lexware_oauth_user_id": "oauth_user_id",
    "lexware_oauth_state_expires": "oauth_state_expires",
    "lexware_connection_generation": "generation",
}
# The state stays a column of res_company (the queue's SQL reads it); the row gets a copy.
STATE_COLUMN = "lexware_connection_state"


def _old_columns(cr):
    cr.execute(
        """SELECT column_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = 'res_company'
              AND column_name IN %s""",
        [tuple(CONNECTION_COLUMNS)],
    )
    return [row[0] for row in cr.fetchall()]


def _has_state_column(cr):
    cr.execute(
        """SELECT 1 FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = 'res_company'
              AND column_name = %s""",
        [STATE_COLUMN],
    )
    return bool(cr.fetchone())


def move_connections_to_their_model(cr):
    """18.0.1 -> 18.0.2: each company's connection (state, mode, organisation, key and
    tokens, generation, what was learned of the organisation) moves from its res_company
    columns to a `lexware_connection` row; then those columns are dropped, so that no
    secret lingers on the company. A database without them (a fresh one) stays as it is.
    Answers the number of rows made."""
    old = _old_columns(cr)
    if not old:
        return 0
    state = (
        SQL("COALESCE(c.%s, 'disconnected')", SQL.identifier(STATE_COLUMN))
        if _has_state_column(cr)
        else SQL("'disconnected'")
    )
    holds_data = SQL(" OR ").join(
        [SQL("%s <> 'disconnected'", state)]
        + [
            SQL("c.%s IS NOT NULL", SQL.identifier(column))
            for column in old
            if column != "lexware_small_business"
        ]
    )
    cr.execute(
        SQL(
            """INSERT INTO lexware_connection (company_id, state, %s,
                                                create_uid, create_date, write_uid, write_date)
               SELECT c.id, %s, %s, 1, now() at time zone 'UTC', 1, now() at time zone 'UTC'
                 FROM res_company c
                WHERE (%s)
                  AND NOT EXISTS (SELECT 1 FROM lexware_connection l WHERE l.company_id = c.id)""",
            SQL(", ").join(SQL.identifier(CONNECTION_COLUMNS[column]) for column in old),
            state,
            SQL(", ").join(SQL.identifier("c", column) for column in old),
            holds_data,
        )
    )
    moved = cr.rowcount
    cr.execute(
        SQL(
            "ALTER TABLE res_company %s",
            SQL(", ").join(SQL("DROP COLUMN %s", SQL.identifier(column)) for column in old),
        )
    )
    _logger.info("Lexware: moved the connections of %s companies to lexware_connection", moved)
    return moved
