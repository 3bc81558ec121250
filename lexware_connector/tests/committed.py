"""Tests that commit, for what only means something between transactions (SKIP LOCKED,
advisory locks, a worker's death): committed cursors of their own, the main company
connected to a sandbox of the test's, and everything committed removed afterwards."""

from odoo import SUPERUSER_ID, api, sql_db
from odoo.tests import TransactionCase

from lexware_sandbox import SandboxServer

from .common import SANDBOX_API_KEY, LexwareSandboxMixin

URL_PARAMS = ("lexware_connector.api_url", "lexware_connector.auth_url")


class CommittedCase(LexwareSandboxMixin, TransactionCase):
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

    def _connect_committed(self, env, auto_transfer):
        """Connect the main company of `env` to the sandbox; answers the dict in which the
        test notes what it creates ("partner", "moves", "run"), removed after the test
        together with the company's Lexware settings as they were."""
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
        connection = company.sudo().lexware_connection_id
        saved_connection = connection.read(_connection_fields(connection), load=None)
        params = env["ir.config_parameter"].sudo()
        created = {"params": {name: params.get_param(name) for name in URL_PARAMS}}
        self.addCleanup(self._clean_up, company.id, saved, saved_connection, created)
        for name in URL_PARAMS:
            params.set_param(name, self.sandbox.url)
        company.sudo()._lexware_connection().api_key = SANDBOX_API_KEY
        company.sudo()._lexware_action_connect(api_key=SANDBOX_API_KEY)
        company.sudo().lexware_auto_transfer = auto_transfer
        return company, created

    def _clean_up(self, company_id, saved, saved_connection, created):
        env = self._committed_env()
        if created.get("run"):
            env.cr.execute("DELETE FROM lexware_export_run WHERE id = %s", (created["run"],))
        if created.get("moves"):
            ids = tuple(created["moves"])
            env.cr.execute("DELETE FROM lexware_transfer WHERE move_id IN %s", (ids,))
            env.cr.execute(
                "DELETE FROM ir_attachment WHERE res_model = 'account.move' AND res_id IN %s",
                (ids,),
            )
            env.cr.execute("DELETE FROM account_move_line WHERE move_id IN %s", (ids,))
            env.cr.execute("DELETE FROM account_move WHERE id IN %s", (ids,))
        if created.get("partner"):
            env.cr.execute("DELETE FROM res_partner WHERE id = %s", (created["partner"],))
        for name, value in created["params"].items():
            env["ir.config_parameter"].sudo().set_param(name, value or False)
        company = env["res.company"].browse(company_id).sudo()
        company.write({key: value for key, value in saved.items() if key != "id"})
        connection = company.lexware_connection_id
        if saved_connection:
            connection.write(
                {key: value for key, value in saved_connection[0].items() if key != "id"}
            )
        else:
            connection.unlink()
        env.cr.commit()


def _connection_fields(connection):
    """The connection's stored fields a connect may change."""
    return [
        name
        for name, field in connection._fields.items()
        if field.store and not field.automatic and name not in ("company_id", "generation")
    ]
