"""Every string a user sees has its German translation, and the template is current."""

import logging
import re
from pathlib import Path
from unittest.mock import patch

import polib

from odoo import Command
from odoo.tests import TransactionCase
from odoo.tools import html2plaintext
from odoo.tools.translate import TranslationModuleReader

from ..lexware import LexwareClient, LexwareRetryableError
from ..models.lexware_messages import ISSUE_WORDS
from .test_transfer_common import TransferCase

I18N = Path(__file__).resolve().parent.parent / "i18n"


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


class TestGermanTranslation(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A Python file the extractor cannot read loses all its strings after the
        # failing spot, silently: the translation reader only logs it. Collect that.
        logger = logging.getLogger("odoo.tools.translate")
        collect = _Collect()
        logger.addHandler(collect)
        propagate, logger.propagate = logger.propagate, False
        try:
            reader = TranslationModuleReader(cls.env.cr, modules=["lexware_connector"])
            cls.sources = {entry[4] for entry in reader if entry[4]}
        finally:
            logger.propagate = propagate
            logger.removeHandler(collect)
        cls.extraction_errors = collect.messages

    def test_every_file_can_be_read_for_translation(self):
        self.assertEqual(
            self.extraction_errors,
            [],
            "the translation extractor could not read these files, so their strings after "
            "the failing spot are neither in the .pot nor translated (babel cannot read an "
            "f-string inside the arguments of _(); format the value before the call)",
        )

    def test_every_string_has_a_german_translation(self):
        german = polib.pofile(str(I18N / "de.po"))
        translated = {
            entry.msgid
            for entry in german
            if entry.msgstr and not entry.obsolete and "fuzzy" not in entry.flags
        }
        missing = sorted(self.sources - translated)
        self.assertEqual(missing, [], "untranslated in i18n/de.po: run setup/i18n, translate")

    def test_the_template_is_current(self):
        template = polib.pofile(str(I18N / "lexware_connector.pot"))
        missing = sorted(self.sources - {entry.msgid for entry in template})
        self.assertEqual(missing, [], "i18n/lexware_connector.pot is stale: run setup/i18n")

    def test_placeholders_survive_the_translation(self):
        """Formatting a German message gives the same values as formatting the English one."""
        german = polib.pofile(str(I18N / "de.po"))
        for entry in german:
            if "%" not in entry.msgid or not entry.msgstr:
                continue
            with self.subTest(msgid=entry.msgid):
                names = re.findall(r"%\(([a-z_]+)\)s", entry.msgid)
                if names:
                    values = {name: f"<{name}>" for name in names}
                elif "%s" in entry.msgid:
                    values = ("<value>",)
                else:
                    continue  # a plain "%" in a text that is never formatted
                english, translated = entry.msgid % values, entry.msgstr % values
                for marker in [*(f"<{name}>" for name in names), "<value>", "%"]:
                    self.assertEqual(english.count(marker), translated.count(marker), marker)

    def test_german_users_read_german(self):
        self.env["res.lang"]._activate_lang("de_DE")
        self.env["ir.module.module"]._load_module_terms(
            ["lexware_connector"], ["de_DE"], overwrite=True
        )
        env = self.env(context=dict(self.env.context, lang="de_DE"))

        # The invoice's badge and its help.
        state = env["account.move"].fields_get(["lexware_state"], ["help", "selection"])
        state = state["lexware_state"]
        labels = dict(state["selection"])
        self.assertEqual(labels["sent"], "Übertragen")
        self.assertEqual(labels["failed"], "Fehlgeschlagen")
        self.assertEqual(labels["pending"], "Ausstehend")
        self.assertIn("Übertragung", state["help"])

        # The settings: field labels and the texts of the view.
        company = env["res.company"].fields_get(
            ["lexware_auto_transfer", "lexware_use_collective_contact"], ["string"]
        )
        self.assertEqual(
            company["lexware_auto_transfer"]["string"],
            "Rechnungen automatisch an Lexware übertragen",
        )
        self.assertIn("Sammelkontakt", company["lexware_use_collective_contact"]["string"])
        view = env.ref("lexware_connector.res_config_settings_view_form")
        self.assertIn("Automatische Übertragung", view.arch_db)
        self.assertIn("Verbunden mit", view.arch_db)

        # The model, the menu and a message from Python code.
        self.assertEqual(env["ir.model"]._get("lexware.transfer").name, "Lexware-Übertragung")
        menu = env.ref("lexware_connector.menu_lexware_export_wizard")
        self.assertEqual(menu.name, "Nach Lexware exportieren")
        # (a variable, not a literal: the extractor would list this file as a source)
        message = "The transfer to Lexware Office failed."
        self.assertEqual(env._(message), "Die Übertragung an Lexware Office ist fehlgeschlagen.")


class TestGermanReasons(TransferCase):
    """What the transfer writes on an invoice is in the language of who reads it: the
    invoice's salesperson, who also gets the activity. The cron itself has no language."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("de_DE")
        cls.buchhalterin = cls.env["res.users"].create(
            {
                "name": "Buchhalterin",
                "login": "buchhalterin@example.com",
                "lang": "de_DE",
                "company_id": cls.company.id,
                "company_ids": [Command.set(cls.company.ids)],
                "groups_id": [Command.set([cls.env.ref("account.group_account_invoice").id])],
            }
        )

    def _german_invoice(self, lines):
        return self._invoice(lines, invoice_user_id=self.buchhalterin.id)

    def test_a_voucher_lexware_cannot_take_fails_in_german(self):
        move = self._german_invoice([(0.0, self.tax_19)])
        self._run_cron()
        self.assertEqual(move.lexware_state, "failed")
        reason = (
            "Lexware kann diese Rechnung nicht übernehmen: Lexware akzeptiert nur Rechnungen "
            "mit positivem Gesamtbetrag; diese ergibt 0.00 EUR."
        )
        self.assertEqual(move.lexware_error, reason)
        text = html2plaintext(move.message_ids[0].body)
        self.assertIn("Die Übertragung an Lexware Office ist fehlgeschlagen.", text)
        self.assertIn(reason, text)
        activity = move.activity_ids
        self.assertEqual(activity.user_id, self.buchhalterin)
        self.assertEqual(activity.summary, "Lexware-Übertragung fehlgeschlagen")
        self.assertIn(reason, html2plaintext(activity.note))

    def test_the_same_invoice_of_an_english_user_fails_in_english(self):
        move = self._invoice([(0.0, self.tax_19)])
        self.assertNotEqual(move.invoice_user_id.lang, "de_DE")
        self._run_cron()
        self.assertEqual(
            move.lexware_error,
            "Lexware cannot take this invoice: Lexware accepts only invoices with a positive "
            "total; this one totals 0.00 EUR.",
        )

    def test_lexware_busy_429_waits_with_a_german_reason(self):
        move = self._german_invoice([(10.0, self.tax_19)])
        busy = LexwareRetryableError("rate limited (429), gave up", status=429)
        with patch.object(LexwareClient, "create_voucher", side_effect=busy):
            self._run_cron()
        self.assertEqual(move.lexware_state, "pending")
        self.assertEqual(
            move.lexware_error,
            "Lexware Office ist ausgelastet (HTTP 429). Odoo versucht es später erneut.",
        )

    def test_server_trouble_on_the_voucher_waits_with_a_german_reason(self):
        # The customer is in Lexware already, so the fault meets the voucher's POST.
        self._german_invoice([(1.0, self.tax_19)])
        self._run_cron()
        move = self._german_invoice([(10.0, self.tax_19)])
        self.sandbox.configure(fault_rate=1.0, seed=7)
        self.addCleanup(self.sandbox.configure, fault_rate=0.0)
        self._run_cron()
        self.assertEqual(move.lexware_state, "pending")
        self.assertRegex(
            move.lexware_error,
            r"^Lexware Office hat ein Serverproblem \(HTTP 50[34]\)\. Lexware hat die Rechnung "
            r"womöglich trotzdem gebucht: .* Odoo versucht es später erneut\.$",
        )

    def test_lexware_refusal_reads_german_issue_by_issue(self):
        move = self._german_invoice([(10.0, self.tax_19)])
        unknown = "00000000-0000-0000-0000-000000000000"
        with patch.object(
            type(self.env["account.move"]), "_lexware_category_id", lambda move, kind: unknown
        ):
            self._run_cron()
        self.assertEqual(move.lexware_state, "failed")
        self.assertIn("Lexware hat den Beleg abgelehnt (HTTP 406):", move.lexware_error)
        self.assertIn(
            "- voucherItems[0].categoryId: hat einen Wert, den Lexware nicht akzeptiert",
            move.lexware_error,
        )

    def test_every_lexware_issue_has_german_words(self):
        german = self.env(context=dict(self.env.context, lang="de_DE"))
        for key, words in ISSUE_WORDS.items():
            with self.subTest(key=key):
                self.assertNotEqual(german._(words), self.env._(words))
