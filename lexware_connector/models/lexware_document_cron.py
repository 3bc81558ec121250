"""The cron that makes queued invoices' documents ahead of the transfer.

Rendering takes about a second an invoice, and wkhtmltopdf renders several invoices in one
run about as fast as one. The transfer cron would wait on it between its requests; this
cron renders the queue's documents in batches while the transfer cron sends those made
already (Odoo runs two cron threads by default). It claims waiting rows whose invoice has
no document with `FOR UPDATE SKIP LOCKED` (a row the transfer holds is left to it, and the
transfer steps over the rows held here), makes a batch's documents through Odoo's
Send & Print generation, commits and wakes the transfer cron. A row whose PDF cannot be
made fails with the reason; the rest of its batch goes on.
"""

import logging
import threading
import time

from odoo import api, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from .account_move_document import renders_batches
from .lexware_states import CONNECTED_SQL, DOCUMENT_READY_SQL, PENDING
from .lexware_transfer import ENGINE_LOG

_logger = logging.getLogger(ENGINE_LOG)

# Invoices rendered in one wkhtmltopdf run; a run starts with a small batch, so that the
# transfer has its first documents soon.
DOCUMENT_BATCH = 10
FIRST_BATCH = 2
# One run starts batches for at most this long, so that the other crons get their turn; a
# batch takes about DOCUMENT_BATCH seconds at worst, well inside the worker's time limit.
DOCUMENT_TIME_BUDGET = 30.0


class LexwareTransfer(models.Model):
    # The queue is one model in files by concern; merging them back is what this avoids.
    _inherit = "lexware.transfer"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _cron_make_documents(self, batch_size=DOCUMENT_BATCH):
        """Make the documents of waiting rows, a batch at a time, committing each."""
        helper = self._lexware_start_rendering_helper(batch_size)
        made = self._lexware_make_documents_for_a_while(batch_size)
        if helper is not None:
            helper.join()
            made += helper.made
        self.env["ir.cron"]._notify_progress(done=made, remaining=0)
        self._lexware_commit()
        return made

    def _lexware_make_documents_for_a_while(self, batch_size):
        began = time.monotonic()
        made = 0
        while True:
            if time.monotonic() - began >= DOCUMENT_TIME_BUDGET:
                # A fresh run takes the rest, in a watchdog period of its own.
                self._lexware_trigger_documents()
                break
            size = (
                1
                if not renders_batches()
                else min(FIRST_BATCH if not made else batch_size, batch_size)
            )
            rows = self._lexware_claim_undocumented(size)
            if not rows:
                break
            try:
                rows._lexware_make_documents()
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as error:
                # A row claimed just as another renderer committed its document: this
                # transaction's snapshot is older than that. A fresh one sees it made.
                _logger.info("Lexware: documents made concurrently, claimed again: %s", error)
                self._lexware_rollback()
                continue
            made += len(rows)
            self._lexware_trigger()
            self._lexware_commit()
        return made

    def _lexware_start_rendering_helper(self, batch_size):
        """A second renderer on a cursor of its own, where wkhtmltopdf renders one invoice
        a run (about a second each): one alone makes fewer documents than Lexware's limit
        takes, two on two cores make more. The rows it claims are skipped here."""
        if renders_batches() or not self._lexware_real_transactions():
            return None
        helper = RenderingHelper(self.env, batch_size)
        helper.start()
        return helper

    @api.model
    def _lexware_claim_undocumented(self, limit):
        """Waiting rows of connected companies whose invoice has no document, oldest
        first (the order the transfer sends them in), locked for this transaction."""
        self.env.flush_all()
        self.env.cr.execute(
            f"""
            SELECT t.id FROM lexware_transfer t
              JOIN res_company c ON c.id = t.company_id
             WHERE t.state = %(pending)s
               AND t.voucher_id IS NULL
               AND {CONNECTED_SQL}
               AND NOT {DOCUMENT_READY_SQL}
             ORDER BY COALESCE(t.next_attempt_at, t.create_date), t.id
             LIMIT %(limit)s
               FOR UPDATE OF t SKIP LOCKED
            """,  # noqa: S608 (fixed SQL, parameters bound)
            {"pending": PENDING, "limit": limit},
        )
        return self.sudo().browse([row[0] for row in self.env.cr.fetchall()])

    def _lexware_make_documents(self):
        """Make these rows' documents; a row whose PDF cannot be made fails."""
        failures = self.move_id._lexware_generate_documents()
        for failed in self.filtered(lambda row: row.move_id.id in failures):
            row = failed.with_context(lang=failed._lexware_lang())
            reason = row.move_id._lexware_pdf_failure(failures[row.move_id.id])
            _logger.info("Lexware: invoice %s: %s", row.move_id.id, reason)
            row._lexware_fail(reason)


class RenderingHelper(threading.Thread):
    """The document cron's second renderer, in a transaction of its own."""

    def __init__(self, env, batch_size):
        super().__init__(name="lexware-documents", daemon=True)
        self.registry, self.uid, self.context = env.registry, env.uid, dict(env.context)
        self.batch_size = batch_size
        self.made = 0

    def run(self):
        # Odoo's logging names the database from the thread.
        threading.current_thread().dbname = self.registry.db_name
        try:
            with self.registry.cursor() as cr:
                env = api.Environment(cr, self.uid, self.context)
                transfers = env["lexware.transfer"]
                self.made = transfers._lexware_make_documents_for_a_while(self.batch_size)
        except Exception:  # pylint: disable=broad-exception-caught
            # Its committed documents stay; the cron's own renderer goes on with the rest.
            _logger.exception("Lexware: the second document renderer stopped")
