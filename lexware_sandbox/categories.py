"""The posting categories Lexware answers, as of the sandbox's day.

The Kleinunternehmer id changed on 2026-04-28: before that day the catalogue holds
the old id, since then the new one, and the other is unknown. That is exactly what
a connector with a hard-coded id must survive; `configure(today=...)` moves the
sandbox's day to either side of the change.

Vouchers take the German rates only, except the OSS categories taxed in the other
EU country (destination principle): those take that country's rates too.
"""

from datetime import date, datetime
from decimal import Decimal

from .dates import BERLIN

KLEINUNTERNEHMER = "f5c7fee8-f184-4e7a-ab04-8f7e7ad6c207"
OLD_KLEINUNTERNEHMER = "7a1efa0e-6283-4cbf-9583-8e88d3ba5960"
KLEINUNTERNEHMER_CHANGED = date(2026, 4, 28)
ALLOWED_RATES = frozenset({0, 5, 7, 16, 19})
# The EU member states' standard and reduced rates (2025/2026, before and after the
# latest changes in EE, FI, RO, SK), for the categories taxed in the other country.
EU_RATES = frozenset(
    {Decimal(rate) for rate in (3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18, 19)}
    | {Decimal(rate) for rate in (20, 21, 22, 23, 24, 25, 27)}
    | {Decimal(rate) for rate in ("2.1", "4.8", "5.5", "9.5", "13.5", "25.5")}
)
# Flags the sandbox keeps for itself; /v1/posting-categories does not show them.
PRIVATE_FLAGS = ("zeroRateOnly", "foreignRates")


def _category(
    cid, name, kind, group, contact_required=False, split=True, zero_rate=False, foreign=False
):
    return {
        "id": cid,
        "name": name,
        "type": kind,
        "contactRequired": contact_required,
        "splitAllowed": split,
        "groupName": group,
        "zeroRateOnly": zero_rate,
        "foreignRates": foreign,
    }


CATEGORIES = [
    _category("8f8664a8-fd86-11e1-a21f-0800200c9a66", "Warenverkäufe", "income", "Einnahmen"),
    _category("8f8664a0-fd86-11e1-a21f-0800200c9a66", "Dienstleistungen", "income", "Einnahmen"),
    _category("8f8664a1-fd86-11e1-a21f-0800200c9a66", "Einnahmen", "income", "Einnahmen"),
    _category(
        "9075a4e3-66de-4795-a016-3889feca0d20",
        "Innergemeinschaftliche Lieferung",
        "income",
        "Einnahmen",
        contact_required=True,
        split=False,
        zero_rate=True,
    ),
    _category(
        "380a20cb-d04c-426e-b49c-84c22adfa362",
        "Fremdleistungen §13b",
        "income",
        "Einnahmen",
        contact_required=True,
        split=False,
        zero_rate=True,
    ),
    _category(
        "93d24c20-ea84-424e-a731-5e1b78d1e6a9",
        "Ausfuhrlieferungen an Drittländer",
        "income",
        "Einnahmen",
        contact_required=True,
        split=False,
        zero_rate=True,
    ),
    _category(
        "ef5b1a6e-f690-4004-9a19-91276348894f",
        "Dienstleistungen an Drittländer",
        "income",
        "Einnahmen",
        contact_required=True,
        split=False,
        zero_rate=True,
    ),
    _category(
        KLEINUNTERNEHMER,
        "Einnahmen als Kleinunternehmer",
        "income",
        "Einnahmen",
        split=False,
        zero_rate=True,
    ),
    _category(
        "7c112b66-0565-479c-bc18-5845e080880a",
        "Fernverkauf (OSS, Ursprungsland)",
        "income",
        "Einnahmen",
        contact_required=True,
    ),
    _category(
        "d73b880f-c24a-41ea-a862-18d90e1c3d82",
        "Elektronische Dienstleistungen (OSS, Ursprungsland)",
        "income",
        "Einnahmen",
        contact_required=True,
    ),
    _category(
        "4ebd965a-7126-416c-9d8c-a5c9366ee473",
        "Fernverkauf in EU-Land steuerpflichtig (OSS)",
        "income",
        "Einnahmen",
        contact_required=True,
        foreign=True,
    ),
    _category(
        "7ecea006-844c-4c98-a02d-aa3142640dd5",
        "Elektronische Dienstleistungen in EU-Land steuerpflichtig (OSS)",
        "income",
        "Einnahmen",
        contact_required=True,
        foreign=True,
    ),
    _category("8f8664a2-fd86-11e1-a21f-0800200c9a66", "Wareneingang", "outgo", "Ausgaben"),
    _category("8f8664a3-fd86-11e1-a21f-0800200c9a66", "Bürobedarf", "outgo", "Ausgaben"),
]


def catalogue(today=None):
    """The categories on the given day (yyyy-MM-dd; None: today in Berlin)."""
    day = date.fromisoformat(today) if today else datetime.now(BERLIN).date()
    if day >= KLEINUNTERNEHMER_CHANGED:
        return CATEGORIES
    return [
        {**category, "id": OLD_KLEINUNTERNEHMER} if category["id"] == KLEINUNTERNEHMER else category
        for category in CATEGORIES
    ]


def by_id(today=None):
    return {category["id"]: category for category in catalogue(today)}


def public_view(today=None):
    """The array /v1/posting-categories answers, without the sandbox's own flags."""
    return [
        {key: value for key, value in category.items() if key not in PRIVATE_FLAGS}
        for category in catalogue(today)
    ]
