"""Money to the cent: Odoo's per-line rounding, early payment discounts (Skonto) and cash
rounding, as Lexware receives them under each reading of its undocumented checks."""

from unittest.mock import patch

from odoo import Command
from odoo.tools import html2plaintext

from ..lexware.categories import DOCUMENTED_IDS
from ..lexware.client import LexwareClient
from .test_transfer_common import TransferCase

REVENUE = DOCUMENTED_IDS["revenue_general"]
# The example: five lines at 19 %, rounded per line to 466.78 tax on 2,456.80 net,
# where 19 % of the net is 466.792.
EXAMPLE = ((304.64, 2), (175.01, 7), (407.54, 1), (232.41, 0.5), (49.35, 2))
TAX_NOTE = "another tax than the invoice shows"


class MoneyCase(TransferCase):
    """Counts the voucher POSTs; the sandbox back to its strictest reading after each test."""

    def setUp(self):
        super().setUp()
        self.addCleanup(self.sandbox.configure, tax_tolerance="strict", repeated_items=False)
        self.voucher_posts = 0
        create_voucher = LexwareClient.create_voucher

        def counting(client, payload):
            self.voucher_posts += 1
            return create_voucher(client, payload)

        patcher = patch.object(LexwareClient, "create_voucher", counting)
        patcher.start()
        self.addCleanup(patcher.stop)

    def _send(self, move):
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent", move.lexware_error)
        voucher = self._voucher(move)
        self.assertEqual(voucher["totalGrossAmount"], abs(move.amount_total_signed))
        self._assert_lexware_checks_pass(voucher)
        return voucher

    def _assert_lexware_checks_pass(self, voucher):
        """Each item's tax within a cent of its amount x rate (exact, or rounded where the
        sandbox is lenient); totals the item sums."""
        lenient = self.sandbox.settings.tax_tolerance == "lenient"
        gross = tax = 0
        for item in voucher["voucherItems"]:
            rate = item["taxRatePercent"]
            divisor = 100 if voucher["taxType"] == "net" else 100 + rate
            expected = item["amount"] * rate / divisor
            if lenient:
                expected = round(expected, 2)
            self.assertLessEqual(abs(expected - item["taxAmount"]), 0.0100001)
            self.assertGreaterEqual(item["amount"], 0)
            self.assertGreaterEqual(item["taxAmount"], 0)
            tax += item["taxAmount"]
            gross += item["amount"] + (item["taxAmount"] if voucher["taxType"] == "net" else 0)
        self.assertAlmostEqual(voucher["totalGrossAmount"], gross, places=2)
        self.assertAlmostEqual(voucher["totalTaxAmount"], tax, places=2)

    def _tax_notes(self, move):
        texts = [html2plaintext(message.body) for message in move.message_ids]
        return [text for text in texts if TAX_NOTE in text]


class TestPerLineRounding(MoneyCase):
    def setUp(self):
        super().setUp()
        self.company.tax_calculation_rounding_method = "round_per_line"

    def _example(self):
        move = self._invoice([(price, self.tax_19, quantity) for price, quantity in EXAMPLE])
        self.assertEqual(move.amount_untaxed, 2456.80)
        self.assertEqual(move.amount_tax, 466.78)
        self.assertEqual(move.amount_total, 2923.58)
        return move

    def _book_example(self, tax_tolerance, repeated_items):
        self.sandbox.configure(tax_tolerance=tax_tolerance, repeated_items=repeated_items)
        move = self._example()
        return move, self._send(move)

    def _assert_split_keeps_the_tax(self, move, voucher):
        items = voucher["voucherItems"]
        self.assertEqual(len(items), 2, "as few items as possible")
        self.assertEqual({(i["taxRatePercent"], i["categoryId"]) for i in items}, {(19, REVENUE)})
        self.assertEqual(round(sum(i["amount"] for i in items), 2), 2456.80)
        self.assertEqual(round(sum(i["taxAmount"] for i in items), 2), 466.78)
        self.assertEqual(voucher["totalTaxAmount"], 466.78)
        self.assertEqual(voucher["totalGrossAmount"], 2923.58)
        self.assertFalse(self._tax_notes(move))
        self.assertEqual(self.voucher_posts, 1)
        self.assertFalse(self.company.lexware_repeated_items_refused)

    def _assert_one_item_moves_the_tax_by_a_cent(self, move, voucher):
        self.assertEqual(self._items(voucher), {(19, REVENUE): (2456.79, 466.79)})
        self.assertEqual(voucher["totalTaxAmount"], 466.79)
        self.assertEqual(voucher["totalGrossAmount"], 2923.58)
        [note] = self._tax_notes(move)
        self.assertIn("at 19 %: 466.79 EUR booked, 466.78 EUR on the invoice", note)
        self.assertIn("2923.58 EUR", note)
        self.assertEqual(self.voucher_posts, 2, "one extra request for the refused split")
        self.assertTrue(self.company.lexware_repeated_items_refused)
        self.assertFalse(self.company.lexware_tax_tolerance, "one rule at a time")

    def _send_example_again(self):
        """The next such invoice, and the voucher POSTs it took."""
        posts = self.voucher_posts
        move = self._example()
        voucher = self._send(move)
        return move, voucher, self.voucher_posts - posts

    def test_strict_tolerance_and_repeated_items_allowed_keep_the_invoice_tax(self):
        self._assert_split_keeps_the_tax(*self._book_example("strict", True))

    def test_lenient_tolerance_and_repeated_items_allowed_keep_the_invoice_tax(self):
        self._assert_split_keeps_the_tax(*self._book_example("lenient", True))

    def test_strict_tolerance_and_repeated_items_refused_move_the_tax_by_a_cent(self):
        self._assert_one_item_moves_the_tax_by_a_cent(*self._book_example("strict", False))
        # The next invoice asks whether Lexware rounds first, as one item with the
        # invoice's tax: refused, so it goes as the first did, and the answer is kept.
        move, voucher, posts = self._send_example_again()
        self.assertEqual((self._items(voucher), posts), ({(19, REVENUE): (2456.79, 466.79)}, 2))
        self.assertEqual(len(self._tax_notes(move)), 1)
        self.assertEqual(self.company.lexware_tax_tolerance, "strict")
        move, voucher, posts = self._send_example_again()
        self.assertEqual((self._items(voucher), posts), ({(19, REVENUE): (2456.79, 466.79)}, 1))

    def test_lenient_tolerance_and_repeated_items_refused_keep_the_tax_from_the_next_invoice(
        self,
    ):
        # The first invoice learns that Lexware refuses repeated items; whether it rounds
        # first stays open, and the one extra request must pass the strict reading too.
        self._assert_one_item_moves_the_tax_by_a_cent(*self._book_example("lenient", False))
        # The next asks, as one item with the invoice's tax: accepted, and kept.
        for _again in range(2):
            move, voucher, posts = self._send_example_again()
            self.assertEqual(self._items(voucher), {(19, REVENUE): (2456.8, 466.78)})
            self.assertEqual((voucher["totalTaxAmount"], posts), (466.78, 1))
            self.assertFalse(self._tax_notes(move))
            self.assertEqual(self.company.lexware_tax_tolerance, "lenient")

    def test_a_new_connection_asks_lexware_again(self):
        self._book_example("strict", False)
        self.assertTrue(self.company.lexware_repeated_items_refused)
        key = f"key-{type(self).__name__}-again"
        self.sandbox.add_organization("Org connected again", api_key=key)
        self._connect_company(self.company, api_key=key)
        self.assertFalse(self.company.lexware_repeated_items_refused)
        self.assertFalse(self.company.lexware_tax_tolerance)

    def test_round_globally_books_the_invoice_tax_in_one_item(self):
        self.company.tax_calculation_rounding_method = "round_globally"
        move = self._invoice([(price, self.tax_19, quantity) for price, quantity in EXAMPLE])
        voucher = self._send(move)
        self.assertEqual(len(voucher["voucherItems"]), 1)
        self.assertEqual(voucher["totalTaxAmount"], move.amount_tax)
        self.assertFalse(self._tax_notes(move))

    def test_the_example_with_tax_included_prices(self):
        self.sandbox.configure(repeated_items=True)
        tax_incl = self.tax_19.copy({"name": "19% incl.", "price_include_override": "tax_included"})
        move = self._invoice([(price * 1.19, tax_incl, quantity) for price, quantity in EXAMPLE])
        voucher = self._send(move)
        self.assertEqual(voucher["taxType"], "gross")
        self.assertEqual(voucher["totalTaxAmount"], move.amount_tax)
        self.assertFalse(self._tax_notes(move))


class TestEarlyPaymentDiscount(MoneyCase):
    def _book(self, computation, lines, **values):
        term = self._skonto_term(2, computation)
        move = self._invoice(lines, invoice_payment_term_id=term.id, **values)
        voucher = self._send(move)
        self.assertEqual(voucher["totalTaxAmount"], abs(move.amount_tax_signed))
        self.assertFalse(self._tax_notes(move))
        return move, voucher

    def test_mixed_books_the_discounted_tax_and_the_discount_untaxed(self):
        move, voucher = self._book("mixed", [(100.0, self.tax_19)])
        self.assertEqual((move.amount_untaxed, move.amount_tax), (100.0, 18.62))
        self.assertEqual(
            self._items(voucher), {(19, REVENUE): (98.0, 18.62), (0, REVENUE): (2.0, 0.0)}
        )
        self.assertEqual(voucher["totalGrossAmount"], 118.62)

    def test_mixed_with_two_rates_and_a_credit_note(self):
        move, voucher = self._book("mixed", [(100.0, self.tax_19), (50.0, self.tax_7)])
        self.assertEqual((move.amount_untaxed, move.amount_tax), (150.0, 22.05))
        self.assertEqual(
            self._items(voucher),
            {(19, REVENUE): (98.0, 18.62), (7, REVENUE): (49.0, 3.43), (0, REVENUE): (3.0, 0.0)},
        )
        refund, voucher = self._book("mixed", [(100.0, self.tax_19)], move_type="out_refund")
        self.assertEqual((refund.amount_untaxed, refund.amount_tax), (100.0, 18.62))
        self.assertEqual(voucher["type"], "salescreditnote")
        self.assertEqual(
            self._items(voucher), {(19, REVENUE): (98.0, 18.62), (0, REVENUE): (2.0, 0.0)}
        )

    def test_included_books_the_invoice_as_it_is(self):
        move, voucher = self._book("included", [(100.0, self.tax_19)])
        # The Skonto reduces the tax only when it is taken, at payment: no epd lines.
        self.assertFalse(move.line_ids.filtered(lambda line: line.display_type == "epd"))
        self.assertEqual(self._items(voucher), {(19, REVENUE): (100.0, 19.0)})

    def test_excluded_books_the_invoice_as_it_is(self):
        move, voucher = self._book("excluded", [(100.0, self.tax_19)])
        self.assertFalse(move.line_ids.filtered(lambda line: line.display_type == "epd"))
        self.assertEqual(self._items(voucher), {(19, REVENUE): (100.0, 19.0)})


class TestCashRounding(MoneyCase):
    def _book(self, strategy, rounding, method, price):
        move = self._invoice(
            [(price, self.tax_19)],
            invoice_cash_rounding_id=self._cash_rounding(strategy, rounding, method).id,
        )
        return move, self._send(move)

    def test_a_rounding_line_up_is_an_untaxed_item(self):
        move, voucher = self._book("add_invoice_line", 0.10, "UP", 100.01)
        self.assertEqual(move.amount_total, 119.10)
        self.assertEqual(
            self._items(voucher), {(19, REVENUE): (100.01, 19.0), (0, REVENUE): (0.09, 0.0)}
        )
        self.assertFalse(self._tax_notes(move))

    def test_a_rounding_line_down_keeps_the_tax_where_it_can(self):
        # 100.09 + 19.02 = 119.11, rounded down by 0.01: 100.08 x 19 % is still 19.02.
        move, voucher = self._book("add_invoice_line", 0.10, "DOWN", 100.09)
        self.assertEqual(move.amount_total, 119.10)
        self.assertEqual(self._items(voucher), {(19, REVENUE): (100.08, 19.02)})
        self.assertFalse(self._tax_notes(move))

    def test_a_rounding_line_of_a_euro_down_moves_the_tax_least_and_says_so(self):
        move, voucher = self._book("add_invoice_line", 1.0, "DOWN", 100.38)
        self.assertEqual((move.amount_tax, move.amount_total), (19.07, 119.0))
        self.assertEqual(self._items(voucher), {(19, REVENUE): (100.0, 19.0)})
        [note] = self._tax_notes(move)
        self.assertIn("at 19 %: 19.00 EUR booked, 19.07 EUR on the invoice", note)

    def test_a_rounding_on_the_biggest_tax_half_up(self):
        move, voucher = self._book("biggest_tax", 0.10, "HALF-UP", 100.03)
        self.assertEqual((move.amount_tax, move.amount_total), (18.97, 119.0))
        self.assertEqual(self._items(voucher), {(19, REVENUE): (100.0, 19.0)})
        [note] = self._tax_notes(move)
        self.assertIn("at 19 %: 19.00 EUR booked, 18.97 EUR on the invoice", note)

    def test_a_rounding_on_the_biggest_tax_up(self):
        move, voucher = self._book("biggest_tax", 0.10, "UP", 100.01)
        self.assertEqual((move.amount_tax, move.amount_total), (19.09, 119.10))
        self.assertEqual(self._items(voucher), {(19, REVENUE): (100.08, 19.02)})
        [note] = self._tax_notes(move)
        self.assertIn("at 19 %: 19.02 EUR booked, 19.09 EUR on the invoice", note)

    def test_a_rounding_on_the_biggest_tax_down_with_skonto(self):
        term = self.env["account.payment.term"].create(
            {
                "name": "2 % Skonto",
                "early_discount": True,
                "discount_percentage": 2,
                "early_pay_discount_computation": "mixed",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 100, "nb_days": 30})
                ],
            }
        )
        move = self._invoice(
            [(100.0, self.tax_19), (50.0, self.tax_7)],
            invoice_payment_term_id=term.id,
            invoice_cash_rounding_id=self._cash_rounding("biggest_tax", 0.5, "DOWN").id,
        )
        voucher = self._send(move)
        self.assertEqual(voucher["totalGrossAmount"], move.amount_total)


class TestChecksBeforeTheContact(MoneyCase):
    def test_an_invoice_refused_for_its_rate_creates_no_contact(self):
        partner = self.env["res.partner"].create({"name": "Neukunde Sechzehnkommafünf GmbH"})
        tax = self.tax_19.copy({"name": "16,5 % USt", "amount": 16.5})
        move = self._invoice([(100.0, tax)], partner=partner)
        self._run_cron()
        self.assertEqual(move.lexware_state, "failed")
        self.assertIn("16.5 %", move.lexware_error)
        names = [
            (contact.get("company") or {}).get("name")
            or (contact.get("person") or {}).get("lastName")
            for contact in self.sandbox.contacts()
            if contact["organizationId"] == self.organization_id
        ]
        self.assertNotIn(partner.name, names)
        self.assertFalse(partner.with_company(self.company).lexware_contact_id)
        self.assertEqual(self.voucher_posts, 0)
