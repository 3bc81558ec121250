"""Which Lexware posting category a sales tax books into."""

from odoo import fields, models

from ..lexware.categories import CATEGORY_KINDS

KIND_LABELS = {
    "revenue_general": "Revenue (Einnahmen)",
    "revenue_goods": "Sales of goods (Warenverkäufe)",
    "revenue_services": "Services (Dienstleistungen)",
    "intra_eu": "Intra-EU supply",
    "reverse_charge": "Reverse charge (§13b)",
    "export_goods": "Export of goods to third countries",
    "export_services": "Services to third countries",
    "small_business": "Small business (§19 UStG)",
    "oss_goods": "OSS: distance sales taxed in the EU country",
    "oss_services": "OSS: e-services taxed in the EU country",
}

# German tax report lines (tags of l10n_de) that say which special category a tax means.
TAG_KINDS = {
    "41": "intra_eu",  # intra-EU supply to a customer with VAT id
    "42": "intra_eu",  # triangular trade, first customer
    "44": "intra_eu",  # new vehicles to the EU
    "21": "reverse_charge",  # services taxed in the customer's EU country
    "60": "reverse_charge",  # §13b: the customer owes the tax
    "43": "export_goods",  # tax-free export (§4 Nr. 1a UStG)
    "45": "export_services",  # not taxable here: services to third countries
}


class AccountTax(models.Model):
    _inherit = "account.tax"

    lexware_category_kind = fields.Selection(
        [("auto", "Automatic"), ("revenue", "Company default revenue")]
        + [(kind, KIND_LABELS[kind]) for kind in CATEGORY_KINDS],
        string="Lexware Category",
        default="auto",
        required=True,
        help="The Lexware posting category for revenue with this tax. Automatic follows the "
        "German tax report lines of the tax: intra-EU supply, §13b, exports; the OSS taxes "
        "of the EU One-Stop-Shop book as OSS taxed in the customer's EU country; anything "
        "else books as the company's default revenue.",
    )

    def _lexware_kind(self, move, products=None):
        """The category kind for this tax on `move`; products: the lines' products."""
        self.ensure_one()
        company = move.company_id.sudo()
        if self.lexware_category_kind not in (False, "auto"):
            return self.lexware_category_kind
        if company.lexware_small_business and not self.amount:
            return "small_business"
        kind = self._lexware_kind_from_tags()
        if kind:
            return kind
        if self._lexware_is_oss(company):
            # Distance sales of goods unless every product is a service.
            services = products and all(product.type == "service" for product in products)
            return "oss_services" if services else "oss_goods"
        return "revenue"

    def _lexware_is_oss(self, company):
        """Whether this tax is owed in another EU country (One-Stop-Shop).

        The taxes `l10n_eu_oss` makes carry the company's own fiscal country, so only their
        OSS tag tells them apart: the tag Odoo's OSS return reads too, so what Lexware books
        as OSS is what the accountant declares as OSS. A tax of another country (a foreign
        VAT set up by hand) is owed there as well.
        """
        oss_tag = self.env.ref("l10n_eu_oss.tag_oss", raise_if_not_found=False)
        if oss_tag and oss_tag in self.invoice_repartition_line_ids.tag_ids:
            return True
        fiscal_country = company.account_fiscal_country_id
        return bool(self.country_id and fiscal_country and self.country_id != fiscal_country)

    def _lexware_oss_country(self, move):
        """The EU country this OSS tax is owed in, or an empty recordset when unknown.

        The fiscal position that maps a domestic tax to this one names it: `l10n_eu_oss`
        makes one per EU country, and its taxes are that country's rates. The invoice's
        own fiscal position comes first (that is how Odoo chose the tax); a tax picked by
        hand is found through the company's fiscal positions. A tax of a foreign country
        carries its country itself.
        """
        self.ensure_one()
        company = move.company_id.sudo()
        if self.country_id and self.country_id != company.account_fiscal_country_id:
            return self.country_id
        own = move.fiscal_position_id
        if own.country_id and self in own.tax_ids.tax_dest_id:
            return own.country_id
        positions = (
            self.env["account.fiscal.position"]
            .sudo()
            .search(
                [
                    *self.env["account.fiscal.position"]._check_company_domain(company),
                    ("tax_ids.tax_dest_id", "=", self.id),
                    ("country_id", "!=", False),
                ]
            )
        )
        countries = positions.country_id
        return countries if len(countries) == 1 else self.env["res.country"]

    def _lexware_kind_from_tags(self):
        tags = self.invoice_repartition_line_ids.tag_ids
        for tag in tags:
            code = (tag.name or "").lstrip("+-").removesuffix("_BASE")
            if code in TAG_KINDS:
                return TAG_KINDS[code]
        return None
