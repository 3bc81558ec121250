"""Merge a fresh .pot into a language's .po: keep the translations, drop what is gone.

    python3 setup/i18n_merge.py TEMPLATE.pot LANG.po

Prints the msgids that still lack a translation.
"""

import sys

import polib


def merge(template_path, po_path):
    template = polib.pofile(template_path)
    try:
        old = polib.pofile(po_path)
    except OSError:
        old = polib.POFile()
    translations = {entry.msgid: entry.msgstr for entry in old if entry.msgstr}
    merged = polib.POFile(wrapwidth=0)
    # The header comment ("Translation of Odoo Server ... * lexware_connector") is kept,
    # or taken from the template: polib leaves it out of a new file otherwise.
    merged.header = old.header if old.header.strip() else template.header
    merged.metadata = old.metadata or dict(template.metadata)
    if template.metadata.get("POT-Creation-Date"):
        merged.metadata["POT-Creation-Date"] = template.metadata["POT-Creation-Date"]
    for entry in template:
        entry.msgstr = translations.get(entry.msgid, "")
        merged.append(entry)
    merged.save(po_path)
    return [entry.msgid for entry in merged if not entry.msgstr]


if __name__ == "__main__":
    missing = merge(sys.argv[1], sys.argv[2])
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    print(f"{len(missing)} untranslated")
