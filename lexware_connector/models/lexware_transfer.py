"""The queue of invoices on their way to Lexware: the model, its queueing, who may retry.

One row per invoice, in the states of `lexware_states.py`. Posting an invoice, Retry and an
export queue rows here and wake the cron; the cron works them off in
`lexware_transfer_cron.py`, and `lexware_transfer_send.py` sends one invoice. What all of
them share lives here: the retry schedule, how long a POST may still land at Lexware, the
company's advisory lock (the export holds it too) and the engine's commits.
"""

from datetime import timedelta
from typing import NamedTuple

from odoo import api, fields, models, modules, sql_db

from ..lexware.client import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_MAX_WAIT,
    DEFAULT_TIMEOUTS,
    GATEWAY_TIMEOUT,
)
from .lexware_states import (
    PENDING,
    SENT,
    TRANSFER_STATES,
    is_never_sent,
    may_be_retried,
)

# The engine's one log name: its cron and its sending log under it too, as before they had
# files of their own, so that a log setting for the engine still covers all of it.
ENGINE_LOG = __name__

# Pause before attempt n+1 after n failed attempts; after the last one the row is failed.
# Lexware's 5xx pass within minutes: the first pauses are short, then the schedule widens.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=2),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1

# How long a POST may still land at Lexware after the call that sent it began (`claimed_at`
# is noted just before). The client repeats a POST only while it surely has not left (429,
# 401, a failed connect), so its last try leaves at most one connect timeout per attempt,
# the call's pauses and waits for the rate limit, and one token refresh after a 401 after
# the call began: 5 x 5 s + 60 s + (5 s + 30 s) = 120 s. Lexware's gateway answers or
# gives up 30 s after that. What it passed on may still be booked behind it after it gave
# up (a 504 "may have been carried out"): that work gets the gateway's 30 s once more.
# 120 + 30 + 30 = 180 s.
LANDING_SECONDS = (
    DEFAULT_MAX_ATTEMPTS * DEFAULT_TIMEOUTS[0]
    + DEFAULT_MAX_WAIT
    + sum(DEFAULT_TIMEOUTS)
    + 2 * GATEWAY_TIMEOUT
)
# The lookup after an unknown outcome waits that long, and a second more, since the stored
# times drop their fractions: a dead worker's `sending` row is taken up, and the first retry
# after a 5xx or a timeout comes, no earlier than this after the POST.
LANDING_WAIT = timedelta(seconds=LANDING_SECONDS + 1)
SETTLE_SENDING = LANDING_WAIT
# The first key of the two-key advisory lock: "LXW" in ASCII, the second key is the company.
ADVISORY_LOCK_KEY = 0x4C5857


class LexwareTransferFailure(Exception):
    """This invoice cannot go as it is: fail the row with `reason` (translated)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class FoundVoucher(NamedTuple):
    """A voucher Lexware holds under the number of an invoice (`transfer_id`: its row)."""

    move_id: int
    transfer_id: int | None
    voucher_id: str


class LexwareTransfer(models.Model):
    _name = "lexware.transfer"
    _description = "Lexware Transfer"
    _order = "id"
    _rec_name = "move_id"

    move_id = fields.Many2one(
        "account.move", string="Invoice", required=True, index=True, ondelete="restrict"
    )
    company_id = fields.Many2one(
        related="move_id.company_id", store=True, index=True, string="Company"
    )
    partner_id = fields.Many2one(related="move_id.partner_id", string="Customer")
    move_type = fields.Selection(related="move_id.move_type", string="Type")
    state = fields.Selection(
        TRANSFER_STATES,
        default=PENDING,
        required=True,
        index=True,
    )
    attempts = fields.Integer(default=0, readonly=True)
    next_attempt_at = fields.Datetime(string="Next Attempt", index=True)
    claimed_at = fields.Datetime(
        string="Last Request Sent",
        readonly=True,
        help="When Odoo last sent this invoice to Lexware. Should that attempt have been cut "
        "off, Odoo checks in Lexware whether the invoice arrived before it sends it again.",
    )
    last_error = fields.Text(string="Problem", readonly=True)
    voucher_id = fields.Char(string="Lexware Voucher ID", readonly=True, copy=False)
    file_uploaded = fields.Boolean(string="PDF Uploaded", readonly=True)
    outcome_unknown = fields.Boolean(
        string="Arrival Unconfirmed",
        readonly=True,
        help="Lexware did not confirm an earlier attempt, so the invoice may be booked there "
        "already. Before sending it again, Odoo looks its invoice number up in Lexware.",
    )
    sent_at = fields.Datetime(string="Sent", readonly=True)
    found_in_lexware = fields.Boolean(
        string="Found in Lexware",
        readonly=True,
        help="Lexware already held a voucher under this invoice number when it was "
        "exported, booked there by hand for example. Odoo did not send it again, "
        "nor its PDF.",
    )

    _sql_constraints = [
        ("move_unique", "unique(move_id)", "An invoice is queued for Lexware only once."),
    ]

    # -- queueing -------------------------------------------------------------------------

    @api.model
    def _lexware_enqueue(self, moves):
        """Queue `moves` (pending, due now) and wake the cron; sent rows stay as they are."""
        moves = moves.sudo()
        existing = self.sudo().search([("move_id", "in", moves.ids)])
        again = existing.filtered(may_be_retried)
        again.write(
            {
                "state": PENDING,
                "attempts": 0,
                "next_attempt_at": False,
                "last_error": False,
            }
        )
        new_moves = moves - existing.move_id
        created = self.sudo().create([{"move_id": move.id} for move in new_moves])
        if created or again:
            self._lexware_trigger_once()
        return created | again

    @api.model
    def _lexware_trigger_once(self):
        """Wake the cron once this transaction's rows are committed.

        Posting invoices one by one in a transaction would add a trigger row each; one
        wake-up per transaction is enough, and it keeps posting cheap.
        """
        queued = self.env.cr.precommit.data
        if not queued.get("lexware_cron_triggered"):
            queued["lexware_cron_triggered"] = True
            self._lexware_trigger()
            self._lexware_trigger_documents()

    @api.model
    def _lexware_trigger(self, at=None):
        cron = self.env.ref("lexware_connector.ir_cron_lexware_transfer", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger(at=at)

    @api.model
    def _lexware_trigger_documents(self):
        cron = self.env.ref("lexware_connector.ir_cron_lexware_documents", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()

    def action_retry(self):
        """Queue failed (or waiting) rows again at once: a billing user's action, like
        Retry Lexware on the invoice; the rows themselves are the engine's to write."""
        self.env["account.move"]._lexware_check_may_send()
        self.check_access("read")
        rows = self.filtered(may_be_retried)
        self.env["lexware.transfer"]._lexware_enqueue(rows.move_id)
        return True

    # -- what Lexware holds already -------------------------------------------------------

    @api.model
    def _lexware_mark_found_in_lexware(self, found):
        """Invoices Lexware already holds under their number, that Odoo never sent: their
        rows become `sent` with the voucher found, flagged `found_in_lexware`, and nothing
        is posted for them. Answer the move ids marked.

        `found` is a list of FoundVoucher. Only an invoice without a row, or whose row
        failed before Lexware booked anything (no voucher, no unknown outcome), is marked:
        a voucher Odoo booked itself, or may have, is Odoo's own, and its row is retried
        so that its file goes too. No chatter note: an export of a booked year finds
        thousands, and the invoice shows the flag.
        """
        values = {"state": SENT, "found_in_lexware": True, "sent_at": fields.Datetime.now()}
        rows = self.sudo()
        existing = rows.browse([entry.transfer_id for entry in found if entry.transfer_id])
        never_sent = existing.filtered(is_never_sent)
        created = rows.create(
            [
                {**values, "move_id": entry.move_id, "voucher_id": entry.voucher_id}
                for entry in found
                if not entry.transfer_id
            ]
        )
        for entry in found:
            if entry.transfer_id in never_sent.ids:
                rows.browse(entry.transfer_id).write(
                    {
                        **values,
                        "voucher_id": entry.voucher_id,
                        "last_error": False,
                        "next_attempt_at": False,
                    }
                )
        return set(created.move_id.ids) | set(never_sent.move_id.ids)

    # -- the engine's transactions --------------------------------------------------------

    # Commits are methods so that tests can run the engine inside their transaction;
    # a test that runs it on cursors of its own sets the context key `lexware_commit`.
    def _lexware_real_transactions(self):
        if "lexware_commit" in self.env.context:
            return bool(self.env.context["lexware_commit"])
        return not (modules.module.current_test or self.env.registry.in_test_mode())

    def _lexware_commit(self):
        if self._lexware_real_transactions():
            # The engine's promise: what Lexware has seen is on disk before the next step.
            self.env.cr.commit()  # pylint: disable=invalid-commit
        else:
            self.env.flush_all()

    def _lexware_rollback(self):
        if self._lexware_real_transactions():
            self.env.cr.rollback()
        else:
            self.env.flush_all()


def take_company_lock(env, company_id):
    """A side connection holding the company's advisory lock, or None when taken.

    Everything that talks to Lexware for a company holds it (the transfer and the export
    share the company's rate limit). Closing the connection (or the worker dying) frees it.
    """
    lock_cr = sql_db.db_connect(env.cr.dbname).cursor()
    try:
        lock_cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (ADVISORY_LOCK_KEY, company_id))
        if lock_cr.fetchone()[0]:
            return lock_cr
    except Exception:
        lock_cr.close()
        raise
    lock_cr.close()
    return None


def still_locked(lock_cr):
    """Whether the side connection holding the company's advisory lock is still there."""
    try:
        lock_cr.execute("SELECT 1")
    except Exception:  # pylint: disable=broad-exception-caught
        return False
    return True
