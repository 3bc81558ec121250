"""What the states of a transfer and of a company's connection mean, in one place.

A transfer row (`lexware.transfer`) goes

    pending --claim--> sending --voucher and file in Lexware--> sent
                                 \\--refused, or out of attempts--> failed

and carries two facts beside its state: `voucher_id` (Lexware booked the voucher) and
`outcome_unknown` (a POST left whose answer never came, so Lexware may hold the voucher).
The predicates below read a row (or anything with those three attributes); the SQL
fragments say the same for the queries that must not load records (alias `t` for the
transfer, `c` for its company). No Odoo import: this is vocabulary, not a model.
"""

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"

TRANSFER_STATES = [
    (PENDING, "Pending"),
    (SENDING, "Sending"),
    (SENT, "Sent"),
    (FAILED, "Failed"),
]

# Not settled yet: queued, or a POST under way (or left by a worker that died).
WAITING_STATES = (PENDING, SENDING)
# Odoo sends these (again) when a user asks: a failed row, or a waiting one brought forward.
RETRYABLE_STATES = (PENDING, FAILED)
# A POST has left for Lexware (sending), or Lexware holds voucher and file (sent).
REACHED_STATES = (SENDING, SENT)

DISCONNECTED = "disconnected"
CONNECTED = "connected"
RECONNECT_NEEDED = "reconnect_needed"

CONNECTION_STATES = [
    (DISCONNECTED, "Not connected"),
    (CONNECTED, "Connected"),
    (RECONNECT_NEEDED, "Reconnect needed"),
]

# A company tied to a Lexware organization: connected, or connected once and now waiting
# for an admin to reconnect. Its invoices may be queued; only a connected one sends.
LINKED_STATES = (CONNECTED, RECONNECT_NEEDED)


# -- a transfer row -------------------------------------------------------------------------


def is_in_lexware(row):
    """Lexware holds the invoice, or may: a POST left, a voucher was booked, or an
    answer never came. Such an invoice keeps its number and stays posted."""
    return row.state in REACHED_STATES or bool(row.voucher_id) or bool(row.outcome_unknown)


def is_waiting(row):
    """The row is not settled yet: the cron has it to do (or is doing it)."""
    return row.state in WAITING_STATES


def may_be_retried(row):
    """A user may queue the row again (Retry): it failed, or it is still waiting."""
    return row.state in RETRYABLE_STATES


def is_never_in_lexware(row):
    """Retryable and Lexware never saw it: no POST left, no voucher, no unknown outcome.
    Such a row may go when its invoice goes back to draft."""
    return may_be_retried(row) and not is_in_lexware(row)


def is_never_sent(row):
    """A failed row Lexware never saw: its invoice may be one Lexware holds from
    elsewhere (found by its number in an export)."""
    return row.state == FAILED and is_never_in_lexware(row)


def shows_error(row):
    """The row's last error is the invoice's to show: it failed, or waits for a retry."""
    return row.state in RETRYABLE_STATES


# -- a company --------------------------------------------------------------------------------


def is_connected(company):
    """The company can send to Lexware now."""
    return company.lexware_connection_state == CONNECTED


def is_linked(company):
    """The company has a Lexware organization (connected, or reconnect needed): its
    invoices may be queued and wait for the connection."""
    return company.lexware_connection_state in LINKED_STATES


# -- the same in SQL ------------------------------------------------------------------------


CONNECTED_SQL = f"c.lexware_connection_state = '{CONNECTED}'"

# Due for the cron: a pending row whose pause is over, or a `sending` row whose last POST
# has settled (its worker died; a live one holds the company's lock). Parameters: now,
# settled (now minus SETTLE_SENDING).
DUE_SQL = f"""
    (t.state = '{PENDING}' AND (t.next_attempt_at IS NULL OR t.next_attempt_at <= %(now)s))
    OR (t.state = '{SENDING}' AND t.claimed_at < %(settled)s)
"""

# `sending` rows go first when the cron claims.
SENDING_FIRST_SQL = f"t.state = '{SENDING}' DESC"

# The invoice's document is stored (Odoo's `invoice_pdf_report_id`, as Send & Print
# stores it): the row goes without waiting for a rendering.
DOCUMENT_READY_SQL = """EXISTS (
    SELECT 1 FROM ir_attachment a
     WHERE a.res_model = 'account.move'
       AND a.res_field = 'invoice_pdf_report_file'
       AND a.res_id = t.move_id
)"""

# An invoice Odoo itself never got into Lexware: no row at all, or a failed one Lexware
# never saw (`is_never_sent`). Only such an invoice may be "found" under its number: Odoo's
# own failures (a voucher booked but its file refused, a POST whose answer never came)
# are retried, so that their file goes too.
NEVER_SENT_SQL = f"""(
    t.id IS NULL
    OR (t.state = '{FAILED}' AND t.voucher_id IS NULL AND NOT COALESCE(t.outcome_unknown, FALSE))
)"""

# An invoice an export queues: no row yet, or a failed one (a waiting row is queued
# already, a sent one is in Lexware).
TO_QUEUE_SQL = f"(t.id IS NULL OR t.state = '{FAILED}')"
