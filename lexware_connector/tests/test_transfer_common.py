"""Shared setup for the transfer and mapping tests: a connected SKR03 company, customers,
invoices built the way a user builds them, and the cron run inside the test transaction."""

import random
from unittest.mock import patch

from odoo import Command, fields

from ..lexware.voucher import build_voucher
from .common import LexwareSandboxCase

FAKE_PDF = b"%PDF-1.4\n% lexware_connector test document\n"


def fake_pdf_rendering(env, content_of=None):
    """A patch of Odoo's PDF rendering in Send & Print (`_prepare_invoice_pdf_report`):
    `content_of(move)` gives each invoice's PDF (FAKE_PDF and its number by default), or
    raises as a failed rendering would. The rest of the generation is Odoo's."""
    content_of = content_of or (lambda move: FAKE_PDF + move.name.encode())

    def prepare(send, invoices_data):
        for invoice, invoice_data in invoices_data.items():
            invoice_data["pdf_attachment_values"] = {
                "name": invoice._get_invoice_report_filename(),
                "raw": content_of(invoice),
                "mimetype": "application/pdf",
                "res_model": invoice._name,
                "res_id": invoice.id,
                "res_field": "invoice_pdf_report_file",
            }

    return patch.object(type(env["account.move.send"]), "_prepare_invoice_pdf_report", prepare)


def seed_for_504():
    """A sandbox seed whose first write fault is a 504 (carried out, then the gateway gave
    up)."""
    for seed in range(1000):
        draws = random.Random(seed)
        draws.random()
        if draws.random() >= 0.5:
            return seed
    raise AssertionError("no seed")


class TransferCase(LexwareSandboxCase):
    """No test of its own; the engine's commits become flushes inside tests."""

    render_real_pdf = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        cls._connect_company(cls.company)
        cls.chart = cls.env["account.chart.template"].with_company(cls.company)
        cls.tax_19 = cls.chart.ref("tax_ust_19_skr03")
        cls.tax_7 = cls.chart.ref("tax_ust_7_skr03")
        cls.tax_0 = cls.chart.ref("tax_ust_no_ustpflicht_skr03")
        cls.tax_eu = cls.chart.ref("tax_eu_sale_skr03")
        cls.tax_export = cls.chart.ref("tax_export_skr03")
        cls.tax_third_service = cls.chart.ref("tax_free_third_country_skr03")
        cls.tax_13b = cls.chart.ref("tax_ust_free_bau_skr03")
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Kunde Bau GmbH",
                "is_company": True,
                "street": "Hauptstraße 1",
                "zip": "10115",
                "city": "Berlin",
                "country_id": cls.env.ref("base.de").id,
                "email": "buchhaltung@kunde-bau.example",
            }
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Fliesen verlegen", "type": "service", "taxes_id": [Command.clear()]}
        )

    def setUp(self):
        super().setUp()
        # Each test books into an organisation of its own: invoice numbers repeat between
        # tests (their transactions roll back), Lexware's vouchers would not.
        key = f"key-{type(self).__name__}-{self._testMethodName}"
        self.organization_id = self.sandbox.add_organization(
            f"Org {self._testMethodName}", api_key=key
        )
        self._connect_company(self.company, api_key=key)
        if not self.render_real_pdf:
            self._fake_pdf_rendering()

    def _fake_pdf_rendering(self, content_of=None):
        """Replace the PDF rendering (of the default fake) for the rest of the test."""
        patcher = fake_pdf_rendering(self.env, content_of)
        patcher.start()
        self.addCleanup(patcher.stop)

    # -- building invoices ----------------------------------------------------------------

    def _invoice(self, lines, partner=None, move_type="out_invoice", post=True, **values):
        """lines: (price_unit, tax or taxes[, quantity[, discount]]) tuples."""
        line_commands = []
        for spec in lines:
            price, taxes = spec[0], spec[1]
            quantity = spec[2] if len(spec) > 2 else 1
            discount = spec[3] if len(spec) > 3 else 0
            line_commands.append(
                Command.create(
                    {
                        "product_id": self.product.id,
                        "name": "Fliesen verlegen",
                        "price_unit": price,
                        "quantity": quantity,
                        "discount": discount,
                        "tax_ids": [Command.set(taxes.ids if taxes else [])],
                    }
                )
            )
        move = self.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": (partner or self.customer).id,
                "invoice_date": values.pop("invoice_date", fields.Date.from_string("2025-03-14")),
                "invoice_line_ids": line_commands,
                **values,
            }
        )
        if post:
            move.action_post()
        return move

    def _run_cron(self):
        return self.env["lexware.transfer"]._cron_process()

    def _known_customer(self):
        """Send a first invoice, so that the customer is a Lexware contact already and the
        test's own invoices cost no contact request."""
        warm_up = self._invoice([(1.0, self.tax_19)])
        self._run_cron()
        self.assertEqual(warm_up.lexware_state, "sent")

    def _post_behind_the_engine(self, move, amount=None, date=None):
        """POST `move`'s voucher as the engine builds it, with no row knowing: what a dead
        worker's request, or a bookkeeper typing the invoice into Lexware, leaves there.
        `amount` (net, at 19 %) or `date` make it differ from the invoice. Returns its id."""
        contact_id = self.customer.with_company(self.company).lexware_contact_id
        payload = build_voucher(move._lexware_invoice_data(contact_id))
        if amount is not None:
            tax = round(amount * 0.19, 2)
            payload["voucherItems"][0].update(amount=amount, taxAmount=tax)
            payload.update(totalGrossAmount=round(amount + tax, 2), totalTaxAmount=tax)
        if date is not None:
            payload["voucherDate"] = date
        return self.company._lexware_client().create_voucher(payload)["id"]

    def _transfer_triggers(self):
        cron = self.env.ref("lexware_connector.ir_cron_lexware_transfer")
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])

    def _voucher(self, move):
        vouchers = self._vouchers(move)
        self.assertEqual(len(vouchers), 1, f"{move.name} must be in Lexware exactly once")
        return vouchers[0]

    def _vouchers(self, move=None):
        return [
            voucher
            for voucher in self.sandbox.vouchers(number=move.name if move else None)
            if voucher["organizationId"] == self.organization_id
        ]

    def _items(self, voucher):
        """{(rate, categoryId): (amount, taxAmount)} of a voucher."""
        return {
            (item["taxRatePercent"], item["categoryId"]): (item["amount"], item["taxAmount"])
            for item in voucher["voucherItems"]
        }

    def _skonto_term(self, percent, computation):
        """A payment term of 30 days net with `percent` Skonto within 14 days, its tax
        computed the `computation` way (included, excluded or mixed)."""
        return self.env["account.payment.term"].create(
            {
                "name": f"14 Tage {percent} % Skonto, 30 Tage netto ({computation})",
                "early_discount": True,
                "discount_percentage": percent,
                "discount_days": 14,
                "early_pay_discount_computation": computation,
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 100, "nb_days": 30})
                ],
            }
        )

    def _cash_rounding(self, strategy, rounding, method):
        accounts = self.env["account.account"].with_company(self.company)
        return self.env["account.cash.rounding"].create(
            {
                "name": f"{strategy} {rounding} {method}",
                "rounding": rounding,
                "strategy": strategy,
                "rounding_method": method,
                "profit_account_id": accounts.search(
                    [("account_type", "=", "income_other")], limit=1
                ).id,
                "loss_account_id": accounts.search([("account_type", "=", "expense")], limit=1).id,
            }
        )
