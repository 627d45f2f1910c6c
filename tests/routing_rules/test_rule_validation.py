"""Writing rules: the condition grammar, and what a save refuses or reports."""

import pytest
from django.utils import translation

from routing_rules.conditions import format_condition, parse_condition
from routing_rules.errors import RuleError
from routing_rules.models import RuleSet
from routing_rules.services.rule_sets import (
    delegation_save,
    rule_save,
    rule_set_activate,
    rule_set_check,
    rule_set_draft,
)


def test_conditions_parse_and_write_back_canonically():
    terms = parse_condition(
        "within  25 m of roads[class=motorway|state_highway, owner=KGM] and "
        "not inside ports"
    )
    assert terms == [
        {
            "op": "within",
            "layer": "roads",
            "filter": {
                "class": {"values": ["motorway", "state_highway"], "negate": False},
                "owner": {"values": ["KGM"], "negate": False},
            },
            "distance_m": 25.0,
            "negate": False,
        },
        {
            "op": "inside",
            "layer": "ports",
            "filter": {},
            "buffer_m": 0.0,
            "negate": True,
        },
    ]
    assert format_condition(terms) == (
        "within 25 m of roads[class=motorway|state_highway,owner=KGM] and "
        "not inside ports"
    )
    assert format_condition(parse_condition("inside parks+5m")) == (
        "inside parks + 5 m"
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "the condition is empty"),
        ("near roads", "cannot read the condition term 'near roads'"),
        ("within 0 m of roads", "the distance must be more than 0 m"),
        ("inside parks[maintainer]", "filter 'maintainer' in 'inside parks"),
        ("not anywhere", "'not anywhere' can never hold"),
    ],
)
def test_unreadable_conditions_say_what_is_expected(text, message):
    with pytest.raises(RuleError) as caught:
        parse_condition(text)
    assert message in str(caught.value)


def test_condition_problems_are_english_and_can_be_told_in_turkish():
    with translation.override("tr"), pytest.raises(RuleError) as caught:
        parse_condition("within 0 m of roads")

    assert str(caught.value) == (
        "'within 0 m of roads': the distance must be more than 0 m and at most 50000 m"
    )
    with translation.override("tr"):
        assert caught.value.translated() == (
            "'within 0 m of roads': uzaklık 0 m'den büyük ve en çok 50000 m olmalı"
        )
    with translation.override("en"):
        assert caught.value.translated() == str(caught.value)


@pytest.fixture
def draft(hatay):
    return rule_set_draft()


def _values(**overrides):
    values = {
        "code": "YOL-DENEME",
        "stage": "network_proximity",
        "priority": "15",
        "categories": "YOL-BAKIM",
        "condition": "within 10 m of roads[owner=HBB]",
        "owner": "body:HBB/HBB-YOL",
    }
    return values | overrides


def test_a_draft_copies_the_active_set_under_the_next_version(draft):
    active = RuleSet.objects.get(is_active=True)
    assert draft.version == active.version + 1
    assert draft.is_draft
    assert draft.rules.count() == active.rules.count() == 35


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"categories": "YOL-BAKIM CUKUR"}, "rule YOL-DENEME: unknown category CUKUR"),
        ({"owner": "body:KARAYOLU"}, "rule YOL-DENEME: unknown owner body KARAYOLU"),
        (
            {"condition": "within 10 m of roads[sahibi=HBB]"},
            "rule YOL-DENEME: layer roads has no attribute sahibi; its attributes "
            "are class, owner, ref",
        ),
        (
            {"condition": "within 10 m of yollar"},
            "rule YOL-DENEME: unknown layer yollar",
        ),
        (
            {"condition": "inside roads"},
            "rule YOL-DENEME: 'inside roads' needs a polygon layer, but roads "
            "holds lines",
        ),
        (
            {"owner": "attribute:bakim"},
            "rule YOL-DENEME: layer roads has no attribute bakim",
        ),
        (
            {"stage": "network_proximity", "condition": "anywhere"},
            "a network_proximity rule compares distances",
        ),
        ({"owner": "group:yok"}, "rule YOL-DENEME: no rule belongs to group yok"),
        (
            {"owner": "body:AKSA/HBB-YOL"},
            "department HBB-YOL belongs to HBB, not to AKSA",
        ),
        ({"valid_from": "2027-13-01"}, "valid_from '2027-13-01' is not a date"),
    ],
)
def test_saving_a_wrong_rule_names_what_was_wrong(draft, overrides, message):
    with pytest.raises(RuleError) as caught:
        rule_save(draft, _values(**overrides))
    assert message in str(caught.value)
    assert not draft.rules.filter(code="YOL-DENEME").exists()


def test_a_rule_shadowed_for_all_its_categories_is_reported(draft):
    rule, warnings = rule_save(
        draft,
        _values(
            code="SU-IKINCI",
            stage="category_default",
            categories="SU",
            condition="anywhere",
            owner="body:HBB/HBB-FEN",
        ),
    )
    assert rule.pk
    assert warnings == [
        "rule SU-IKINCI can never match: every one of its categories is decided "
        "earlier by SU-KANAL-HATSU"
    ]


def test_a_live_rule_set_cannot_be_edited(hatay):
    active = RuleSet.objects.get(is_active=True)
    with pytest.raises(RuleError, match="has been live and can no longer change"):
        rule_save(active, _values())


def test_dormant_rules_are_kept_and_reported_nowhere_as_errors(hatay):
    errors, warnings = rule_set_check(RuleSet.objects.get(is_active=True))
    assert errors == []
    assert warnings == []


def test_delegation_with_an_unknown_district_is_refused(draft):
    with pytest.raises(RuleError, match="unknown district code 9999"):
        delegation_save(
            draft,
            {
                "code": "MEZARLIK-DENEME",
                "from_body": "HBB",
                "categories": "MEZARLIK",
                "district_codes": "9999",
                "valid_from": "2027-01-01",
                "decision_ref": "HBB Meclisi 2026/412",
            },
        )


def test_activation_refuses_a_set_that_no_longer_checks(draft):
    draft.rules.filter(code="GAZ-AKSA").update(owner_body_code="YOK")
    with pytest.raises(RuleError, match="cannot go live: rule GAZ-AKSA: unknown"):
        rule_set_activate(draft)
    assert not RuleSet.objects.get(pk=draft.pk).is_active


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"priority": "99999999999999999999"}, "is not a whole number from 0 to"),
        (
            {"condition": "within 1000000 m of roads"},
            "the distance must be more than 0 m and at most 50000 m",
        ),
        ({"condition": "within ٥ m of roads"}, "cannot read the condition term"),
        ({"owner": "body:HBB/"}, "cannot read the owner 'body:HBB/'"),
        (
            {"stage": "emergency", "categories": "", "condition": "anywhere"},
            "an emergency rule must name its categories",
        ),
        (
            {"group": "loop", "owner": "group:loop"},
            "rule groups refer to each other in a circle: loop → loop",
        ),
    ],
)
def test_saving_an_absurd_rule_is_refused(draft, overrides, message):
    with pytest.raises(RuleError) as caught:
        rule_save(draft, _values(**overrides))
    assert message in str(caught.value)
