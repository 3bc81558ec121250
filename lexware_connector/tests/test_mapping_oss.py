"""OSS sales (`l10n_eu_oss`) as Lexware receives them: booked in the OSS categories taxed
in the customer's EU country, at that country's rate, with a real contact."""

from ..lexware.categories import DOCUMENTED_IDS
from .oss_common import OssMixin
from .test_transfer_common import TransferCase

OSS_GOODS = DOCUMENTED_IDS["oss_goods"]
OSS_SERVICES = DOCUMENTED_IDS["oss_services"]


class TestMappingOss(OssMixin, TransferCase):
    def setUp(self):
        super().setUp()
        self._map_oss()
        self.austrian = self._private_customer("Maria Gruber", "at", "Wien")
        self.cypriot = self._private_customer("Andreas Georgiou", "cy", "Limassol")
        # Private customers go on the collective contact, unless Lexware needs a real one.
        self.company.lexware_use_collective_contact = True
        self.tiles = self._oss_product("Fliesen (Karton)")
        self.download = self._oss_product("Verlegeanleitung (Download)", "service")

    def _austrian_tax(self):
        tax = (
            self.env["account.fiscal.position"]
            .search([("company_id", "=", self.company.id), ("country_id.code", "=", "AT")])
            .map_tax(self.tax_19)
        )
        self.assertEqual(tax.amount, 20.0)
        return tax

    def _sent(self, move):
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent", move.lexware_error)
        voucher = self._voucher(move)
        self.assertEqual(voucher["totalGrossAmount"], move.amount_total)
        return voucher

    def _assert_own_contact(self, voucher, last_name, country_code):
        self.assertFalse(voucher["useCollectiveContact"])
        contact = next(c for c in self.sandbox.contacts() if c["id"] == voucher["contactId"])
        self.assertEqual(contact["person"]["lastName"], last_name)
        self.assertEqual(contact["addresses"]["billing"][0]["countryCode"], country_code)

    def test_private_customer_in_austria_books_oss_at_20_percent(self):
        move = self._invoice_as_typed(self.austrian, [(self.tiles, 100.0)])
        self.assertEqual(move.fiscal_position_id.country_id.code, "AT")
        self.assertEqual(move.invoice_line_ids.tax_ids.amount, 20.0)
        voucher = self._sent(move)
        self.assertEqual(self._items(voucher), {(20, OSS_GOODS): (100.0, 20.0)})
        self.assertEqual(voucher["totalTaxAmount"], 20.0)
        self.assertEqual(voucher["totalGrossAmount"], 120.0)
        self._assert_own_contact(voucher, "Maria Gruber", "AT")

    def test_private_customer_in_cyprus_books_oss_at_19_percent_not_german_revenue(self):
        move = self._invoice_as_typed(self.cypriot, [(self.tiles, 250.0)])
        self.assertEqual(move.fiscal_position_id.country_id.code, "CY")
        self.assertNotEqual(move.invoice_line_ids.tax_ids, self.tax_19, "Cyprus's own 19 %")
        voucher = self._sent(move)
        self.assertEqual(self._items(voucher), {(19, OSS_GOODS): (250.0, 47.5)})
        self._assert_own_contact(voucher, "Andreas Georgiou", "CY")

    def test_electronic_services_book_oss_services(self):
        voucher = self._sent(self._invoice_as_typed(self.austrian, [(self.download, 10.0)]))
        self.assertEqual(self._items(voucher), {(20, OSS_SERVICES): (10.0, 2.0)})

    def test_goods_and_services_at_one_rate_book_as_goods(self):
        move = self._invoice_as_typed(self.austrian, [(self.tiles, 100.0), (self.download, 10.0)])
        voucher = self._sent(move)
        self.assertEqual(self._items(voucher), {(20, OSS_GOODS): (110.0, 22.0)})

    def test_credit_note_to_austria_books_positive_oss_amounts(self):
        refund = self._invoice_as_typed(self.austrian, [(self.tiles, 40.0)], "out_refund")
        voucher = self._sent(refund)
        self.assertEqual(voucher["type"], "salescreditnote")
        self.assertEqual(self._items(voucher), {(20, OSS_GOODS): (40.0, 8.0)})

    def test_german_private_customer_still_books_revenue_on_the_collective_contact(self):
        german = self._private_customer("Erika Mustermann", "de", "Köln")
        move = self._invoice_as_typed(german, [(self.tiles, 100.0)])
        self.assertEqual(move.invoice_line_ids.tax_ids, self.tax_19)
        voucher = self._sent(move)
        revenue = self.company._lexware_category("revenue")
        self.assertEqual(self._items(voucher), {(19, revenue): (100.0, 19.0)})
        self.assertTrue(voucher["useCollectiveContact"])

    def test_business_customer_with_vat_id_still_books_intra_eu(self):
        business = self.env["res.partner"].create(
            {
                "name": "Wiener Fliesen GmbH",
                "is_company": True,
                "vat": "ATU13585627",
                "city": "Wien",
                "country_id": self.env.ref("base.at").id,
            }
        )
        move = self._invoice_as_typed(business, [(self.tiles, 500.0)])
        self.assertFalse(move.fiscal_position_id.name.startswith("OSS"))
        voucher = self._sent(move)
        self.assertEqual(self._items(voucher), {(0, DOCUMENTED_IDS["intra_eu"]): (500.0, 0.0)})
        contact = next(c for c in self.sandbox.contacts() if c["id"] == voucher["contactId"])
        self.assertEqual(contact["company"]["vatRegistrationId"], "ATU13585627")

    def test_oss_tax_of_another_country_than_the_delivery_fails_before_any_contact(self):
        austrian_tax = self._austrian_tax()
        german = self._private_customer("Hans Fehlgriff", "de", "Bonn")
        move = self._invoice([(100.0, austrian_tax)], partner=german)
        self._run_cron()
        self.assertEqual(move.lexware_state, "failed")
        self.assertIn("is owed in Austria (One-Stop-Shop)", move.lexware_error)
        self.assertIn("Hans Fehlgriff in Germany", move.lexware_error)
        self.assertFalse(self._vouchers(move))
        names = [(c.get("person") or {}).get("lastName") for c in self.sandbox.contacts()]
        self.assertNotIn("Hans Fehlgriff", names)

    def test_oss_tax_picked_by_hand_for_its_country_books_oss(self):
        move = self._invoice(
            [(100.0, self._austrian_tax())], partner=self.austrian, fiscal_position_id=False
        )
        self.assertFalse(move.fiscal_position_id)
        voucher = self._sent(move)
        self.assertEqual(self._items(voucher), {(20, OSS_SERVICES): (100.0, 20.0)})
