"""Jurisdiction packs: validation with file and line, upsert by code, dry run."""

import io
import shutil

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from geopool.errors import PackError
from geopool.models import Body, Category
from geopool.packs import load_jurisdiction, read_pack
from routing_rules.models import RuleSet
from tests.conftest import PACK

pytestmark = pytest.mark.django_db


@pytest.fixture
def pack_copy(tmp_path):
    target = tmp_path / "pack"
    shutil.copytree(PACK, target)
    return target


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_hatay_pack_has_fifteen_districts_linked_by_code():
    pack = read_pack(PACK)
    districts = {
        b["code"]: b["district_code"] for b in pack.bodies if b["kind"] == "district"
    }
    assert len(districts) == 15
    assert districts["ISKENDERUN"] == "1413"
    assert len(pack.categories) == 38


def test_loading_the_pack_twice_changes_nothing(hatay):
    summary = load_jurisdiction(read_pack(PACK))
    assert summary["bodies"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 28,
        "deactivated": 0,
    }
    assert summary["rule_set"] == {
        "version": 2,
        "created": False,
        "rules": 35,
        "delegations": 0,
        "active": 2,
    }


def test_dropped_body_is_deactivated_never_deleted(hatay, pack_copy):
    _edit(pack_copy / "bodies.csv", "TCDD,agency,TCDD,TCDD,,,,\n", "")
    summary = load_jurisdiction(read_pack(pack_copy))
    assert summary["bodies"]["deactivated"] == 1
    assert Body.objects.get(code="TCDD").is_active is False


def test_renamed_category_keeps_its_code(hatay, pack_copy):
    _edit(
        pack_copy / "categories.csv",
        "Gaz kokusu,Gas smell",
        "Doğalgaz kokusu,Gas smell",
    )
    load_jurisdiction(read_pack(pack_copy))
    assert Category.objects.get(code="GAZ").name == "Doğalgaz kokusu"


def test_dry_run_counts_but_writes_nothing(hatay, pack_copy):
    _edit(pack_copy / "bodies.csv", "TCDD,agency,TCDD,TCDD,,,,\n", "")
    out = io.StringIO()
    call_command("load_jurisdiction", str(pack_copy), "--dry-run", stdout=out)
    assert "bodies: 0 created, 0 updated, 27 unchanged, 1 deactivated" in out.getvalue()
    assert "dry run, nothing written" in out.getvalue()
    assert Body.objects.get(code="TCDD").is_active is True


@pytest.mark.parametrize(
    ("file", "old", "new", "problem"),
    [
        (
            "bodies.csv",
            "KUMLU,district,Kumlu Belediyesi,Kumlu,1970",
            "KUMLU,district,Kumlu Belediyesi,Kumlu,",
            "bodies.csv line 13: district municipality KUMLU needs a district_code",
        ),
        (
            "bodies.csv",
            "AFAD,agency,",
            "AFAD,ajans,",
            "bodies.csv line 24: kind: 'ajans' is not one of",
        ),
        (
            "rules.csv",
            "GAZ-AKSA,emergency,10,,GAZ,",
            "GAZ-AKSA,emergency,10,,GAZX,",
            "rules.csv line 2: rule GAZ-AKSA: unknown category GAZX",
        ),
        (
            "rules.csv",
            "anywhere,body:HATSU,,,Su",
            "anywhere,body:HATSUU,,,Su",
            "rules.csv line 21: rule SU-KANAL-HATSU: unknown owner body HATSUU",
        ),
        (
            "departments.csv",
            "HBB,HBB-FEN,",
            "HBX,HBB-FEN,",
            "departments.csv line 2: body HBX is not in bodies.csv",
        ),
        (
            "bodies.csv",
            "ANTAKYA,district,Antakya Belediyesi,Antakya,2080",
            "ANTAKYA,district,Antakya Belediyesi,Antakya,1131",
            "bodies.csv line 4: district_code 1131 is also ALTINOZU's",
        ),
        (
            "rules.csv",
            "GAZ-AKSA,emergency,10,,GAZ,anywhere,body:AKSA,",
            "GAZ-AKSA,emergency,10,,GAZ,anywhere,body:AKSA/HBB-FEN,",
            "rules.csv line 2: rule GAZ-AKSA: department HBB-FEN belongs to HBB, "
            "not to AKSA",
        ),
        (
            "bodies.csv",
            "TCDD,agency,TCDD,TCDD,,,,",
            "TCDD,agency," + "T" * 201 + ",TCDD,,,,",
            "bodies.csv line 25: name: '" + "T" * 201 + "' is too long",
        ),
        (
            "bodies.csv",
            "KUMLU,district,Kumlu Belediyesi,Kumlu,1970,,14971,",
            "KUMLU,district,Kumlu Belediyesi,Kumlu,1970,,99999999999999999999,",
            "bodies.csv line 13: population: '99999999999999999999' does not match",
        ),
        (
            "pack.yaml",
            "snap_tolerance_m: 25",
            "snap_tolerance_m: yirmi beş",
            "pack.yaml: settings.snap_tolerance_m: 'yirmi beş' is not of type 'number'",
        ),
    ],
)
def test_invalid_pack_names_file_line_and_problem(pack_copy, file, old, new, problem):
    _edit(pack_copy / file, old, new)
    with pytest.raises(PackError) as caught:
        read_pack(pack_copy)
    assert any(p.startswith(problem) for p in caught.value.problems), (
        caught.value.problems
    )


def test_rule_that_can_never_match_is_reported_with_its_line(pack_copy):
    rules = pack_copy / "rules.csv"
    rules.write_text(
        rules.read_text(encoding="utf-8")
        + "SU-IKINCI,category_default,15,,SU,anywhere,body:HBB/HBB-FEN,,,ikinci\n",
        encoding="utf-8",
    )
    pack = read_pack(pack_copy)
    assert pack.warnings == [
        "rules.csv line 37: rule SU-IKINCI can never match: every one of its "
        "categories is decided earlier by SU-KANAL-HATSU"
    ]


@pytest.mark.parametrize("language", ["tr", "en"])
def test_command_line_names_rule_problems_in_english_whatever_the_language(
    pack_copy, language
):
    _edit(pack_copy / "rules.csv", "anywhere,body:HATSU,,,Su", "anywhr,body:HATSU,,,Su")

    with translation.override(language), pytest.raises(CommandError) as caught:
        call_command("load_jurisdiction", str(pack_copy), "--dry-run")

    assert str(caught.value) == (
        "the jurisdiction pack is invalid:\n"
        "- rules.csv line 21: rule SU-KANAL-HATSU: cannot read the condition term "
        "'anywhr'; expected 'anywhere', 'inside LAYER[attr=value] + N m' or "
        "'within N m of LAYER[attr=value]', joined by 'and', each optionally "
        "preceded by 'not'"
    )


def test_pack_loader_reports_catalogue_problems_in_english_under_turkish(pack_copy):
    _edit(
        pack_copy / "rules.csv",
        "GAZ-AKSA,emergency,10,,GAZ,",
        "GAZ-AKSA,emergency,10,,GAZX,",
    )

    with translation.override("tr"), pytest.raises(PackError) as caught:
        read_pack(pack_copy)

    assert caught.value.problems == [
        "rules.csv line 2: rule GAZ-AKSA: unknown category GAZX"
    ]


def test_changed_rules_under_the_same_version_are_refused(hatay, pack_copy):
    _edit(
        pack_copy / "rules.csv",
        "SU KANAL,anywhere,body:HATSU",
        "SU,anywhere,body:HATSU",
    )
    _edit(
        pack_copy / "rules.csv",
        ",AYD-SOKAK ELEKTRIK,anywhere",
        ",AYD-SOKAK ELEKTRIK KANAL,anywhere",
    )
    with pytest.raises(
        PackError, match="give the changed rules a new rule_set.version"
    ):
        load_jurisdiction(read_pack(pack_copy))
    assert RuleSet.objects.get(is_active=True).version == 2


def test_command_turns_pack_errors_into_a_clear_message(tmp_path):
    with pytest.raises(CommandError, match="no pack.yaml in"):
        call_command("load_jurisdiction", str(tmp_path))


def test_pack_file_not_in_utf8_is_named(pack_copy):
    path = pack_copy / "departments.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp1254"))
    with pytest.raises(PackError) as caught:
        read_pack(pack_copy)
    assert caught.value.problems[0].startswith("departments.csv: not UTF-8 text")


def test_older_pack_does_not_silently_switch_rule_sets_back(hatay, pack_copy):
    _edit(pack_copy / "pack.yaml", "  version: 2\n", "  version: 5\n")
    load_jurisdiction(read_pack(pack_copy))
    out = io.StringIO()
    call_command("load_jurisdiction", str(PACK), stdout=out)
    assert (
        "rule set v2: 35 rules, 0 delegations, already stored; v5 stays active"
        in out.getvalue()
    )
    assert RuleSet.objects.get(is_active=True).version == 5
