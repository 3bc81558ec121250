"""Real Odoo invoices on the SKR03 company, as Lexware receives them."""

from odoo import fields

from ..lexware.categories import DOCUMENTED_IDS
from .test_transfer_common import TransferCase

REVENUE = DOCUMENTED_IDS["revenue_general"]


class TestMappingInvoices(TransferCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eu_customer = cls.env["res.partner"].create(
            {
                "name": "Client Européen SARL",
                "is_company": True,
                "vat": "FR23334175221",
                "country_id": cls.env.ref("base.fr").id,
                "city": "Paris",
            }
        )
        cls.us_customer = cls.env["res.partner"].create(
            {
                "name": "American Tiles Inc.",
                "is_company": True,
                "country_id": cls.env.ref("base.us").id,
            }
        )
        cls.private = cls.env["res.partner"].create(
            {"name": "Erika Mustermann", "country_id": cls.env.ref("base.de").id}
        )

    def _send(self, move):
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent", move.lexware_error)
        voucher = self._voucher(move)
        self.assertEqual(voucher["voucherNumber"], move.name)
        self.assertEqual(voucher["totalGrossAmount"], abs(move.amount_total_signed))
        self.assertEqual(len(voucher["files"]), 1)
        return voucher

    def _category(self, kind):
        return self.company._lexware_category(kind)

    def test_19_percent(self):
        voucher = self._send(self._invoice([(100.0, self.tax_19), (33.33, self.tax_19, 3)]))
        self.assertEqual(voucher["taxType"], "net")
        self.assertEqual(self._items(voucher), {(19, self._category("revenue")): (199.99, 38.0)})
        self.assertEqual(voucher["totalTaxAmount"], 38.0)

    def test_7_percent(self):
        voucher = self._send(self._invoice([(10.0, self.tax_7, 7)]))
        self.assertEqual(self._items(voucher), {(7, self._category("revenue")): (70.0, 4.9)})

    def test_0_percent_and_mixed(self):
        move = self._invoice([(100.0, self.tax_19), (50.0, self.tax_7), (25.0, self.tax_0)])
        voucher = self._send(move)
        revenue = self._category("revenue")
        self.assertEqual(
            self._items(voucher),
            {(19, revenue): (100.0, 19.0), (7, revenue): (50.0, 3.5), (0, revenue): (25.0, 0.0)},
        )
        self.assertEqual(voucher["totalTaxAmount"], 22.5)
        self.assertEqual(voucher["voucherDate"][:10], "2025-03-14")
        self.assertEqual(voucher["dueDate"][:10], fields.Date.to_string(move.invoice_date_due))
        self.assertIn(move.name, voucher["remark"])

    def test_tax_included_prices_go_as_gross(self):
        tax_incl = self.tax_19.copy({"name": "19% incl.", "price_include_override": "tax_included"})
        voucher = self._send(self._invoice([(119.0, tax_incl), (59.5, tax_incl)]))
        self.assertEqual(voucher["taxType"], "gross")
        self.assertEqual(self._items(voucher), {(19, self._category("revenue")): (178.5, 28.5)})

    def test_discounts_and_negative_lines_fold_into_their_group(self):
        move = self._invoice(
            [(100.0, self.tax_19, 1, 10), (-20.0, self.tax_19), (30.0, self.tax_7)]
        )
        voucher = self._send(move)
        revenue = self._category("revenue")
        self.assertEqual(
            self._items(voucher), {(19, revenue): (70.0, 13.3), (7, revenue): (30.0, 2.1)}
        )

    def test_50_lines_of_0_33_settle_their_rounding(self):
        move = self._invoice([(0.33, self.tax_19)] * 50)
        voucher = self._send(move)
        ((amount, tax),) = self._items(voucher).values()
        self.assertEqual(voucher["totalGrossAmount"], move.amount_total)
        self.assertAlmostEqual(amount + tax, move.amount_total, places=2)
        self.assertLessEqual(abs(round(amount * 0.19, 2) - tax), 0.01)

    def test_credit_note(self):
        refund = self._invoice([(200.0, self.tax_19), (10.0, self.tax_7)], move_type="out_refund")
        voucher = self._send(refund)
        self.assertEqual(voucher["type"], "salescreditnote")
        revenue = self._category("revenue")
        self.assertEqual(
            self._items(voucher), {(19, revenue): (200.0, 38.0), (7, revenue): (10.0, 0.7)}
        )

    def test_intra_eu_supply_books_intra_eu_with_a_real_contact(self):
        fiscal_position = self.chart.ref("fiscal_position_eu_vat_id_partner_skr03")
        move = self._invoice(
            [(500.0, self.tax_eu)], partner=self.eu_customer, fiscal_position_id=fiscal_position.id
        )
        voucher = self._send(move)
        self.assertEqual(self._items(voucher), {(0, DOCUMENTED_IDS["intra_eu"]): (500.0, 0.0)})
        contact = next(c for c in self.sandbox.contacts() if c["id"] == voucher["contactId"])
        self.assertEqual(contact["company"]["vatRegistrationId"], "FR23334175221")

    def test_13b_books_reverse_charge_even_for_a_private_customer_on_the_collective_contact(self):
        self.company.lexware_use_collective_contact = True
        plain = self._send(self._invoice([(100.0, self.tax_19)], partner=self.private))
        self.assertTrue(plain["useCollectiveContact"])
        voucher = self._send(self._invoice([(1000.0, self.tax_13b)], partner=self.private))
        self.assertFalse(voucher.get("useCollectiveContact"))
        self.assertTrue(voucher["contactId"])
        self.assertEqual(
            self._items(voucher), {(0, DOCUMENTED_IDS["reverse_charge"]): (1000.0, 0.0)}
        )

    def test_export_of_goods_and_services_to_third_countries(self):
        voucher = self._send(
            self._invoice(
                [(300.0, self.tax_export), (200.0, self.tax_third_service)],
                partner=self.us_customer,
            )
        )
        self.assertEqual(
            self._items(voucher),
            {
                (0, DOCUMENTED_IDS["export_goods"]): (300.0, 0.0),
                (0, DOCUMENTED_IDS["export_services"]): (200.0, 0.0),
            },
        )

    def test_small_business_books_kleinunternehmer_revenue(self):
        self.company.lexware_small_business = True
        voucher = self._send(self._invoice([(80.0, self.tax_0)]))
        self.assertEqual(self._items(voucher), {(0, self._category("small_business")): (80.0, 0.0)})

    def test_explicit_category_on_the_tax_wins(self):
        self.tax_19.lexware_category_kind = "revenue_services"
        voucher = self._send(self._invoice([(10.0, self.tax_19)]))
        self.assertEqual(
            self._items(voucher), {(19, DOCUMENTED_IDS["revenue_services"]): (10.0, 1.9)}
        )

    def test_foreign_currency_goes_in_eur_and_says_so(self):
        usd = self.env.ref("base.USD")
        usd.active = True
        self.env["res.currency.rate"].create(
            {
                "currency_id": usd.id,
                "company_id": self.company.id,
                "name": "2025-03-01",
                "company_rate": 1.25,
            }
        )
        move = self._invoice([(125.0, self.tax_19)], currency_id=usd.id)
        voucher = self._send(move)
        self.assertEqual(self._items(voucher), {(19, self._category("revenue")): (100.0, 19.0)})
        self.assertEqual(voucher["totalGrossAmount"], 119.0)
        self.assertIn("Invoice in USD", voucher["remark"])
        self.assertIn("1.25", voucher["remark"])

    def test_a_line_with_two_taxes_fails_with_a_reason(self):
        move = self._invoice([(10.0, self.tax_19 | self.tax_7)])
        self._run_cron()
        self.assertEqual(move.lexware_state, "failed")
        self.assertIn("several taxes", move.lexware_error)

    def test_delivery_date_goes_as_shipping_date(self):
        move = self._invoice([(10.0, self.tax_19)], post=False)
        self.assertTrue("delivery_date" in move._fields, "Odoo 18 invoices carry a delivery date")
        move.delivery_date = "2025-03-10"
        move.action_post()
        voucher = self._send(move)
        self.assertEqual(voucher["shippingDate"][:10], "2025-03-10")


class TestRealPdf(TransferCase):
    render_real_pdf = True

    def test_the_rendered_invoice_pdf_is_attached(self):
        move = self._invoice([(10.0, self.tax_19)])
        filename, content = move._lexware_invoice_pdf()
        self.assertTrue(content.startswith(b"%PDF-"))
        self.assertEqual(filename, move.name.replace("/", "_") + ".pdf")

    def test_a_pdf_over_5_mb_fails_the_invoice(self):
        move = self._invoice([(10.0, self.tax_19)])
        huge = b"%PDF-1.4\n" + b"0" * 5_242_880
        self._fake_pdf_rendering(lambda _move: huge)
        self._run_cron()
        self.assertEqual(move.lexware_state, "failed")
        self.assertIn("5 MB", move.lexware_error)
        self.assertFalse(self._vouchers(move))
