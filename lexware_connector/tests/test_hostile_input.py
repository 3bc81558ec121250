"""Hostile input: invoices built to break the transfer, each with its expected outcome.

`HOSTILE` is the table. Each row names a builder (a method below that makes the nasty
invoice, posted), the outcome (`sent`, `failed`, or `refused`: Odoo itself refuses to post
it, or refuses a user's attempt on it), the fragment of the message the user sees (the
invoice's Lexware error, or Odoo's refusal), and for sent rows a check of what Lexware
received. A refused row may name what happens before the refused attempt (`prepare`) and a
check of what it left. One test method per row is generated from the table, so a failing
row is named in the test report.

Every row queues one good invoice after the nasty one and runs the cron once: the good
one must be sent in that same run. A failed row must leave its invoice `failed` with the
reason in words (no traceback, no Python repr), a chatter message and an activity; no
row may leave anything in `sending`.
"""

import re
from dataclasses import dataclass

from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user
from odoo.tools import html2plaintext, mute_logger

from ..lexware.categories import DOCUMENTED_IDS
from ..lexware.voucher import REMARK_LIMIT
from .oss_common import OssMixin
from .test_transfer_common import FAKE_PDF, TransferCase, seed_for_504

SENT, FAILED, REFUSED = "sent", "failed", "refused"
REVENUE = DOCUMENTED_IDS["revenue_general"]
OSS_GOODS = DOCUMENTED_IDS["oss_goods"]
HTML_NAME = "<b>Müller & Söhne</b> 🚀"
SCRIPT_LINE = "<script>alert(1)</script> Fliesen & Fugen 🧱"
HOSTILE_NUMBER = "A&B/2025/#0001"
LONG_NAME = " ".join(["Großhandel für Fliesen, Naturstein und Sanitärbedarf"] * 6)[:300]
LONG_REF = "Bestellung " + "-".join(f"PO{n:04d}" for n in range(60))
# A message in words: no traceback, no exception class, no repr of a list, dict or None.
ROW_FIELDS = ["state", "voucher_id", "outcome_unknown", "attempts", "file_uploaded"]
NOT_WORDS = re.compile(r"Traceback|File \"|\w+(Error|Exception)\b|\bNone\b|[\[{(]'")


@dataclass(frozen=True)
class Row:
    name: str
    build: str
    outcome: str
    message: str
    check: str = ""
    # For a refused row: what happens before the refused attempt (Odoo's assertRaises
    # rolls the attempt back, and what Lexware received with it would be out of step).
    prepare: str = ""


HOSTILE = (
    Row("tax_16_5_percent", "_build_tax_16_5", FAILED, "this invoice uses 16.5 %"),
    Row("zero_total", "_build_zero_total", FAILED, "only invoices with a positive total"),
    Row("negative_total", "_build_negative_total", REFUSED, "negative total"),
    Row("no_lines", "_build_no_lines", REFUSED, "add a line"),
    Row("301_lines", "_build_301_lines", SENT, "", "_check_301_lines"),
    Row("html_and_emoji_names", "_build_html_names", SENT, "", "_check_html_names"),
    Row("number_with_amp_slash_hash_after_504", "_build_hostile_number", SENT, "", "_check_number"),
    Row("partner_without_address", "_build_no_address", SENT, "", "_check_no_address"),
    Row(
        "eu_business_without_vat_id",
        "_build_eu_without_vat",
        FAILED,
        "tax-free only with the customer's VAT id",
        "_check_no_contact_made",
    ),
    Row("usd_invoice", "_build_usd", SENT, "", "_check_usd"),
    Row("pdf_over_5_mb", "_build_huge_pdf", FAILED, "Lexware accepts at most 5 MB"),
    Row("partner_archived_after_posting", "_build_archived_partner", SENT, "", "_check_archived"),
    Row("company_switched_to_usd", "_build_usd_company", FAILED, "Lexware books in EUR only"),
    Row("line_without_tax", "_build_untaxed_line", FAILED, "has no tax", "_check_shown_as_text"),
    Row("line_with_two_taxes", "_build_two_taxes", FAILED, "carries several taxes"),
    Row("fixed_amount_tax", "_build_fixed_tax", FAILED, "is not a percentage"),
    Row("negative_group_after_discounts", "_build_negative_group", FAILED, "negative after"),
    Row("name_of_300_characters_after_504", "_build_long_name", SENT, "", "_check_long_name"),
    Row("reference_of_700_characters", "_build_long_ref", SENT, "", "_check_long_ref"),
    Row("long_reference_on_usd_invoice", "_build_long_ref_usd", SENT, "", "_check_usd"),
    Row("credit_note_with_discount_line", "_build_credit_note", SENT, "", "_check_credit_note"),
    Row("purchase_order_pdf_on_the_draft", "_build_po_on_draft", SENT, "", "_check_own_pdf"),
    Row("pdf_posted_in_the_chatter_after_posting", "_build_pdf_after", SENT, "", "_check_own_pdf"),
    Row("oss_private_customer_in_austria_20", "_build_oss_austria", SENT, "", "_check_oss_austria"),
    Row("oss_private_customer_in_cyprus_19", "_build_oss_cyprus", SENT, "", "_check_oss_cyprus"),
    Row(
        "oss_tax_of_austria_for_a_german_customer",
        "_build_oss_wrong_country",
        FAILED,
        "is owed in Austria (One-Stop-Shop)",
        "_check_no_contact_made",
    ),
    Row("skonto_mixed_on_two_rates", "_build_skonto_mixed", SENT, "", "_check_skonto_mixed"),
    Row(
        "skonto_mixed_credit_note_with_discount",
        "_build_skonto_credit_note",
        SENT,
        "",
        "_check_skonto_credit_note",
    ),
    Row(
        "cash_rounding_of_a_euro_on_the_biggest_tax",
        "_build_cash_rounding_biggest_tax",
        SENT,
        "",
        "_check_cash_rounding_biggest_tax",
    ),
    Row(
        "cash_rounding_line_half_a_euro_on_a_credit_note",
        "_build_cash_rounding_credit_note",
        SENT,
        "",
        "_check_cash_rounding_credit_note",
    ),
    Row(
        "renumber_sent_invoice",
        "_build_renumber_sent",
        REFUSED,
        "Lexware cannot delete vouchers",
        "_check_left_as_it_was",
        "_sent_for_refusal",
    ),
    Row(
        "resequence_sent_invoice",
        "_build_resequence_sent",
        REFUSED,
        "Lexware cannot delete vouchers",
        "_check_left_as_it_was",
        "_sent_for_refusal",
    ),
    Row(
        "billing_user_sets_sent_row_pending",
        "_build_user_resets_sent_row",
        REFUSED,
        "not allowed to modify 'Lexware Transfer'",
        "_check_left_as_it_was",
        "_sent_for_refusal",
    ),
    Row(
        "billing_user_marks_invoice_sent",
        "_build_user_marks_invoice_sent",
        REFUSED,
        "Only Odoo's transfer to Lexware Office sets lexware_state",
        "_check_goes_once",
        "_pending_for_refusal",
    ),
)
PURCHASE_ORDER_PDF = b"%PDF-1.4\n% Bestellung des Kunden, not the invoice\n"


class TestHostileInput(OssMixin, TransferCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.usd = cls.env.ref("base.USD")
        cls.usd.active = True
        cls.env["res.currency.rate"].create(
            {
                "currency_id": cls.usd.id,
                "company_id": cls.company.id,
                "name": "2025-03-01",
                "company_rate": 1.25,
            }
        )

    # -- the runner -----------------------------------------------------------------------

    def _run_row(self, row):
        if row.outcome == REFUSED:
            if row.prepare:
                getattr(self, row.prepare)()
            with self.assertRaises(UserError) as caught:
                getattr(self, row.build)()
            self.assertIn(row.message, str(caught.exception))
            bad = None
        else:
            bad = getattr(self, row.build)()
        good = self._invoice([(99.0, self.tax_19)], ref="the good one after")
        self._run_cron()
        self.assertFalse(
            self.env["lexware.transfer"].search([("state", "=", "sending")]),
            "nothing may stay in sending",
        )
        self.assertEqual(good.lexware_state, "sent", good.lexware_error)
        self._assert_received(good, self._voucher(good))
        if row.outcome == REFUSED and row.check:
            getattr(self, row.check)()
        if row.outcome == FAILED:
            self._assert_failed_in_words(bad, row.message)
            if row.check:
                getattr(self, row.check)(bad)
        elif row.outcome == SENT:
            self.assertEqual(bad.lexware_state, "sent", bad.lexware_error)
            self.assertFalse(bad.lexware_error)
            voucher = self._voucher(bad)
            self._assert_received(bad, voucher)
            getattr(self, row.check)(bad, voucher)

    def _assert_failed_in_words(self, move, fragment):
        self.assertEqual(move.lexware_state, "failed")
        self.assertIn(fragment, move.lexware_error)
        self.assertNotRegex(move.lexware_error, NOT_WORDS)
        organization = move.company_id.lexware_organization_id
        self.assertFalse(
            [v for v in self.sandbox.vouchers(move.name) if v["organizationId"] == organization],
            "a failed invoice is not in Lexware",
        )
        message = move.message_ids[0]
        text = html2plaintext(message.body)
        self.assertIn("transfer to Lexware Office failed", text)
        self.assertIn(fragment, text)
        activity = move.activity_ids.filtered(
            lambda a: (
                a.activity_type_id == self.env.ref("lexware_connector.mail_activity_lexware_failed")
            )
        )
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.summary, "Lexware transfer failed")
        self.assertTrue(activity.user_id)
        self.assertIn(fragment, html2plaintext(activity.note))

    def _assert_received(self, move, voucher):
        """Number, type and totals as in Odoo, positive items Lexware's check passes, a PDF."""
        self.assertEqual(voucher["voucherNumber"], move.name)
        wanted = "salescreditnote" if move.move_type == "out_refund" else "salesinvoice"
        self.assertEqual(voucher["type"], wanted)
        total = abs(move.amount_total_signed)
        self.assertEqual(voucher["totalGrossAmount"], round(total, 2))
        gross = 0.0
        for item in voucher["voucherItems"]:
            self.assertGreaterEqual(item["amount"], 0)
            self.assertGreaterEqual(item["taxAmount"], 0)
            rate = item["taxRatePercent"]
            if voucher["taxType"] == "net":
                expected_tax = round(item["amount"] * rate / 100, 2)
                gross += item["amount"] + item["taxAmount"]
            else:
                expected_tax = round(item["amount"] * rate / (100 + rate), 2)
                gross += item["amount"]
            self.assertLessEqual(abs(expected_tax - item["taxAmount"]), 0.0101)
        self.assertAlmostEqual(gross, total, places=2)
        keys = [(item["taxRatePercent"], item["categoryId"]) for item in voucher["voucherItems"]]
        self.assertEqual(len(keys), len(set(keys)), "one item per rate and category")
        self.assertEqual(len(voucher["files"]), 1)
        self.assertEqual(move.lexware_voucher_id, voucher["id"])

    def _contact(self, voucher):
        return next(c for c in self.sandbox.contacts() if c["id"] == voucher["contactId"])

    def _partner(self, name, **values):
        return self.env["res.partner"].create({"name": name, **values})

    def _fail_next_write_with_504(self):
        self.sandbox.configure(fault_rate=1.0, seed=seed_for_504())
        self.addCleanup(self.sandbox.configure, fault_rate=0.0)

    def _faults_off_and_due_now(self, move):
        self.sandbox.configure(fault_rate=0.0)
        move.lexware_transfer_ids.write({"next_attempt_at": fields.Datetime.now()})

    # -- builders: each returns the nasty invoice (posted) --------------------------------

    def _build_tax_16_5(self):
        tax = self.tax_19.copy({"name": "16,5 % USt", "amount": 16.5})
        return self._invoice([(100.0, tax)])

    def _build_zero_total(self):
        return self._invoice([(0.0, self.tax_19), (0.0, self.tax_7, 3)])

    def _build_negative_total(self):
        return self._invoice([(-10.0, self.tax_19)])

    def _build_no_lines(self):
        return self._invoice([])

    def _build_301_lines(self):
        taxes = (self.tax_19, self.tax_7, self.tax_0)
        lines = [
            (round(0.33 + (n % 17) * 1.37, 2), taxes[n % 3], 1 + n % 4, (n % 5) * 2.5)
            for n in range(301)
        ]
        return self._invoice(lines)

    def _build_html_names(self):
        partner = self._partner(
            HTML_NAME,
            is_company=True,
            street="<i>Straße</i> & Weg 1",
            zip="10115",
            city="Berlin 🐻",
            country_id=self.env.ref("base.de").id,
        )
        self.product.name = HTML_NAME
        return self._invoice([(50.0, self.tax_19)], partner=partner)

    def _build_hostile_number(self):
        self._known_customer()
        move = self._invoice([(42.0, self.tax_19)], post=False)
        move.name = HOSTILE_NUMBER
        move.action_post()
        self.assertEqual(move.name, HOSTILE_NUMBER)
        self._fail_next_write_with_504()
        self._run_cron()
        row = move.lexware_transfer_ids
        self.assertEqual(row.state, "pending")
        self.assertTrue(row.outcome_unknown)
        self.assertEqual(len(self._vouchers(move)), 1, "the 504 was carried out")
        self._faults_off_and_due_now(move)
        return move

    def _build_no_address(self):
        return self._invoice([(10.0, self.tax_19)], partner=self._partner("Ohne Adresse"))

    def _build_eu_without_vat(self):
        partner = self._partner(
            "Société sans TVA SARL",
            is_company=True,
            city="Lyon",
            country_id=self.env.ref("base.fr").id,
        )
        fiscal_position = self.chart.ref("fiscal_position_eu_vat_id_partner_skr03")
        return self._invoice(
            [(500.0, self.tax_eu)], partner=partner, fiscal_position_id=fiscal_position.id
        )

    def _build_usd(self):
        return self._invoice([(125.0, self.tax_19), (12.5, self.tax_7)], currency_id=self.usd.id)

    def _build_huge_pdf(self):
        move = self._invoice([(10.0, self.tax_19)], ref="huge pdf")

        def render(record):
            if record.ref == "huge pdf":
                return b"%PDF-1.4\n" + b"0" * 5_242_880
            return FAKE_PDF + record.name.encode()

        self._fake_pdf_rendering(render)
        return move

    def _build_archived_partner(self):
        partner = self._partner("Bald Archiviert KG", is_company=True)
        move = self._invoice([(30.0, self.tax_19)], partner=partner)
        # Odoo refuses (the audit trail, or the invoice's foreign key): users archive.
        refused = False
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                partner.unlink()
        except (UserError, IntegrityError):
            refused = True
        self.assertTrue(refused, "Odoo does not delete a customer with invoices")
        partner.action_archive()
        self.assertFalse(partner.active)
        return move

    def _build_usd_company(self):
        usd_company = self.env["res.company"].create(
            {
                "name": "Dollar Umstellung GmbH",
                "country_id": self.env.ref("base.de").id,
                "currency_id": self.env.ref("base.EUR").id,
            }
        )
        self.env.ref("base.user_admin").company_ids |= usd_company
        self.env["account.chart.template"].try_loading(
            "de_skr03", company=usd_company, install_demo=False
        )
        self.sandbox.add_organization("Dollar Org", api_key="key-dollar")
        self._connect_company(usd_company, api_key="key-dollar")
        tax = self.env["account.chart.template"].with_company(usd_company).ref("tax_ust_19_skr03")
        move = self._invoice([(10.0, tax)], company_id=usd_company.id)
        self.assertEqual(move.company_id, usd_company)
        # Odoo refuses to change the currency once there are entries; a database edit did.
        with self.assertRaises(UserError):
            usd_company.currency_id = self.usd
        self.env.cr.execute(
            "UPDATE res_company SET currency_id = %s WHERE id = %s", (self.usd.id, usd_company.id)
        )
        usd_company.invalidate_recordset(["currency_id"])
        return move

    def _build_untaxed_line(self):
        move = self._invoice([(10.0, self.tax_19), (5.0, False)], post=False)
        move.invoice_line_ids[1].name = SCRIPT_LINE
        move.action_post()
        return move

    def _build_two_taxes(self):
        return self._invoice([(10.0, self.tax_19 | self.tax_7)])

    def _build_fixed_tax(self):
        tax = self.env["account.tax"].create(
            {
                "name": "Pfand 2,50",
                "amount_type": "fixed",
                "amount": 2.5,
                "type_tax_use": "sale",
                "company_id": self.company.id,
            }
        )
        return self._invoice([(10.0, tax)])

    def _build_negative_group(self):
        return self._invoice([(100.0, self.tax_7), (-50.0, self.tax_19)])

    def _build_long_name(self):
        partner = self._partner(LONG_NAME, is_company=True)
        move = self._invoice([(20.0, self.tax_19)], partner=partner)
        # The contact's POST lands, its answer is lost: the next attempt must find it.
        self._fail_next_write_with_504()
        self._run_cron()
        self.assertTrue(partner.with_company(self.company).lexware_contact_unsure)
        self._faults_off_and_due_now(move)
        return move

    def _build_long_ref(self):
        return self._invoice([(20.0, self.tax_19)], ref=LONG_REF)

    def _build_long_ref_usd(self):
        return self._invoice(
            [(125.0, self.tax_19), (12.5, self.tax_7)], ref=LONG_REF, currency_id=self.usd.id
        )

    def _build_po_on_draft(self):
        move = self._invoice([(40.0, self.tax_19)], post=False)
        move.message_post(
            body="Bestellung", attachments=[("Bestellung 4711.pdf", PURCHASE_ORDER_PDF)]
        )
        self.assertEqual(move.message_main_attachment_id.raw, PURCHASE_ORDER_PDF)
        move.action_post()
        return move

    def _build_pdf_after(self):
        move = self._invoice([(41.0, self.tax_19)])
        move.message_post(
            body="Lieferschein", attachments=[("Lieferschein.pdf", PURCHASE_ORDER_PDF)]
        )
        self.assertEqual(move.message_main_attachment_id.raw, PURCHASE_ORDER_PDF)
        return move

    def _build_credit_note(self):
        return self._invoice(
            [(200.0, self.tax_19, 1, 10), (-30.0, self.tax_19), (50.0, self.tax_7)],
            move_type="out_refund",
        )

    def _build_oss_austria(self):
        self._map_oss()
        self.company.lexware_use_collective_contact = True
        partner = self._private_customer("Maria Gruber", "at", "Wien")
        return self._invoice_as_typed(partner, [(self._oss_product("Fliesen"), 100.0)])

    def _build_oss_cyprus(self):
        self._map_oss()
        self.company.lexware_use_collective_contact = True
        partner = self._private_customer("Andreas Georgiou", "cy", "Limassol")
        return self._invoice_as_typed(partner, [(self._oss_product("Fliesen"), 250.0)])

    def _build_oss_wrong_country(self):
        self._map_oss()
        austria = self.env["account.fiscal.position"].search(
            [("company_id", "=", self.company.id), ("country_id.code", "=", "AT")]
        )
        partner = self._partner(
            "Fehlgriff Bau KG", is_company=True, country_id=self.env.ref("base.de").id
        )
        return self._invoice([(100.0, austria.map_tax(self.tax_19))], partner=partner)

    def _build_skonto_mixed(self):
        return self._invoice(
            [(33.33, self.tax_19, 3, 5), (-10.0, self.tax_19), (12.99, self.tax_7, 7)],
            invoice_payment_term_id=self._skonto_term(3, "mixed").id,
        )

    def _build_skonto_credit_note(self):
        return self._invoice(
            [(200.0, self.tax_19, 1, 10), (-30.0, self.tax_19), (50.0, self.tax_7)],
            move_type="out_refund",
            invoice_payment_term_id=self._skonto_term(3, "mixed").id,
        )

    def _build_cash_rounding_biggest_tax(self):
        return self._invoice(
            [(100.38, self.tax_19), (20.0, self.tax_7)],
            invoice_cash_rounding_id=self._cash_rounding("biggest_tax", 1.0, "HALF-UP").id,
        )

    def _build_cash_rounding_credit_note(self):
        return self._invoice(
            [(100.33, self.tax_19), (-0.5, self.tax_19)],
            move_type="out_refund",
            invoice_cash_rounding_id=self._cash_rounding("add_invoice_line", 0.5, "UP").id,
        )

    # Refused attempts on an invoice on its way to Lexware, or in it: each raises, and the
    # invoice stays as Lexware holds it (`refused_move`, `refused_before`).

    def _billing_user(self):
        return new_test_user(
            self.env, "lx_hostile_billing", groups="base.group_user,account.group_account_invoice"
        )

    def _sent_for_refusal(self):
        move = self._invoice([(64.0, self.tax_19)], ref="refused attempt")
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
        self.refused_move = move
        self.refused_before = (move.name, move.lexware_transfer_ids.read(ROW_FIELDS))
        self.billing_user = self._billing_user()

    def _pending_for_refusal(self):
        self.refused_move = self._invoice([(65.0, self.tax_19)], ref="marked sent")
        self.billing_user = self._billing_user()

    def _build_renumber_sent(self):
        self.refused_move.write({"name": "INV/2025/07777"})

    def _build_resequence_sent(self):
        self.env["account.resequence.wizard"].with_context(
            active_model="account.move", active_ids=self.refused_move.ids
        ).create({"first_name": "INV/2025/07777", "ordering": "keep"}).resequence()

    def _build_user_resets_sent_row(self):
        rows = self.refused_move.lexware_transfer_ids
        rows.with_user(self.billing_user).write({"state": "pending"})

    def _build_user_marks_invoice_sent(self):
        self.refused_move.with_user(self.billing_user).write({"lexware_state": "sent"})

    # -- what Lexware received ------------------------------------------------------------

    def _check_301_lines(self, move, voucher):
        self.assertEqual(len(move.invoice_line_ids), 301)
        self.assertEqual(
            {(item["taxRatePercent"], item["categoryId"]) for item in voucher["voucherItems"]},
            {(19, REVENUE), (7, REVENUE), (0, REVENUE)},
        )
        self.assertEqual(voucher["totalGrossAmount"], move.amount_total)
        # Each rate keeps the gross the customer was charged; Odoo rounds tax per line,
        # Lexware checks it per rate, so only the net/tax split may move by that residue.
        for tax in (self.tax_19, self.tax_7, self.tax_0):
            base = -sum(
                move.invoice_line_ids.filtered(lambda line, t=tax: line.tax_ids == t).mapped(
                    "balance"
                )
            )
            charged = base - sum(
                move.line_ids.filtered(lambda line, t=tax: line.tax_line_id == t).mapped("balance")
            )
            item = next(
                i for i in voucher["voucherItems"] if i["taxRatePercent"] == int(tax.amount)
            )
            self.assertAlmostEqual(item["amount"] + item["taxAmount"], charged, places=2)
            self.assertAlmostEqual(item["taxAmount"], charged - base, delta=0.05)

    def _check_html_names(self, move, voucher):
        contact = self._contact(voucher)
        self.assertEqual(contact["company"]["name"], HTML_NAME)
        self.assertEqual(contact["addresses"]["billing"][0]["street"], "<i>Straße</i> & Weg 1")
        self.assertEqual(contact["addresses"]["billing"][0]["city"], "Berlin 🐻")
        # Lexware finds it again by its name (the search string is HTML-escaped once).
        client = self.company._lexware_client()
        self.assertEqual([c["id"] for c in client.find_contacts(name=HTML_NAME)], [contact["id"]])
        body = move.message_ids[0].body
        self.assertIn(move.name, body)
        self.assertNotIn("&amp;amp;", body)

    def _check_number(self, move, voucher):
        self.assertEqual(voucher["voucherNumber"], HOSTILE_NUMBER)
        self.assertEqual(len(self._vouchers(move)), 1, "found again by number: no duplicate")
        body = move.message_ids[0].body
        self.assertIn("A&amp;B/2025/#0001", body)
        self.assertNotIn("&amp;amp;", body)

    def _check_no_address(self, move, voucher):
        contact = self._contact(voucher)
        self.assertEqual(contact["person"]["lastName"], "Ohne Adresse")
        self.assertFalse(contact.get("addresses", {}).get("billing"))

    def _check_usd(self, move, voucher):
        self.assertEqual(move.currency_id, self.usd)
        self.assertEqual(voucher["totalGrossAmount"], abs(move.amount_total_signed))
        self.assertEqual(
            self._items(voucher), {(19, REVENUE): (100.0, 19.0), (7, REVENUE): (10.0, 0.7)}
        )
        self.assertIn("Invoice in USD", voucher["remark"])
        self.assertIn("rate of 1.25", voucher["remark"])
        self.assertLessEqual(len(voucher["remark"]), REMARK_LIMIT)

    def _check_archived(self, move, voucher):
        self.assertEqual(self._contact(voucher)["company"]["name"], "Bald Archiviert KG")

    def _check_long_name(self, move, voucher):
        contacts = [c for c in self.sandbox.contacts() if c["id"] == voucher["contactId"]]
        name = contacts[0]["company"]["name"]
        self.assertLessEqual(len(name), 255)
        self.assertTrue(name.endswith("…"), name)
        self.assertTrue(LONG_NAME.startswith(name[:-1]))
        self.assertNotRegex(name, r"[\s,]…$", "cut at a word, not after a comma or space")
        same = [
            c
            for c in self.sandbox.contacts()
            if (c.get("company") or {}).get("name", "").startswith("Großhandel")
            and c["organizationId"] == self.organization_id
        ]
        self.assertEqual(len(same), 1, "the contact of the lost answer was found again")

    def _check_long_ref(self, move, voucher):
        remark = voucher["remark"]
        self.assertLessEqual(len(remark), REMARK_LIMIT)
        self.assertTrue(remark.startswith(f"Odoo {move.name}; Reference Bestellung PO0000"))
        self.assertTrue(remark.endswith("…"))

    def _check_oss_austria(self, move, voucher):
        self.assertEqual(self._items(voucher), {(20, OSS_GOODS): (100.0, 20.0)})
        self.assertEqual(voucher["totalGrossAmount"], 120.0)
        self.assertFalse(voucher["useCollectiveContact"], "OSS needs a real contact")
        self.assertEqual(self._contact(voucher)["addresses"]["billing"][0]["countryCode"], "AT")

    def _check_oss_cyprus(self, move, voucher):
        self.assertEqual(self._items(voucher), {(19, OSS_GOODS): (250.0, 47.5)})
        self.assertFalse(voucher["useCollectiveContact"], "OSS needs a real contact")
        self.assertEqual(self._contact(voucher)["addresses"]["billing"][0]["countryCode"], "CY")

    def _check_no_contact_made(self, move):
        """Checked before anything is created: no contact without its VAT id in Lexware."""
        names = [(c.get("company") or {}).get("name") for c in self.sandbox.contacts()]
        self.assertNotIn(move.partner_id.name, names)

    def _check_shown_as_text(self, move):
        """User data in the reason is text: escaped once in the chatter and the activity."""
        self.assertIn(SCRIPT_LINE, move.lexware_error)
        body = move.message_ids[0].body
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt; Fliesen &amp; Fugen 🧱", body)
        self.assertNotIn("<script>", body)
        note = move.activity_ids.note
        self.assertIn(SCRIPT_LINE, html2plaintext(note))
        self.assertNotIn("&amp;lt;", note)

    def _check_left_as_it_was(self):
        move = self.refused_move
        name, rows = self.refused_before
        self.assertEqual(move.name, name)
        self.assertEqual(move.lexware_transfer_ids.read(ROW_FIELDS), rows)
        self.assertEqual(self._voucher(move)["voucherNumber"], name, "in Lexware exactly once")

    def _check_goes_once(self):
        self.assertEqual(self.refused_move.lexware_state, "sent")
        self._voucher(self.refused_move)

    def _check_credit_note(self, move, voucher):
        self.assertEqual(voucher["type"], "salescreditnote")
        self.assertEqual(
            self._items(voucher), {(19, REVENUE): (150.0, 28.5), (7, REVENUE): (50.0, 3.5)}
        )
        self.assertEqual(voucher["totalGrossAmount"], 232.0)

    def _check_own_pdf(self, move, voucher):
        _filename, content = self.sandbox.store.file(voucher["files"][0])
        self.assertEqual(content, FAKE_PDF + move.name.encode(), "the invoice's own PDF")

    def _check_tax_as_invoiced(self, move, voucher):
        """Skonto books to the cent: the invoice's tax, its total, no note."""
        self.assertEqual(voucher["totalTaxAmount"], abs(move.amount_tax_signed))
        self.assertFalse(
            [m for m in move.message_ids if "another tax than the invoice" in (m.body or "")]
        )

    def _check_skonto_mixed(self, move, voucher):
        self._check_tax_as_invoiced(move, voucher)
        self.assertIn((0, REVENUE), self._items(voucher), "the discount untaxed at 0 %")

    def _check_skonto_credit_note(self, move, voucher):
        self.assertEqual(voucher["type"], "salescreditnote")
        self._check_tax_as_invoiced(move, voucher)
        # 150.00 and 50.00 net, 3 % Skonto on each: 4.50 and 1.50 at 0 %; Odoo rounds the
        # Skonto's tax per line (-0.86 and -0.11), Lexware's figures are 27.645 and 3.395.
        self.assertEqual(
            self._items(voucher),
            {(19, REVENUE): (145.5, 27.64), (7, REVENUE): (48.5, 3.39), (0, REVENUE): (6.0, 0.0)},
        )

    def _check_cash_rounding_biggest_tax(self, move, voucher):
        # 100.38 + 19.07 + 20.00 + 1.40 = 140.85, rounded to 141.00 on the 19 % tax.
        self.assertEqual((move.amount_total, move.amount_tax), (141.0, 20.62))
        items = self._items(voucher)
        self.assertEqual(items[(7, REVENUE)], (20.0, 1.4))
        self.assertEqual(sum(items[(19, REVENUE)]), 119.6)
        note = html2plaintext(move.message_ids.filtered(lambda m: "another tax" in m.body).body)
        booked = items[(19, REVENUE)][1]
        self.assertIn(f"at 19 %: {booked:.2f} EUR booked, 19.22 EUR on the invoice", note)

    def _check_cash_rounding_credit_note(self, move, voucher):
        self.assertEqual(voucher["type"], "salescreditnote")
        # 99.83 net and 18.96 tax (19.06 - 0.10) = 118.79, rounded up to 119.00 on a line.
        self.assertEqual(
            (move.amount_untaxed, move.amount_tax, move.amount_total), (100.04, 18.96, 119.0)
        )
        self.assertEqual(
            self._items(voucher), {(19, REVENUE): (99.83, 18.96), (0, REVENUE): (0.21, 0.0)}
        )


def _row_test(row):
    def test(self):
        self._run_row(row)

    test.__name__ = f"test_{row.name}"
    test.__doc__ = f"{row.name}: {row.outcome} {row.message}".strip()
    return test


for _row in HOSTILE:
    setattr(TestHostileInput, f"test_{_row.name}", _row_test(_row))
