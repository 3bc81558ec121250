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
        "German tax report lines of the tax: intra-EU supply, §13b, exports; anything else "
        "books as the company's default revenue.",
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
        fiscal_country = company.account_fiscal_country_id
        if self.country_id and fiscal_country and self.country_id != fiscal_country:
            # A foreign EU VAT (One-Stop-Shop): goods unless every product is a service.
            services = products and all(product.type == "service" for product in products)
            return "oss_services" if services else "oss_goods"
        return "revenue"

    def _lexware_kind_from_tags(self):
        tags = self.invoice_repartition_line_ids.tag_ids
        for tag in tags:
            code = (tag.name or "").lstrip("+-").removesuffix("_BASE")
            if code in TAG_KINDS:
                return TAG_KINDS[code]
        return None
