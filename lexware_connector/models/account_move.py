"""The Lexware side of a customer invoice: its transfer state, the hook on posting, the
reset guard, and the invoice turned into `lexware/` plain data."""

import logging
from collections import defaultdict
from decimal import Decimal

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_repr, float_round, format_amount, plaintext2html

from ..lexware.categories import OSS_KINDS, SPECIAL_KINDS
from ..lexware.oauth import DEFAULT_AUTH_URL
from ..lexware.voucher import (
    MAX_FILE_SIZE,
    REMARK_LIMIT,
    InvoiceData,
    VoucherLine,
    voucher_permalink,
)
from .lexware_states import (
    FAILED,
    REACHED_STATES,
    TRANSFER_STATES,
    is_in_lexware,
    is_linked,
    is_never_in_lexware,
    shows_error,
)
from .lexware_transfer import LexwareTransferFailure

_logger = logging.getLogger(__name__)

LEXWARE_MOVE_TYPES = ("out_invoice", "out_refund")
# What the transfer engine alone sets; written by a user they would tell a false story
# (a sent invoice pending again, an unsent one sent) and the queue would follow it.
ENGINE_FIELDS = frozenset(
    {"lexware_transfer_ids", "lexware_state", "lexware_voucher_id", "lexware_error"}
)


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

    # -- what users may not write -----------------------------------------------------------

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
        written = ENGINE_FIELDS & vals.keys()
        if written and not self.env.su:
            raise AccessError(
                self.env._(
                    "Only Odoo's transfer to Lexware Office sets %(fields)s: it is the "
                    "record of what Lexware holds.",
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

    # -- the invoice as plain data --------------------------------------------------------

    def _lexware_kinds_by_tax(self):
        """tax -> category kind, for the taxes of this invoice's lines."""
        self.ensure_one()
        products = defaultdict(lambda: self.env["product.product"])
        for line in self.invoice_line_ids.filtered(lambda line: line.display_type == "product"):
            for tax in line.tax_ids:
                products[tax] |= line.product_id
        return {tax: tax._lexware_kind(self, prods) for tax, prods in products.items()}

    def _lexware_needs_real_contact(self):
        """Whether the invoice needs a real contact; checked first, so that nothing is
        created in Lexware for an invoice that cannot go."""
        kinds = self._lexware_kinds_by_tax()
        self._lexware_check_can_go(kinds)
        return any(kind in SPECIAL_KINDS for kind in kinds.values())

    def _lexware_check_can_go(self, kinds):
        """LexwareTransferFailure for an invoice Lexware must not book as it is."""
        company = self.company_id.sudo()
        if company.currency_id.name != "EUR":
            raise LexwareTransferFailure(
                self.env._(
                    "Lexware books in EUR only; the company %(company)s keeps its books in "
                    "%(currency)s.",
                    company=company.name,
                    currency=company.currency_id.name,
                )
            )
        customer = self.commercial_partner_id
        if "intra_eu" in kinds.values() and not customer.vat:
            raise LexwareTransferFailure(
                self.env._(
                    "The invoice books an intra-EU supply, but the customer %(customer)s has "
                    "no VAT id. An intra-EU supply is tax-free only with the customer's VAT id "
                    "(and it goes into the EC Sales List with it). Enter the VAT id on the "
                    "customer and send again, or correct the invoice with a credit note and "
                    "invoice with German VAT.",
                    customer=customer.display_name,
                )
            )
        self._lexware_check_oss_country(kinds)

    def _lexware_check_oss_country(self, kinds):
        """An OSS tax is owed where the goods arrive (or the customer lives): refuse one of
        another country than the invoice's delivery address, before Lexware books it in
        the OSS return of the wrong country."""
        delivery = self.partner_shipping_id or self.partner_id
        arrives = delivery.country_id or self.commercial_partner_id.country_id
        if not arrives:
            return
        for tax, kind in kinds.items():
            if kind not in OSS_KINDS:
                continue
            owed = tax._lexware_oss_country(self)
            if owed and owed != arrives:
                raise LexwareTransferFailure(
                    self.env._(
                        "The tax %(tax)s is owed in %(owed)s (One-Stop-Shop), but the invoice "
                        "goes to %(customer)s in %(country)s. Lexware would book it as a sale "
                        "taxed in %(owed)s. Correct the invoice with a credit note and invoice "
                        "with the tax of %(country)s.",
                        tax=tax.name,
                        owed=owed.name,
                        customer=delivery.display_name,
                        country=arrives.name,
                    )
                )

    def _lexware_invoice_data(self, contact_id):
        """This invoice as `InvoiceData`, in EUR; LexwareTransferFailure for what can't go.

        One `VoucherLine` per line Odoo computes taxes on: the product lines, and the
        early payment discount lines of the "mixed" computation (the taxed one in its
        tax's group, the untaxed one at 0 %), each with the tax Odoo computed for it, so
        that the lines' taxes add up to the invoice's tax lines, a cash rounding on the
        biggest tax included. An untaxed cash rounding goes as `cash_rounding`.
        """
        self.ensure_one()
        kinds = self._lexware_kinds_by_tax()
        self._lexware_check_can_go(kinds)
        self._lexware_check_product_lines()
        self._lexware_check_tax_lines()
        base_lines, _tax_lines = self._get_rounded_base_and_tax_lines()
        lines = []
        untaxed = []
        cash_rounding = Decimal(0)
        tax_included = False
        for base_line in base_lines:
            line = base_line["record"]
            net = self._lexware_amount(self._lexware_sign() * line.balance)
            taxes_data = base_line["tax_details"]["taxes_data"]
            if base_line["special_type"] == "cash_rounding":
                cash_rounding += net
            elif not taxes_data:
                # A product line without tax and nothing to book was let through above.
                if line.display_type == "epd":
                    untaxed.append((line, net))
            else:
                tax = taxes_data[0]["tax"]
                tax_included = tax_included or (
                    line.display_type == "product" and tax.price_include
                )
                lines.append(
                    (
                        line,
                        VoucherLine(
                            rate_percent=Decimal(str(float_round(tax.amount, 4))),
                            category_id=self._lexware_category_id(kinds[tax]),
                            foreign_rates=kinds[tax] in OSS_KINDS,
                            net=net,
                            tax=self._lexware_amount(taxes_data[0]["tax_amount"]),
                        ),
                    )
                )
        voucher_lines = [voucher_line for _line, voucher_line in lines]
        voucher_lines += [
            VoucherLine(Decimal(0), self._lexware_untaxed_category(line, lines), net, Decimal(0))
            for line, net in untaxed
        ]
        return InvoiceData(
            number=self.name,
            is_credit_note=self.move_type == "out_refund",
            invoice_date=self.invoice_date,
            due_date=self.invoice_date_due,
            delivery_date=self.delivery_date or None,
            tax_included=bool(tax_included),
            lines=tuple(voucher_lines),
            total_gross=Decimal(str(abs(self.amount_total_signed))),
            contact_id=contact_id,
            remark=self._lexware_remark(),
            cash_rounding=cash_rounding,
        )

    def _lexware_sign(self):
        """Amounts positive for invoices and credit notes alike."""
        return -1 if self.move_type == "out_invoice" else 1

    def _lexware_amount(self, amount):
        """A float amount of the company currency as an exact Decimal."""
        currency = self.company_id.currency_id
        return Decimal(float_repr(currency.round(amount), currency.decimal_places))

    def _lexware_check_product_lines(self):
        """LexwareTransferFailure for a product line Lexware cannot book: one percentage
        tax per line with an amount."""
        for line in self.invoice_line_ids.filtered(lambda line: line.display_type == "product"):
            name = line.name or line.product_id.display_name
            if not line.tax_ids:
                if line.currency_id.is_zero(line.price_subtotal):
                    continue
                raise LexwareTransferFailure(
                    self.env._(
                        "The line %(line)s has no tax. Lexware books every amount with a tax "
                        "rate: give it a tax (0 %% where no tax applies).",
                        line=name,
                    )
                )
            if len(line.tax_ids) > 1:
                raise LexwareTransferFailure(
                    self.env._(
                        "The line %(line)s carries several taxes (%(taxes)s). Lexware books one "
                        "tax rate per amount.",
                        line=name,
                        taxes=", ".join(line.tax_ids.mapped("name")),
                    )
                )
            if line.tax_ids.amount_type != "percent":
                raise LexwareTransferFailure(
                    self.env._(
                        "The tax %(tax)s is not a percentage; Lexware books percentages only.",
                        tax=line.tax_ids.name,
                    )
                )

    def _lexware_check_tax_lines(self):
        """LexwareTransferFailure for a tax amount (a cash rounding on it included) that
        belongs to no invoice line."""
        line_taxes = self.invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
        ).tax_ids
        unknown = self.line_ids.filtered("tax_repartition_line_id").tax_line_id - line_taxes
        if unknown:
            raise LexwareTransferFailure(
                self.env._(
                    "The tax amounts of %(taxes)s belong to no invoice line.",
                    taxes=", ".join(unknown.mapped("name")),
                )
            )

    def _lexware_untaxed_category(self, untaxed_line, lines):
        """The category of an untaxed early payment discount line: the one of the largest
        taxed line on its account (Odoo makes one such line per account), else of the
        largest line."""
        same_account = [
            voucher_line
            for line, voucher_line in lines
            if line.account_id == untaxed_line.account_id
        ]
        candidates = same_account or [voucher_line for _line, voucher_line in lines]
        if not candidates:
            return self._lexware_category_id("revenue")
        return max(candidates, key=lambda voucher_line: abs(voucher_line.net)).category_id

    def _lexware_category_id(self, kind):
        return self.company_id.sudo()._lexware_category(kind)

    def _lexware_remark(self):
        """Number, reference and currency note; a long reference is shortened so that the
        currency note still fits Lexware's remark."""
        head = self.env._("Odoo %(number)s", number=self.name)
        notes = []
        if self.currency_id != self.company_id.currency_id:
            rate = abs(self.amount_total) / abs(self.amount_total_signed or 1)
            rate_text = ("%.6f" % rate).rstrip("0").rstrip(".")
            notes.append(
                self.env._(
                    "Invoice in %(currency)s %(amount)s, booked in EUR at the rate of %(rate)s",
                    currency=self.currency_id.name,
                    amount=format_amount(self.env, self.amount_total, self.currency_id).replace(
                        "\xa0", " "
                    ),
                    rate=rate_text,
                )
            )
        ref = " ".join((self.ref or "").split())
        if ref:
            ref = self.env._("Reference %(ref)s", ref=ref)
            room = REMARK_LIMIT - len("; ".join([head, "", *notes]))
            if len(ref) > room:
                ref = ref[: max(room - 1, 0)].rstrip() + "…"
            return "; ".join([head, ref, *notes])
        return "; ".join([head, *notes])

    # -- the PDF --------------------------------------------------------------------------

    def _lexware_invoice_pdf(self):
        """(filename, content) of the invoice's own PDF: the one Odoo stored for it, else
        rendered now. Never another PDF of the chatter: the first one there may be the
        customer's purchase order, attached to the draft."""
        self.ensure_one()
        filename = (self.name or "invoice").replace("/", "_") + ".pdf"
        attachment = self.sudo().invoice_pdf_report_id
        content = attachment.raw if attachment else self._lexware_render_pdf()
        if len(content) > MAX_FILE_SIZE:
            size = f"{len(content):,}"
            raise LexwareTransferFailure(
                self.env._(
                    "The invoice PDF has %(size)s bytes; Lexware accepts at most 5 MB "
                    "(5,242,880 bytes).",
                    size=size,
                )
            )
        return filename, content

    def _lexware_render_pdf(self):
        try:
            content, _format = (
                self.env["ir.actions.report"]
                .sudo()
                .with_context(force_report_rendering=True)
                ._render_qweb_pdf("account.account_invoices", res_ids=self.ids)
            )
        except Exception as error:
            _logger.warning("Lexware: the PDF of invoice %s did not render", self.id, exc_info=True)
            raise LexwareTransferFailure(
                self.env._("The invoice PDF could not be rendered: %(error)s", error=error)
            ) from None
        return content
