"""A worker killed while its export run asks Lexware, for real: committed pages, a dying
transaction, and the next run of the cron on a connection of its own.

This test commits (what a killed worker leaves is only what it committed) and removes
what it committed afterwards.
"""

from datetime import date
from unittest.mock import patch

from odoo import Command

from ..lexware import LexwareClient
from ..models import lexware_export_run_check as export_check
from .committed import CommittedCase

DAY = date(2009, 9, 9)
INVOICES = 5


class Killed(BaseException):
    """What a worker's death looks like from inside: nothing after it runs, no handler
    catches it, its transaction is lost."""


class TestExportKilledMidway(CommittedCase):
    def test_a_killed_worker_is_resumed_at_its_page_and_nothing_is_marked_twice(self):
        env = self._committed_env()
        moves, run = self._committed_export(env)
        numbers = moves.mapped("name")
        original = LexwareClient.voucherlist_page
        asked = []

        def dies_at_the_second_page(client, *args, **kwargs):
            asked.append(args[3])
            if len(asked) == 2:
                raise Killed
            return original(client, *args, **kwargs)

        with (
            patch.object(export_check, "PAGE_SIZE", 2),
            patch.object(LexwareClient, "voucherlist_page", dies_at_the_second_page),
        ):
            worker = self._committed_env()
            with self.assertRaises(Killed):
                worker["lexware.export.run"]._cron_export()
            worker.cr.rollback()  # the dead worker's transaction is gone
            env.cr.rollback()  # a fresh snapshot, after the worker's commits
            marked_first = self._marked(env, moves)
            self.assertEqual(len(marked_first), 2, "the first page was committed")
            resumed = self._committed_env()
            resumed["lexware.export.run"]._cron_export()

        self.assertEqual(asked, [0, 1, 1, 2])
        env.cr.rollback()  # a fresh snapshot: the workers committed after ours began
        marked = self._marked(env, moves)
        self.assertEqual(set(marked), set(numbers))
        self.assertEqual({number: marked[number] for number in marked_first}, marked_first)
        run.invalidate_recordset()
        self.assertEqual(
            (run.state, run.found_count, run.checked_count, run.skipped_count),
            ("done", INVOICES, INVOICES, INVOICES),
        )
        env.cr.execute(
            "SELECT count(*) FROM lexware_transfer WHERE move_id IN %s", (tuple(moves.ids),)
        )
        self.assertEqual(env.cr.fetchone()[0], INVOICES)

    def _marked(self, env, moves):
        """{number: when it was marked found} of the committed rows."""
        env.cr.execute(
            """SELECT m.name, t.sent_at FROM lexware_transfer t
                 JOIN account_move m ON m.id = t.move_id
                WHERE t.move_id IN %s AND t.found_in_lexware""",
            (tuple(moves.ids),),
        )
        return dict(env.cr.fetchall())

    def _committed_export(self, env):
        """INVOICES posted invoices, all booked in Lexware by hand, and an export run of
        their day, committed; cleaned up after the test."""
        _company, created = self._connect_committed(env, auto_transfer=False)
        partner = env["res.partner"].create({"name": "Abgebrochen GmbH", "is_company": True})
        created["partner"] = partner.id
        moves = env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": DAY,
                    "invoice_line_ids": [Command.create({"name": "Arbeit", "price_unit": 100})],
                }
                for _n in range(INVOICES)
            ]
        )
        created["moves"] = moves.ids
        moves.action_post()
        for move in moves:
            self._book_by_hand(move.name, DAY)
        wizard = env["lexware.export.wizard"].create({"date_from": DAY, "date_to": DAY})
        action = wizard.action_export()
        run = env["lexware.export.run"].browse(action["params"]["next"]["res_id"])
        created["run"] = run.id
        env.cr.commit()
        return moves, run
