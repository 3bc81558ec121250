"""Two workers on one queue, for real: committed rows, two threads, two connections.

This test commits (the engine's SKIP LOCKED and advisory lock only mean something between
transactions) and removes what it committed afterwards.
"""

import threading
import time
from unittest.mock import patch

from odoo import Command, fields

from ..models import lexware_document_cron
from .committed import CommittedCase
from .test_transfer_common import fake_pdf_rendering

INVOICES = 8


def _committed_invoices(env, company, created, customer):
    """INVOICES drafts of `customer` (made), noted in `created` for the clean-up."""
    chart = env["account.chart.template"].with_company(company)
    partner = env["res.partner"].create({"name": customer, "is_company": True})
    created["partner"] = partner.id
    moves = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": fields.Date.today(),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Arbeit",
                            "price_unit": 10.0 + n,
                            "tax_ids": [Command.set(chart.ref("tax_ust_19_skr03").ids)],
                        }
                    )
                ],
            }
            for n in range(INVOICES)
        ]
    )
    created["moves"] = moves.ids
    return moves


class TestTwoWorkers(CommittedCase):
    def test_two_workers_send_each_invoice_once(self):
        env = self._committed_env()
        company, created = self._connect_committed(env, auto_transfer=True)
        moves = _committed_invoices(env, company, created, "Zwei Arbeiter GmbH")
        rendering = fake_pdf_rendering(
            env, lambda move: b"%PDF-1.4 worker test " + move.name.encode()
        )
        rendering.start()
        self.addCleanup(rendering.stop)
        moves.action_post()
        env.cr.commit()
        numbers = moves.mapped("name")

        errors = []

        def worker():
            try:
                worker_env = self._committed_env()
                worker_env["lexware.transfer"]._cron_process()
                worker_env.cr.commit()
            except Exception as error:  # pylint: disable=broad-exception-caught
                errors.append(error)

        threads = [threading.Thread(target=worker) for _n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        self.assertFalse(errors)
        # Whatever the first two left (a worker that found the company taken), a third sends.
        worker()
        self.assertFalse(errors)
        for number in numbers:
            self.assertEqual(len(self.sandbox.vouchers(number=number)), 1, number)
        env.cr.rollback()  # a fresh snapshot: the workers committed after ours began
        self.assertEqual(set(moves.mapped("lexware_state")), {"sent"})


class TestTwoRenderers(CommittedCase):
    def test_where_wkhtmltopdf_renders_one_invoice_a_run_two_renderers_share_the_queue(self):
        env = self._committed_env()
        company, created = self._connect_committed(env, auto_transfer=True)
        moves = _committed_invoices(env, company, created, "Zwei Drucker GmbH")
        renderings = []

        def render(move):
            renderings.append((threading.current_thread().name, move.id))
            time.sleep(0.2)  # a rendering takes its time: both renderers get work
            return b"%PDF-1.4 renderer test " + move.name.encode()

        rendering = fake_pdf_rendering(env, render)
        rendering.start()
        self.addCleanup(rendering.stop)
        moves.action_post()
        env.cr.commit()

        with patch.object(lexware_document_cron, "renders_batches", return_value=False):
            made = env["lexware.transfer"]._cron_make_documents()

        self.assertEqual(made, INVOICES)
        self.assertEqual(sorted(move_id for _name, move_id in renderings), sorted(moves.ids))
        self.assertIn("lexware-documents", {name for name, _move_id in renderings})
        self.assertGreater(len({name for name, _move_id in renderings}), 1)
        env.cr.rollback()  # a fresh snapshot: the second renderer committed on its own
        self.assertTrue(all(moves.mapped("invoice_pdf_report_id")))
        self.assertEqual(set(moves.mapped("lexware_state")), {"pending"})
