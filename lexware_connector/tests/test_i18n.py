"""Every string a user sees has its German translation, and the template is current."""

import logging
import re
from pathlib import Path

import polib

from odoo.tests import TransactionCase
from odoo.tools.translate import TranslationModuleReader

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
