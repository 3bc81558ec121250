"""A customer invoice as Lexware books it: checked for what Lexware cannot book, turned
into `lexware/` plain data (`InvoiceData`)."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from odoo import models
from odoo.tools import float_repr, float_round, format_amount

from ..lexware.categories import OSS_KINDS, SPECIAL_KINDS
from ..lexware.voucher import REMARK_LIMIT, InvoiceData, VoucherLine
from .lexware_transfer import LexwareTransferFailure


class TaxedLine(NamedTuple):
    """An invoice line with a tax, and the voucher line Lexware books for it."""

    line: models.BaseModel
    voucher_line: VoucherLine


class UntaxedLine(NamedTuple):
    """An untaxed early payment discount line and its net amount in EUR."""

    line: models.BaseModel
    net: Decimal


@dataclass
class BookedLines:
    """An invoice's lines as Lexware books them."""

    taxed: list[TaxedLine] = field(default_factory=list)
    untaxed: list[UntaxedLine] = field(default_factory=list)
    # An untaxed cash rounding, in EUR.
    cash_rounding: Decimal = Decimal(0)
    # Whether a product line's price includes its tax.
    tax_included: bool = False


class AccountMove(models.Model):
    # One concern per file, as issue 15 asks, rather than one file per model.
    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

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
        booked = self._lexware_booked_lines(kinds)
        voucher_lines = [taxed.voucher_line for taxed in booked.taxed]
        voucher_lines += [
            VoucherLine(
                Decimal(0),
                self._lexware_untaxed_category(untaxed.line, booked.taxed),
                untaxed.net,
                Decimal(0),
            )
            for untaxed in booked.untaxed
        ]
        return InvoiceData(
            number=self.name,
            is_credit_note=self.move_type == "out_refund",
            invoice_date=self.invoice_date,
            due_date=self.invoice_date_due,
            delivery_date=self.delivery_date or None,
            tax_included=booked.tax_included,
            lines=tuple(voucher_lines),
            total_gross=Decimal(str(abs(self.amount_total_signed))),
            contact_id=contact_id,
            remark=self._lexware_remark(),
            cash_rounding=booked.cash_rounding,
        )

    def _lexware_booked_lines(self, kinds):
        """The lines Odoo computes taxes on, sorted by what Lexware books of them."""
        base_lines, _tax_lines = self._get_rounded_base_and_tax_lines()
        booked = BookedLines()
        for base_line in base_lines:
            line = base_line["record"]
            net = self._lexware_amount(self._lexware_sign() * line.balance)
            taxes_data = base_line["tax_details"]["taxes_data"]
            if base_line["special_type"] == "cash_rounding":
                booked.cash_rounding += net
            elif not taxes_data:
                # A product line without tax and nothing to book was let through above.
                if line.display_type == "epd":
                    booked.untaxed.append(UntaxedLine(line, net))
            else:
                tax = taxes_data[0]["tax"]
                booked.tax_included = booked.tax_included or (
                    line.display_type == "product" and bool(tax.price_include)
                )
                voucher_line = VoucherLine(
                    rate_percent=Decimal(str(float_round(tax.amount, 4))),
                    category_id=self._lexware_category_id(kinds[tax]),
                    foreign_rates=kinds[tax] in OSS_KINDS,
                    net=net,
                    tax=self._lexware_amount(taxes_data[0]["tax_amount"]),
                )
                booked.taxed.append(TaxedLine(line, voucher_line))
        return booked

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

    def _lexware_untaxed_category(self, untaxed_line, taxed):
        """The category of an untaxed early payment discount line: the one of the largest
        of the `taxed` lines on its account (Odoo makes one such line per account), else
        of the largest one."""
        same_account = [
            booked.voucher_line
            for booked in taxed
            if booked.line.account_id == untaxed_line.account_id
        ]
        candidates = same_account or [booked.voucher_line for booked in taxed]
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
