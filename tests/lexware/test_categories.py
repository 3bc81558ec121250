"""resolve_categories: the organisation's own posting categories decide the ids."""

import requests

from lexware.categories import (
    CATEGORY_KINDS,
    CATEGORY_NAMES,
    DEFAULT_REVENUE_KINDS,
    DOCUMENTED_IDS,
    SPECIAL_KINDS,
    resolve_categories,
)

OLD_SMALL_BUSINESS = "7a1efa0e-6283-4cbf-9583-8e88d3ba5960"
NEW_SMALL_BUSINESS = "f5c7fee8-f184-4e7a-ab04-8f7e7ad6c207"


def category(category_id, name, kind="income"):
    return {
        "id": category_id,
        "name": name,
        "type": kind,
        "contactRequired": False,
        "splitAllowed": True,
        "groupName": "Einnahmen",
    }


def documented_list():
    return [category(DOCUMENTED_IDS[kind], CATEGORY_NAMES[kind]) for kind in CATEGORY_KINDS]


def test_documented_list_resolves_every_kind_to_its_documented_id():
    assert resolve_categories(documented_list()) == DOCUMENTED_IDS


def test_kleinunternehmer_id_renamed_is_found_by_name():
    # What Lexware did on 2026-04-28: the documented id gone, the name kept.
    answer = [c for c in documented_list() if c["id"] != NEW_SMALL_BUSINESS]
    answer.append(
        category("11111111-2222-3333-4444-555555555555", "Einnahmen als Kleinunternehmer")
    )
    assert resolve_categories(answer)["small_business"] == "11111111-2222-3333-4444-555555555555"


def test_previous_kleinunternehmer_id_is_still_recognised():
    answer = [c for c in documented_list() if c["id"] != NEW_SMALL_BUSINESS]
    answer.append(category(OLD_SMALL_BUSINESS, "Kleinunternehmer (alt)"))
    assert resolve_categories(answer)["small_business"] == OLD_SMALL_BUSINESS


def test_documented_id_wins_over_a_name_match():
    answer = [*documented_list(), category("other-id", "Warenverkäufe")]
    assert resolve_categories(answer)["revenue_goods"] == DOCUMENTED_IDS["revenue_goods"]


def test_name_match_ignores_case_and_whitespace():
    answer = [category("x-13b", "  fremdleistungen § 13b "), category("x-ein", "EINNAHMEN")]
    assert resolve_categories(answer) == {"revenue_general": "x-ein", "reverse_charge": "x-13b"}


def test_missing_category_is_absent():
    answer = [c for c in documented_list() if c["id"] != DOCUMENTED_IDS["intra_eu"]]
    resolved = resolve_categories(answer)
    assert "intra_eu" not in resolved
    assert len(resolved) == len(CATEGORY_KINDS) - 1


def test_two_categories_of_the_same_name_resolve_to_neither():
    answer = [category("a", "Dienstleistungen"), category("b", "Dienstleistungen")]
    assert resolve_categories(answer) == {}


def test_only_income_categories_count():
    answer = [
        category(DOCUMENTED_IDS["revenue_goods"], "Warenverkäufe", kind="outgo"),
        category("outgo-id", "Dienstleistungen", kind="outgo"),
    ]
    assert resolve_categories(answer) == {}


def test_empty_answer_resolves_nothing():
    assert resolve_categories([]) == {}


def test_default_revenue_and_small_business_go_with_the_collective_contact():
    assert not SPECIAL_KINDS & {*DEFAULT_REVENUE_KINDS, "small_business"}


def test_sandbox_answer_resolves_every_kind_and_agrees_on_contacts(sandbox):
    answer = requests.get(
        sandbox.url + "/v1/posting-categories",
        headers={"Authorization": "Bearer sandbox-api-key"},
        timeout=10,
    )
    assert answer.status_code == 200
    categories = answer.json()
    resolved = resolve_categories(categories)
    assert set(resolved) == set(CATEGORY_KINDS)
    assert resolved["small_business"] == NEW_SMALL_BUSINESS
    contact_required = {c["id"] for c in categories if c["contactRequired"]}
    assert {kind for kind, cid in resolved.items() if cid in contact_required} == SPECIAL_KINDS
