"""The Lexware side of a customer invoice as its users see it: the transfer state and the
link to the voucher, the doors to the queue (posting, the send button), and what the
chatter says about the transfer.

What users may not do to an invoice Lexware holds is in `account_move_guard.py`, the
invoice turned into `lexware/` plain data in `account_move_voucher.py`.
"""

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import plaintext2html

from ..lexware.oauth import DEFAULT_AUTH_URL
from ..lexware.voucher import voucher_permalink
from .lexware_states import FAILED, REACHED_STATES, TRANSFER_STATES, is_linked, shows_error

LEXWARE_MOVE_TYPES = ("out_invoice", "out_refund")


class AccountMove(models.Model):
    _inherit = "account.move"

    lexware_transfer_ids = fields.One2many(
        "lexware.transfer", "move_id", string="Lexware Transfers", readonly=True
    )
    lexware_state = fields.Selection(
        TRANSFER_STATES,
        string="Lexware",
        compute="_compute_lexware_state",
        store=True,
        index=True,
        copy=False,
        help="Where the invoice stands on its way to Lexware Office; empty when never queued.",
    )
    lexware_voucher_id = fields.Char(
        string="Lexware Voucher ID", compute="_compute_lexware_state", store=True, copy=False
    )
    lexware_error = fields.Text(compute="_compute_lexware_state", store=True, copy=False)
    lexware_voucher_url = fields.Char(
        string="Voucher in Lexware", compute="_compute_lexware_voucher_url"
    )
    lexware_can_send = fields.Boolean(
        string="Can Go to Lexware", compute="_compute_lexware_can_send"
    )
    lexware_found_in_lexware = fields.Boolean(
        related="lexware_transfer_ids.found_in_lexware", string="Found in Lexware"
    )

    @api.depends(
        "lexware_transfer_ids.state",
        "lexware_transfer_ids.voucher_id",
        "lexware_transfer_ids.last_error",
    )
    def _compute_lexware_state(self):
        for move in self:
            row = move.lexware_transfer_ids[:1]
            move.lexware_state = row.state or False
            move.lexware_voucher_id = row.voucher_id or False
            move.lexware_error = row.last_error if shows_error(row) else False

    @api.depends("lexware_voucher_id")
    def _compute_lexware_voucher_url(self):
        web_url = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("lexware_connector.auth_url", DEFAULT_AUTH_URL)
        )
        for move in self:
            move.lexware_voucher_url = (
                voucher_permalink(web_url, move.lexware_voucher_id)
                if move.lexware_voucher_id
                else False
            )

    @api.depends("state", "move_type", "lexware_state", "company_id")
    def _compute_lexware_can_send(self):
        for move in self:
            move.lexware_can_send = (
                move.state == "posted"
                and move.move_type in LEXWARE_MOVE_TYPES
                and move.lexware_state in (False, FAILED)
                and is_linked(move.company_id)
            )

    # -- the queue's doors ----------------------------------------------------------------

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._lexware_queue_posted()
        return posted

    def _lexware_queue_posted(self):
        """Queue freshly posted customer invoices of companies with auto transfer on.

        Whatever the connection's state: an invoice posted while the company needs a
        reconnect waits in the queue (the cron takes only connected companies' rows) and
        goes once an admin has connected again. No HTTP here: a row and a cron trigger.
        """
        moves = self.filtered(
            lambda move: (
                move.move_type in LEXWARE_MOVE_TYPES and move.company_id.lexware_auto_transfer
            )
        )
        if moves:
            self.env["lexware.transfer"]._lexware_enqueue(moves)

    def action_lexware_send(self):
        """Queue these invoices for Lexware, or retry failed ones; sent ones are skipped."""
        self._lexware_check_may_send()
        moves = self.filtered(lambda move: move.move_type in LEXWARE_MOVE_TYPES)
        not_posted = moves.filtered(lambda move: move.state != "posted")
        if not_posted:
            raise UserError(
                self.env._(
                    "Only posted invoices and credit notes can go to Lexware: %(names)s",
                    names=", ".join(not_posted.mapped("display_name")),
                )
            )
        disconnected = moves.company_id.filtered(lambda company: not is_linked(company))
        if disconnected:
            raise UserError(
                self.env._(
                    "%(companies)s is not connected to Lexware Office. An administrator can "
                    "connect it in Settings > Integrations > Lexware Office.",
                    companies=", ".join(disconnected.mapped("name")),
                )
            )
        # Not `is_in_lexware`: a failed row goes again even with a voucher, so its file goes too.
        in_lexware = moves.filtered(lambda move: move.lexware_state in REACHED_STATES)
        queued = self.env["lexware.transfer"]._lexware_enqueue(moves - in_lexware)
        messages = []
        if len(queued) == 1:
            messages.append(self.env._("One invoice queued for Lexware."))
        elif queued:
            messages.append(self.env._("%(count)s invoices queued for Lexware.", count=len(queued)))
        if in_lexware:
            messages.append(
                self.env._(
                    "Already in Lexware, skipped: %(names)s",
                    names=", ".join(in_lexware.mapped("display_name")),
                )
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if in_lexware else "success",
                "message": " ".join(messages) or self.env._("Nothing to send."),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _lexware_check_may_send(self):
        """Queueing and retrying are billing users' actions; the queue itself is written
        by the engine alone (with sudo), so this check is the door."""
        if not self.env.su and not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(self.env._("Only accountants can send invoices to Lexware."))
        self.check_access("read")

    # -- chatter --------------------------------------------------------------------------

    def _lexware_message_sent(self, voucher_id):
        self.ensure_one()
        self.invalidate_recordset(["lexware_voucher_id", "lexware_voucher_url"])
        url = self.lexware_voucher_url or ""
        body = Markup("%s <a href='%s' target='_blank'>%s</a>") % (
            self.env._("Booked in Lexware Office as voucher"),
            url,
            self.name,
        )
        self.sudo().message_post(body=body, subtype_xmlid="mail.mt_note")

    def _lexware_message_tax_moved(self, moves, total):
        """Say on the invoice that Lexware books another tax than it shows, and where."""
        self.ensure_one()
        rates = "; ".join(
            self.env._(
                "at %(rate)s %%: %(booked)s EUR booked, %(invoiced)s EUR on the invoice",
                rate=move.rate,
                booked=move.booked,
                invoiced=move.invoiced,
            )
            for move in moves
        )
        total = "%.2f" % total
        body = self.env._(
            "Lexware Office books this invoice with another tax than the invoice shows "
            "(%(rates)s). The total of %(total)s EUR is the invoice's; only the split between "
            "net amount and tax moved, by the least Lexware accepts: Lexware takes an item's "
            "tax only within a cent of its amount times the rate.",
            rates=rates,
            total=total,
        )
        self.sudo().message_post(body=body, subtype_xmlid="mail.mt_note")

    def _lexware_message_failed(self, reason):
        self.ensure_one()
        body = Markup("%s<br/>%s") % (
            self.env._("The transfer to Lexware Office failed."),
            Markup("<br/>").join(reason.splitlines()),
        )
        move = self.sudo()
        move.message_post(body=body, subtype_xmlid="mail.mt_note")
        user = move._lexware_failure_reader()
        if user:
            move.activity_schedule(
                "lexware_connector.mail_activity_lexware_failed",
                summary=self.env._("Lexware transfer failed"),
                note=plaintext2html(reason),
                user_id=user.id,
            )

    def _lexware_failure_reader(self):
        """Who gets the activity when the transfer fails: the salesperson, else an
        accountant of the company."""
        return self.invoice_user_id or self._lexware_accountant()

    def _lexware_accountant(self):
        group = self.env.ref("account.group_account_manager", raise_if_not_found=False)
        if not group:
            return self.env["res.users"]
        return group.sudo().users.filtered(
            lambda user: self.company_id in user.company_ids and not user.share
        )[:1]
