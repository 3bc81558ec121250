"""The EU One-Stop-Shop as a German company sets it up in Odoo: `l10n_eu_oss` installed and
its tax mapping made (Settings > Invoicing > *Refresh tax mapping*: one fiscal position
per EU country, auto-applied to customers there without a VAT id, mapping the German
taxes to that country's rates). Installing the module alone makes none of it."""

from odoo import Command


class OssMixin:
    """For TransferCase tests: the OSS mapping, customers abroad, invoices taxed by it."""

    def _map_oss(self):
        company = self.company
        if not hasattr(company, "_map_eu_taxes"):
            self.fail("l10n_eu_oss is not installed; setup/odoo_db.py create installs it")
        company._map_eu_taxes()
        return company

    def _private_customer(self, name, country_code, city):
        return self.env["res.partner"].create(
            {
                "name": name,
                "street": "Hauptplatz 1",
                "city": city,
                "country_id": self.env.ref(f"base.{country_code}").id,
            }
        )

    def _oss_product(self, name, product_type="consu"):
        """A product taxed at 19 % in Germany; the fiscal position maps the tax abroad."""
        return self.env["product.product"].create(
            {"name": name, "type": product_type, "taxes_id": [Command.set(self.tax_19.ids)]}
        )

    def _invoice_as_typed(self, partner, lines, move_type="out_invoice"):
        """lines: (product, price_unit) pairs, taxes left to Odoo as a user leaves them."""
        move = self.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": partner.id,
                "invoice_date": "2025-03-14",
                "invoice_line_ids": [
                    Command.create({"product_id": product.id, "price_unit": price})
                    for product, price in lines
                ],
            }
        )
        move.action_post()
        return move
