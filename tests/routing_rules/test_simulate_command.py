"""``manage.py simulate_rules``: a draft's changes, printed or as JSON.

Scenario: two water requests (``SU``, HATSU's by rule ``SU-KANAL-HATSU``)
and one waste request in central Antakya; draft v3 gives water to HBB.
"""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from boundaries.models import Generation, Layer
from routing_rules.services.rule_sets import rule_save, rule_set_draft
from tests.web.helpers import request_at

pytestmark = pytest.mark.django_db

ANTAKYA = {"lon": 36.1603, "lat": 36.2021}


@pytest.fixture
def water_to_hbb(hatay):
    """Draft v3 where water and sewerage go to HBB; three requests."""
    draft = rule_set_draft()
    rule = draft.rules.get(code="SU-KANAL-HATSU")
    rule_save(
        draft,
        {
            "code": rule.code,
            "stage": rule.stage,
            "priority": rule.priority,
            "categories": rule.categories,
            "condition": rule.condition,
            "owner": "body:HBB",
        },
        rule=rule,
    )
    water = [request_at("SU", **ANTAKYA), request_at("SU", 36.1710, 36.5902)]
    request_at("COP", **ANTAKYA)
    return draft, water


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("simulate_rules", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_draft_changes_are_printed_with_the_matrix_and_examples(water_to_hbb):
    _draft, water = water_to_hbb
    since = timezone.localdate().isoformat()

    out, _err = run("--rule-set", "3", "--since", since)

    lines = out.splitlines()
    assert lines[0] == (
        "rule set v3; generations: container_cities #1, districts #1, parks #1, "
        f"roads #1; requests received since {since}"
    )
    assert lines[1] == (
        "requests: 3, routed: 3, would change owner: 2, to triage: 0, skipped: 0"
    )
    assert lines[2] == (
        "compared: routing today with routing under the change; moved by hand "
        "(owned by another body than routing names, not counted as changes): 0"
    )
    assert lines[3] == "routed to today → routed to with the change:"
    assert lines[4].split() == [
        "HATSU",
        "(Hatay",
        "Su",
        "ve",
        "Kanalizasyon",
        "İdaresi",
        "(HATSU))",
        "→",
        "HBB",
        "(Hatay",
        "Büyükşehir",
        "Belediyesi)",
        "2",
    ]
    assert lines[5] == "examples:"
    examples = lines[6:]
    assert sorted(line.split()[0] for line in examples) == sorted(
        r.tracking_code for r in water
    )
    assert all(" SU HATSU → HBB (rule SU-KANAL-HATSU): " in line for line in examples)


def test_json_output_holds_the_matrix_and_body_names(water_to_hbb):
    out, err = run("--rule-set", "3", "--json")

    data = json.loads(out)
    assert data["matrix"] == [{"from": "HATSU", "to": "HBB", "count": 2}]
    assert (data["total"], data["changed"], data["rule_set_version"]) == (3, 2, 3)
    assert data["bodies"] == {
        "HATSU": "Hatay Su ve Kanalizasyon İdaresi (HATSU)",
        "HBB": "Hatay Büyükşehir Belediyesi",
    }
    assert err == ""  # no progress bar in the way of JSON readers


def test_progress_bar_goes_to_stderr_and_the_active_set_changes_nothing(
    water_to_hbb, capsys
):
    out, _err = run()

    assert "would change owner: 0" in out
    assert out.splitlines()[-1] == "no request would change owner"
    # tqdm writes to the process's stderr, not to the command's stream.
    assert "simulate: 100%" in capsys.readouterr().err


def test_a_draft_generation_is_simulated_in_place_of_the_active_one(water_to_hbb):
    layer = Layer.objects.get(code="roads")
    active = layer.generations.get(is_active=True)
    empty = Generation.objects.create(
        layer=layer,
        number=2,
        source_file="empty.geojson",
        source_checksum="0" * 64,
        source_crs="EPSG:4326",
    )

    out, _err = run("--generation", "roads:2", "--json")

    data = json.loads(out)
    assert data["generations"]["roads"] == 2
    assert active.number == 1 and empty.number == 2
    assert data["changed"] == 0


def test_a_generation_of_a_layer_no_rule_reads_is_said_to_change_nothing(
    water_to_hbb,
):
    Generation.objects.create(
        layer=Layer.objects.get(code="neighbourhoods"),
        number=1,
        source_file="mahalleler.geojson",
        source_checksum="0" * 64,
        source_crs="EPSG:4326",
    )

    out, err = run("--generation", "neighbourhoods:1", "--json")

    assert "neighbourhoods" not in json.loads(out)["generations"]
    assert err == (
        "note: no rule of rule set v2 reads layer neighbourhoods, so its "
        "generation 1 changes nothing\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # No rule set has that version.
        (["--rule-set", "99"], "--rule-set 99: no rule set has that version; the "
         "versions are 3, 2"),
        # The generation must be LAYER:N.
        (["--generation", "roads"], "--generation 'roads': write it as LAYER:N, "
         "e.g. districts:2 (the layer's code and the generation's number)"),
        (["--generation", "roads:two"], "--generation 'roads:two': write it as "
         "LAYER:N, e.g. districts:2 (the layer's code and the generation's "
         "number)"),
        # A layer that does not exist.
        (["--generation", "rivers:1"], "--generation rivers:1: no layer 'rivers'; "
         "the layers are canals, cemeteries, coastline, container_cities, "
         "districts, door_points, heavy_damage, neighbourhoods, "
         "osm_neighbourhoods, parks, place_points, ports, river_beds, "
         "roads, stormwater, street_lines, towns, waste_facilities"),
        # A generation the layer does not have.
        (["--generation", "roads:7"], "--generation roads:7: layer roads has no "
         "generation 7; it has 1"),
        # Not a date.
        (["--since", "2026-02-30"], "--since '2026-02-30' is not a date; write it "
         "as YYYY-MM-DD"),
    ],
)  # fmt: skip
def test_bad_options_are_refused_with_what_to_write(water_to_hbb, args, message):
    with pytest.raises(CommandError) as raised:
        run(*args)
    assert str(raised.value) == message


def test_a_request_transferred_by_hand_is_not_a_change_of_the_draft(
    water_to_hbb, make_staff
):
    from geopool.models import ServiceRequest
    from geopool.services.workflow import transfer_answer, transfer_propose

    waste = ServiceRequest.objects.get(category__code="COP")
    transfer = transfer_propose(
        waste, "DEFNE", "wrong_location", actor=make_staff("body_staff", body="ANTAKYA")
    )
    transfer_answer(transfer, True, actor=make_staff("body_staff", body="DEFNE"))
    waste.refresh_from_db()
    assert waste.owner_body.code == "DEFNE"

    # The draft: only the two water requests change (HATSU → HBB); the waste
    # request moved by hand is routed to Antakya now and with the draft.
    data = json.loads(run("--rule-set", "3", "--json")[0])
    assert data["matrix"] == [{"from": "HATSU", "to": "HBB", "count": 2}]
    assert (data["changed"], data["moved_by_hand"]) == (2, 1)

    # The live rule set against itself changes nothing, transfer or not.
    data = json.loads(run("--rule-set", "2", "--json")[0])
    assert (data["changed"], data["matrix"], data["moved_by_hand"]) == (0, [], 1)
