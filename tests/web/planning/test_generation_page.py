"""The preview page: the draft beside the active generation, its problems."""

import json
import re

import pytest

from boundaries.models import Generation, Layer
from geopool.web.planning import features
from tests.web.planning.files import (
    AT_SEA,
    DISTRICT_FIELDS,
    EAST,
    WEST,
    geojson_file,
)
from tests.web.planning.steps import mapping, upload_to_draft

pytestmark = pytest.mark.django_db

HOSTILE = "<img src=x onerror=alert(1)>"
DISTRICT_MAPPING = mapping(
    name_ascii="name_ascii",
    osm_relation_id="osm_relation_id",
    postal_code="postal_code",
)


def _overlay_names(page):
    """Names of the layer control's overlays, as the browser will show them."""
    found = re.search(r"overlays\s*:\s*\{(.*?)\}", page.text, re.S)
    assert found, "no layer control on the page"
    return [json.loads(name) for name in re.findall(r'("[^"]+")\s*:', found.group(1))]


def test_draft_is_drawn_beside_the_active_generation(planner_client, tmp_path):
    path = geojson_file(tmp_path, WEST, EAST, extra=DISTRICT_FIELDS)

    page = upload_to_draft(
        planner_client, path, layer="districts", form=DISTRICT_MAPPING
    )

    assert page.status_code == 200
    assert _overlay_names(page) == [
        "districts: Etkin sürüm 1",
        "districts: Sürüm 2 (Taslak)",
    ]
    assert "2 / 2 gösteriliyor" in page.text
    assert "etkin sürüm 1: 15 / 15 gösteriliyor" in page.text
    script = page.context["map"].script
    draft = _geojson_with(script, "tooltip", "Şenköy (9001)")
    active = _geojson_with(script, "tooltip", "Antakya (2080)")
    assert len(draft["features"]) == 2 and len(active["features"]) == 15
    # The draft drops the 15 districts of the active generation: errors, so
    # activating needs the planner to accept them.
    assert page.context["has_errors"]
    assert 'data-testid="activate" disabled>' in page.text
    assert "document.documentElement.dataset.mapReady" in page.text


def test_map_needs_nothing_from_another_host(planner_client, tmp_path):
    page = upload_to_draft(planner_client, geojson_file(tmp_path))

    head = page.context["map"].header + page.context["map"].script
    assert "http://" not in head and "https://" not in head
    assert "/static/vendor/leaflet/leaflet.js" in head


def test_located_problems_are_red_circles_with_escaped_messages(
    planner_client, tmp_path
):
    hostile_at_sea = (HOSTILE, "9004", AT_SEA[2])

    page = upload_to_draft(planner_client, geojson_file(tmp_path, WEST, hostile_at_sea))

    assert "Sorunlar (1)" in _overlay_names(page)
    script = page.context["map"].script
    assert HOSTILE not in script
    problems = _geojson_with(script, "message")
    (problem,) = problems["features"]
    assert problem["geometry"]["coordinates"] == pytest.approx(
        [35.705, 36.005], abs=0.01
    )
    assert problem["properties"]["message"].startswith(
        "&lt;img src=x onerror=alert(1)&gt; lies outside the province"
    )
    assert '"color": "#dc3545"' in script


def test_problems_without_a_place_are_only_in_the_table(planner_client, tmp_path):
    page = upload_to_draft(planner_client, geojson_file(tmp_path))

    assert not any(name.startswith("Sorunlar") for name in _overlay_names(page))
    assert "Kontroller bildirilecek bir şey bulmadı." in page.text


def test_only_so_many_features_are_drawn_and_the_page_says_so(
    planner_client, tmp_path, monkeypatch
):
    monkeypatch.setattr(features, "DISPLAY_LIMIT", 1)

    page = upload_to_draft(planner_client, geojson_file(tmp_path))

    assert "1 / 2 gösteriliyor" in page.text


def test_illustrative_layers_say_so_on_the_map(planner_client, tmp_path):
    Layer.objects.filter(code="neighbourhoods").update(is_illustrative=True)

    page = upload_to_draft(planner_client, geojson_file(tmp_path))

    assert _overlay_names(page) == ["neighbourhoods: Sürüm 1 (Taslak) — temsili"]


def test_active_generation_page_offers_no_activation(planner_client):
    generation = Generation.objects.get(layer__code="districts", number=1)

    page = planner_client.get(f"/planning/generations/{generation.pk}/")

    assert page.status_code == 200
    assert 'data-testid="activate"' not in page.text
    assert _overlay_names(page) == ["districts: Sürüm 1 (Etkin)"]


def test_unknown_generation_is_404(planner_client):
    assert planner_client.get("/planning/generations/999999/").status_code == 404


def _geojson_with(script, prop, value=None):
    """The first GeoJSON in ``script`` whose features carry ``prop`` (=``value``)."""
    decoder = json.JSONDecoder()
    for match in re.finditer(
        r'\{"bbox"|\{"features"|\{"type": "FeatureCollection"', script
    ):
        try:
            data, _end = decoder.raw_decode(script, match.start())
        except json.JSONDecodeError:
            continue
        properties = [f["properties"] for f in data.get("features", [])]
        if any(prop in p and (value is None or p[prop] == value) for p in properties):
            return data
    raise AssertionError(f"no GeoJSON with {prop!r} in the map script")
