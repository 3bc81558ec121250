"""Which Lexware posting category books which kind of revenue.

Lexware changed a documented id before (Einnahmen als Kleinunternehmer, 2026-04-28), so
an id is taken from the organisation's own `/v1/posting-categories` answer: the
documented id when Lexware still offers it, otherwise the one income category carrying
the documented name. Which Odoo tax or fiscal position means which kind is decided on
the Odoo side.

OSS: `oss_goods` and `oss_services` are the categories for sales taxed in the customer's
EU country (the One-Stop-Shop procedure, destination principle); only they take another
EU member state's VAT rate. Below the EU threshold, under the origin principle, German
VAT applies and such sales book as ordinary revenue.
"""

import re

CATEGORY_KINDS = (
    "revenue_general",
    "revenue_goods",
    "revenue_services",
    "intra_eu",
    "reverse_charge",
    "export_goods",
    "export_services",
    "small_business",
    "oss_goods",
    "oss_services",
)

DOCUMENTED_IDS = {
    "revenue_general": "8f8664a1-fd86-11e1-a21f-0800200c9a66",
    "revenue_goods": "8f8664a8-fd86-11e1-a21f-0800200c9a66",
    "revenue_services": "8f8664a0-fd86-11e1-a21f-0800200c9a66",
    "intra_eu": "9075a4e3-66de-4795-a016-3889feca0d20",
    "reverse_charge": "380a20cb-d04c-426e-b49c-84c22adfa362",
    "export_goods": "93d24c20-ea84-424e-a731-5e1b78d1e6a9",
    "export_services": "ef5b1a6e-f690-4004-9a19-91276348894f",
    "small_business": "f5c7fee8-f184-4e7a-ab04-8f7e7ad6c207",
    "oss_goods": "4ebd965a-7126-416c-9d8c-a5c9366ee473",
    "oss_services": "7ecea006-844c-4c98-a02d-aa3142640dd5",
}

# Ids Lexware documented earlier; an organisation may still be answered with them.
PREVIOUS_IDS = {
    "small_business": ("7a1efa0e-6283-4cbf-9583-8e88d3ba5960",),
}

# The names Lexware shows. The OSS names are not in the documentation we hold, only our
# best knowledge of Lexware's wording: should Lexware change an OSS id, the kind may stay
# unresolved, and the admin is told that the category is missing.
CATEGORY_NAMES = {
    "revenue_general": "Einnahmen",
    "revenue_goods": "Warenverkäufe",
    "revenue_services": "Dienstleistungen",
    "intra_eu": "Innergemeinschaftliche Lieferung",
    "reverse_charge": "Fremdleistungen §13b",
    "export_goods": "Ausfuhrlieferungen an Drittländer",
    "export_services": "Dienstleistungen an Drittländer",
    "small_business": "Einnahmen als Kleinunternehmer",
    "oss_goods": "Fernverkauf in EU-Land steuerpflichtig (OSS)",
    "oss_services": "Elektronische Dienstleistungen in EU-Land steuerpflichtig (OSS)",
}

# Lexware refuses these with the collective contact (`collective_customer_not_applicable`).
SPECIAL_KINDS = frozenset(
    {
        "intra_eu",
        "reverse_charge",
        "export_goods",
        "export_services",
        "oss_goods",
        "oss_services",
    }
)

# Taxed in the customer's EU country: the only categories that take another EU member
# state's VAT rates.
OSS_KINDS = frozenset({"oss_goods", "oss_services"})

# The categories a company may choose as its default revenue in the settings.
DEFAULT_REVENUE_KINDS = ("revenue_general", "revenue_goods", "revenue_services")


def resolve_categories(posting_categories: list[dict]) -> dict[str, str]:
    """kind -> category id among the `income` categories answered; missing kinds absent."""
    income = [
        category
        for category in posting_categories
        if isinstance(category, dict) and category.get("type") == "income" and category.get("id")
    ]
    resolved = {}
    for kind in CATEGORY_KINDS:
        category_id = _by_id(kind, income) or _by_name(kind, income)
        if category_id:
            resolved[kind] = category_id
    return resolved


def _by_id(kind, income):
    offered = {category["id"] for category in income}
    known = (DOCUMENTED_IDS[kind], *PREVIOUS_IDS.get(kind, ()))
    return next((category_id for category_id in known if category_id in offered), None)


def _by_name(kind, income):
    """The id of the one income category with the kind's name; None when none or several."""
    wanted = _name_key(CATEGORY_NAMES[kind])
    matches = [category["id"] for category in income if _name_key(category.get("name")) == wanted]
    return matches[0] if len(matches) == 1 else None


def _name_key(name):
    """Case and whitespace ignored: "Fremdleistungen § 13b" is "Fremdleistungen §13b"."""
    return re.sub(r"\s+", "", str(name or "")).casefold()
