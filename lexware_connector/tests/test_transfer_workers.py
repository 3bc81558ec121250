"""Two workers on one queue, for real: committed rows, two threads, two connections.

This test commits (the engine's SKIP LOCKED and advisory lock only mean something between
transactions) and removes what it committed afterwards.
"""

import threading

from odoo import SUPERUSER_ID, Command, api, fields, sql_db
from odoo.tests import TransactionCase

from lexware_sandbox import SandboxServer

from .common import SANDBOX_API_KEY, LexwareSandboxMixin

INVOICES = 8


class TestTwoWorkers(LexwareSandboxMixin, TransactionCase):
    """The test transaction writes nothing: the committed cursors would wait on it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox = SandboxServer(rate=50, burst=50, api_keys=(SANDBOX_API_KEY,)).start()
        cls.addClassCleanup(cls.sandbox.stop)

    def _committed_env(self):
        cr = sql_db.db_connect(self.env.cr.dbname).cursor()
        self.addCleanup(cr.close)
        return api.Environment(cr, SUPERUSER_ID, {"lexware_commit": True})

    def test_two_workers_send_each_invoice_once(self):
        env = self._committed_env()
        company = env.ref("base.main_company")
        # Everything connecting sets (organisation, key, categories...), to put back after.
        saved = company.sudo().read(
            [
                name
                for name, field in company._fields.items()
                if name.startswith("lexware_") and field.store and not field.compute
            ],
            load=None,
        )[0]
        params = env["ir.config_parameter"].sudo()
        names = ("lexware_connector.api_url", "lexware_connector.auth_url")
        created = {"params": {name: params.get_param(name) for name in names}}
        self.addCleanup(self._clean_up, company.id, saved, created)
        for name in names:
            params.set_param(name, self.sandbox.url)

        company.sudo().lexware_api_key = SANDBOX_API_KEY
        company.sudo()._lexware_action_connect(api_key=SANDBOX_API_KEY)
        company.sudo().lexware_auto_transfer = True
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
        model = type(env["account.move"])
        model._lexware_render_pdf_saved = model._lexware_render_pdf
        model._lexware_render_pdf = lambda move: b"%PDF-1.4 worker test " + move.name.encode()
        self.addCleanup(setattr, model, "_lexware_render_pdf", model._lexware_render_pdf_saved)
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

    def _clean_up(self, company_id, saved, created):
        env = self._committed_env()
        if created.get("moves"):
            ids = tuple(created["moves"])
            env.cr.execute("DELETE FROM lexware_transfer WHERE move_id IN %s", (ids,))
            env.cr.execute("DELETE FROM account_move_line WHERE move_id IN %s", (ids,))
            env.cr.execute("DELETE FROM account_move WHERE id IN %s", (ids,))
        if created.get("partner"):
            env.cr.execute("DELETE FROM res_partner WHERE id = %s", (created["partner"],))
        for name, value in created["params"].items():
            env["ir.config_parameter"].sudo().set_param(name, value or False)
        company = env["res.company"].browse(company_id).sudo()
        company.write({key: value for key, value in saved.items() if key != "id"})
        env.cr.commit()
