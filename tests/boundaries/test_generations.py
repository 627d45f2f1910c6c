"""Drafts, activation, rollback and the impact preview, on the real districts.

A second generation of ``districts`` is made from the real file with the
outlines of Antakya (2080) and Defne (2082) swapped, so a point in central
Antakya falls in "Defne" under the draft.
"""

import json

import pytest
from django.core.management import CommandError, call_command

from boundaries.errors import ActivationRefused
from boundaries.importing.service import layer_import
from boundaries.models import Generation, Layer
from boundaries.services.generations import (
    generation_activate,
    generation_discard,
    generation_rollback,
)
from geopool.models import Category, Event, Status
from geopool.services.intake import Intake, request_create
from routing_rules.decide import decide
from tests.conftest import DISTRICTS_FILE, data_file

pytestmark = pytest.mark.django_db
ANTAKYA = (36.1603, 36.2021)


def _swapped_districts(tmp_path):
    data = json.loads(data_file(DISTRICTS_FILE).read_text(encoding="utf-8"))
    by_code = {str(f["properties"]["tuik_district_id"]): f for f in data["features"]}
    antakya, defne = by_code["2080"], by_code["2082"]
    antakya["geometry"], defne["geometry"] = defne["geometry"], antakya["geometry"]
    path = tmp_path / "ilceler-degisik.geojson"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _request(code, status=Status.NEW):
    category = Category.objects.get(code=code)
    request = request_create(
        Intake(
            category=category,
            channel="phone",
            lon=ANTAKYA[0],
            lat=ANTAKYA[1],
            location_source="given",
        )
    ).request
    if status != Status.NEW:
        type(request).objects.filter(pk=request.pk).update(status=status)
    return request


def test_impact_preview_lists_requests_changing_district_and_owner(hatay, tmp_path):
    cop = _request("COP")
    su = _request("SU")
    _request("COP", status=Status.CLOSED)  # closed requests do not move

    report = layer_import(_swapped_districts(tmp_path), "districts", commit=True)

    impact = report.impact
    assert impact["total"] == 2
    assert impact["owner_changes"] == 1
    assert impact["matrix"] == [{"from": "Antakya", "to": "Defne", "requests": 2}]
    assert impact["owner_matrix"] == [
        {"from": "Antakya Belediyesi", "to": "Defne Belediyesi", "requests": 1}
    ]
    moves = {m["tracking_code"]: m for m in impact["moves"]}
    assert moves[cop.tracking_code]["to_owner"] == "Defne Belediyesi"
    assert moves[su.tracking_code]["owner_changes"] is False
    assert moves[su.tracking_code]["to_owner"] == (
        "Hatay Su ve Kanalizasyon İdaresi (HATSU)"
    )
    # The draft is stored with its report and nothing routes on it yet.
    assert report.generation.report["impact"]["total"] == 2
    assert decide(ANTAKYA, "COP").owner_body.code == "ANTAKYA"


def test_activation_switches_routing_and_rollback_is_one_step(hatay, tmp_path):
    draft = layer_import(_swapped_districts(tmp_path), "districts", commit=True)
    generation_activate(draft.generation)
    outcome = decide(ANTAKYA, "COP")
    assert outcome.owner_body.code == "DEFNE"
    assert outcome.generations == {"districts": 2, "container_cities": 1}

    back = generation_rollback(Layer.objects.get(code="districts"))
    assert back.number == 1
    assert decide(ANTAKYA, "COP").owner_body.code == "ANTAKYA"
    actions = list(
        Event.objects.filter(object_type="boundaries.generation")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-3:] == [
        "generation.import",
        "generation.activate",
        "generation.rollback",
    ]


def test_discarded_draft_cannot_be_activated(hatay, tmp_path):
    draft = layer_import(_swapped_districts(tmp_path), "districts", commit=True)
    generation_discard(draft.generation)
    draft.generation.refresh_from_db()
    assert draft.generation.state == "discarded"
    with pytest.raises(ActivationRefused, match="was discarded"):
        generation_activate(draft.generation)
    active = Generation.objects.get(layer__code="districts", is_active=True)
    with pytest.raises(ActivationRefused, match="only drafts can be discarded"):
        generation_discard(active)


def test_rollback_without_previous_generation_is_refused(hatay):
    with pytest.raises(ActivationRefused, match="no previous generation"):
        generation_rollback(Layer.objects.get(code="districts"))


def test_activate_command_and_rollback_command(hatay, tmp_path, capsys):
    layer_import(_swapped_districts(tmp_path), "districts", commit=True)
    call_command("activate_generation", "districts", "2")
    assert "districts#2 is now active" in capsys.readouterr().out
    call_command("activate_generation", "districts", "--previous")
    assert "districts#1 is now active" in capsys.readouterr().out
    with pytest.raises(CommandError, match="has no generation 9; it has: 1, 2"):
        call_command("activate_generation", "districts", "9")
    with pytest.raises(CommandError, match="no layer 'roadz'"):
        call_command("activate_generation", "roadz", "1")


def test_district_layer_without_codes_cannot_be_activated(hatay, tmp_path):
    data = json.loads(data_file(DISTRICTS_FILE).read_text(encoding="utf-8"))
    data["features"][1]["properties"]["tuik_district_id"] = None
    path = tmp_path / "kodsuz.geojson"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    report = layer_import(path, "districts", commit=True)
    (problem,) = [p for p in report.checks if p["kind"] == "empty_code"]
    assert problem["severity"] == "error"
    assert problem["message"] == (
        "1 features have no code (Antakya); routing finds each district's "
        "municipality by its code"
    )
    with pytest.raises(ActivationRefused):
        generation_activate(report.generation)


def test_rollbacks_walk_back_through_history_not_back_and_forth(hatay, tmp_path):
    layer = Layer.objects.get(code="districts")
    second = layer_import(_swapped_districts(tmp_path), "districts", commit=True)
    generation_activate(second.generation)
    third = layer_import(data_file(DISTRICTS_FILE), "districts", commit=True)
    generation_activate(third.generation)
    assert generation_rollback(layer).number == 2
    assert generation_rollback(layer).number == 1
    with pytest.raises(ActivationRefused, match="no previous generation"):
        generation_rollback(layer)
