"""The company's switch for payments coming back from Lexware, and its journal."""

from odoo import api, fields, models
from odoo.exceptions import ValidationError

PAYMENT_JOURNAL_TYPES = ("bank", "cash")


# The payment settings are one concern, kept apart from the connection's.
class ResCompany(models.Model):
    _inherit = "res.company"  # pylint: disable=consider-merging-classes-inherited

    lexware_payment_sync = fields.Boolean(
        string="Mark Invoices Paid When Paid in Lexware",
        copy=False,
        help="Payments booked in Lexware Office (bank reconciliation, cash discounts, credit "
        "notes set off) are registered on the invoices in Odoo. Leave this off when the bank "
        "is reconciled in Odoo too: the payments would be counted twice.",
    )
    lexware_payment_journal_id = fields.Many2one(
        "account.journal",
        string="Journal for Lexware Payments",
        copy=False,
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', id)]",
        help="The bank or cash journal the payments from Lexware Office are booked in.",
    )
    # Where the last walk of the voucherlist stopped, when a run ran out of time (JSON).
    lexware_payment_cursor = fields.Char(copy=False)

    @api.constrains("lexware_payment_journal_id")
    def _check_lexware_payment_journal(self):
        for company in self:
            journal = company.lexware_payment_journal_id
            if journal and (
                journal.type not in PAYMENT_JOURNAL_TYPES or journal.company_id != company
            ):
                raise ValidationError(
                    self.env._(
                        "The journal for Lexware payments must be a bank or cash journal of "
                        "%(company)s.",
                        company=company.name,
                    )
                )

    def write(self, vals):
        switched = self.filtered(
            lambda company: (
                "lexware_payment_sync" in vals
                and company.lexware_payment_sync != bool(vals["lexware_payment_sync"])
            )
        )
        result = super().write(vals)
        if switched:
            # Lexware's payment events follow the switch; token.revoked stays.
            switched.sudo().lexware_connection_id._sync_subscriptions()
        if vals.get("lexware_payment_sync") and switched:
            self.env["lexware.payment.sync"]._lexware_trigger()
        return result

    def _lexware_payment_journal(self):
        """The journal the payments go to: the chosen one, else the company's first bank
        journal."""
        self.ensure_one()
        return self.lexware_payment_journal_id or self.env["account.journal"].search(
            [("company_id", "=", self.id), ("type", "=", "bank")], limit=1
        )
