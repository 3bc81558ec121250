"""What users may not do to an invoice that Lexware holds, or may hold: write what only
the transfer sets, change its number, or take it back to draft, cancel or delete it.
Lexware cannot delete vouchers; a credit note corrects such an invoice."""

from odoo import api, models
from odoo.exceptions import AccessError, UserError

from .lexware_states import is_in_lexware, is_never_in_lexware

# What the transfer engine alone sets; written by a user they would tell a false story
# (a sent invoice pending again, an unsent one sent) and the queue would follow it.
ENGINE_FIELDS = frozenset(
    {"lexware_transfer_ids", "lexware_state", "lexware_voucher_id", "lexware_error"}
)
# What the payment sync records of Lexware's side of the invoice.
PAYMENT_ENGINE_FIELDS = frozenset({"lexware_voucher_status", "lexware_open_amount"})


class AccountMove(models.Model):
    # One concern per file, as issue 15 asks, rather than one file per model.
    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._lexware_check_engine_fields(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._lexware_check_engine_fields(vals)
        if "name" in vals:
            self.filtered(lambda move: move.name != vals["name"])._lexware_check_number_kept()
        if "state" in vals and vals["state"] != "posted":
            # The buttons' guard, for a state written directly (RPC): a cancelled invoice
            # must not go, and one in Lexware stays posted.
            leaving = self.filtered(lambda move: move.state == "posted")
            leaving._lexware_check_not_in_lexware()
            leaving._lexware_leave_queue()
        return super().write(vals)

    def _lexware_check_engine_fields(self, vals):
        if self.env.su:
            return
        if written := ENGINE_FIELDS & vals.keys():
            raise AccessError(
                self.env._(
                    "Only Odoo's transfer to Lexware Office sets %(fields)s: it is the "
                    "record of what Lexware holds.",
                    fields=", ".join(sorted(written)),
                )
            )
        if written := PAYMENT_ENGINE_FIELDS & vals.keys():
            raise AccessError(
                self.env._(
                    "Only Odoo's sync with Lexware Office sets %(fields)s: it is the record "
                    "of what Lexware shows.",
                    fields=", ".join(sorted(written)),
                )
            )

    def _lexware_check_number_kept(self):
        """An invoice Lexware holds (or may hold) under its number keeps that number."""
        blocked = self._lexware_in_lexware()
        if blocked:
            raise UserError(
                self.env._(
                    "The number of %(names)s cannot change: Lexware Office holds the invoice "
                    "under this number, or may hold it (it is being sent there, or its "
                    "transfer was not confirmed), and Lexware cannot delete vouchers. To "
                    "correct the invoice, issue a credit note.",
                    names=", ".join(blocked.mapped("display_name")),
                )
            )

    # -- the reset guard ------------------------------------------------------------------

    def _lexware_in_lexware(self):
        """Moves that are (or may be) a voucher in Lexware."""
        return self.filtered(lambda move: any(map(is_in_lexware, move.sudo().lexware_transfer_ids)))

    def _lexware_check_not_in_lexware(self):
        blocked = self._lexware_in_lexware()
        if blocked:
            raise UserError(
                self.env._(
                    "%(names)s is booked in Lexware Office (or being sent there). Lexware "
                    "cannot delete vouchers, so the invoice must stay as it is. To correct it, "
                    "issue a credit note.",
                    names=", ".join(blocked.mapped("display_name")),
                )
            )

    def _lexware_leave_queue(self):
        """Rows that never reached Lexware go when the invoice goes back to draft."""
        self.sudo().lexware_transfer_ids.filtered(is_never_in_lexware).unlink()

    def button_draft(self):
        self._lexware_check_not_in_lexware()
        self._lexware_leave_queue()
        return super().button_draft()

    def button_cancel(self):
        self._lexware_check_not_in_lexware()
        self._lexware_leave_queue()
        return super().button_cancel()

    @api.ondelete(at_uninstall=False)
    def _lexware_unlink_except_in_lexware(self):
        self._lexware_check_not_in_lexware()
        self._lexware_leave_queue()
