"""Two workers on one queue, for real: committed rows, two threads, two connections.

This test commits (the engine's SKIP LOCKED and advisory lock only mean something between
transactions) and removes what it committed afterwards.
"""

import threading

from odoo import Command, fields

from .committed import CommittedCase
from .test_transfer_common import fake_pdf_rendering

INVOICES = 8


class TestTwoWorkers(CommittedCase):
    def test_two_workers_send_each_invoice_once(self):
        env = self._committed_env()
        company, created = self._connect_committed(env, auto_transfer=True)
        chart = env["account.chart.template"].with_company(company)
        partner = env["res.partner"].create({"name": "Zwei Arbeiter GmbH", "is_company": True})
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
