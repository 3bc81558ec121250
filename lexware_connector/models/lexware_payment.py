"""Which payment item of Lexware became what in Odoo: the memory that makes syncing again
register nothing twice.

Lexware's payment items carry no id. An item is known by its type, posting date and amount,
and by how many equal items come before it in Lexware's answer (`item_key`): two equal part
payments on one day stay two, and the key does not depend on the order Lexware lists
different items in.
"""

from collections import Counter

from odoo import fields, models
from odoo.tools import SQL

from ..lexware.payments import CASH_DISCOUNT, CREDIT_NOTE, PAYMENT

ITEM_KINDS = [
    (PAYMENT, "Payment"),
    (CASH_DISCOUNT, "Cash Discount"),
    (CREDIT_NOTE, "Credit Note Set Off"),
]
REGISTERED = "registered"
LEFT_ALONE = "left_alone"
UNMATCHED = "unmatched"
# The item is gone from Lexware's answer: Odoo undid what it had booked for it (or had
# booked nothing), or left it for the accountant since it was no longer Odoo's to undo.
TAKEN_BACK = "taken_back"
KEPT_IN_ODOO = "kept_in_odoo"
OUTCOMES = [
    (REGISTERED, "Registered"),
    (LEFT_ALONE, "Already in Odoo"),
    (UNMATCHED, "No Counterpart in Odoo"),
    (TAKEN_BACK, "Taken Back in Lexware"),
    (KEPT_IN_ODOO, "Taken Back in Lexware, Kept in Odoo"),
]
# The outcomes of items Lexware still lists: a key is one of these once per invoice. An
# item taken back may come again (the same payment matched anew) and is then new.
CURRENT = (REGISTERED, LEFT_ALONE, UNMATCHED)


def item_keys(items):
    """(key, item) for each of Lexware's payment items, in the answer's order."""
    seen = Counter()
    for item in items:
        fingerprint = f"{item.raw_type}|{item.posting_date.isoformat()}|{item.amount}"
        seen[fingerprint] += 1
        yield f"{fingerprint}|{seen[fingerprint]}", item


class LexwarePayment(models.Model):
    _name = "lexware.payment"
    _description = "Payment from Lexware Office"
    _order = "posting_date, id"

    move_id = fields.Many2one(
        "account.move", string="Invoice", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="move_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="move_id.currency_id")
    voucher_id = fields.Char(string="Lexware Voucher ID", required=True)
    item_key = fields.Char(required=True)
    kind = fields.Selection(ITEM_KINDS, required=True)
    item_type = fields.Char(string="Lexware Payment Type", required=True)
    posting_date = fields.Date(required=True)
    amount = fields.Monetary(required=True)
    outcome = fields.Selection(OUTCOMES, required=True)
    payment_id = fields.Many2one("account.payment", ondelete="set null")
    entry_id = fields.Many2one(
        "account.move",
        string="Journal Entry",
        ondelete="set null",
        help="The write-off of a cash discount, or the credit note set off.",
    )

    # A partial unique index (`init`): constraints take no WHERE.
    _sql_constraints = [
        ("item_unique", "", "A payment item from Lexware is registered only once."),
    ]

    def init(self):
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS lexware_payment_item_unique "
                "ON lexware_payment (move_id, item_key) WHERE outcome IN %s",
                CURRENT,
            )
        )
