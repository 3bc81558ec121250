"""The states' meanings said twice, in Python for records and in SQL for the queries that
must not load them, say the same for every row a transfer can be."""

from itertools import product
from types import SimpleNamespace

from odoo.tests import TransactionCase

from ..models.lexware_states import (
    NEVER_SENT_SQL,
    TO_QUEUE_SQL,
    TRANSFER_STATES,
    is_in_lexware,
    is_never_in_lexware,
    is_never_sent,
    is_waiting,
    may_be_retried,
)

STATES = [state for state, _label in TRANSFER_STATES]
ROWS = [
    SimpleNamespace(id=index, state=state, voucher_id=voucher_id, outcome_unknown=unknown)
    for index, (state, voucher_id, unknown) in enumerate(
        product(STATES, (False, "voucher-1"), (False, True)), start=1
    )
]


class TestTransferStates(TransactionCase):
    def _matching(self, condition):
        """Ids of ROWS (and 0 for an invoice without a row) the SQL `condition` selects."""
        values = ", ".join(["(%s, %s, %s, %s)"] * len(ROWS))
        params = [
            value
            for row in ROWS
            for value in (row.id, row.state, row.voucher_id or None, row.outcome_unknown)
        ]
        self.env.cr.execute(
            f"""
            SELECT COALESCE(t.id, 0) FROM (VALUES (0), {", ".join(f"({row.id})" for row in ROWS)})
                AS m(id)
            LEFT JOIN (VALUES {values}) AS t(id, state, voucher_id, outcome_unknown)
                   ON t.id = m.id
            WHERE {condition}
            """,  # noqa: S608 (the module's constant SQL; the values go as parameters)
            params,
        )
        return {found for (found,) in self.env.cr.fetchall()}

    def test_never_sent_means_the_same_in_sql(self):
        expected = {0} | {row.id for row in ROWS if is_never_sent(row)}
        self.assertEqual(self._matching(NEVER_SENT_SQL), expected)

    def test_an_export_queues_what_has_no_row_or_failed(self):
        expected = {0} | {row.id for row in ROWS if row.state == "failed"}
        self.assertEqual(self._matching(TO_QUEUE_SQL), expected)

    def test_each_row_is_in_lexware_or_never_was_when_retryable(self):
        for row in ROWS:
            with self.subTest(row=repr(row)):
                in_lexware = is_in_lexware(row)
                self.assertEqual(is_never_in_lexware(row), may_be_retried(row) and not in_lexware)
                self.assertEqual(
                    in_lexware,
                    row.state in ("sending", "sent") or bool(row.voucher_id) or row.outcome_unknown,
                )
                self.assertEqual(is_waiting(row), row.state in ("pending", "sending"))
