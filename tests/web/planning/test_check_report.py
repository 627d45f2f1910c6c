"""The dry run's report: repairs, errors and forcing, the impact preview."""

import json

import pytest
from django.utils import translation
from django.utils.html import escape

from boundaries.models import Generation
from geopool.models import ServiceRequest
from geopool.web.planning.views.actions import ACTIVATED_FORCED
from tests.web.helpers import request_at
from tests.web.planning.files import (
    AT_SEA,
    BOWTIE,
    DISTRICT_FIELDS,
    EAST,
    IN_WEST,
    WEST,
    geojson_file,
)
from tests.web.planning.steps import mapping, upload_to_check, upload_to_draft

pytestmark = pytest.mark.django_db


def test_invalid_polygon_is_reported_as_repaired(planner_client, tmp_path):
    _token, page = upload_to_check(planner_client, geojson_file(tmp_path, WEST, BOWTIE))

    assert "1 onarıldı, 0 atlandı." in page.text
    row = page.text.split('data-testid="repaired"', 1)[1].split("</tr>", 1)[0]
    assert "<td>2</td><td>Çağlayan</td><td>Self-intersection[36.02" in row


def test_feature_outside_the_province_is_an_error_in_red(planner_client, tmp_path):
    _token, page = upload_to_check(planner_client, geojson_file(tmp_path, WEST, AT_SEA))

    assert 'data-testid="has-errors"' in page.text
    assert (
        '<tr class="table-danger" data-severity="error" data-kind="outside">'
        in page.text
    )
    assert "Açık deniz lies outside the province" in page.text
    assert "1 hata, 0 uyarı, 0 bilgi" in page.text


def test_draft_with_errors_is_activated_only_when_they_are_accepted(
    planner_client, tmp_path
):
    page = upload_to_draft(planner_client, geojson_file(tmp_path, WEST, AT_SEA))
    draft = Generation.objects.get(layer__code="neighbourhoods")
    assert 'data-testid="activate" disabled>' in page.text
    assert "Hataları kabul ederek etkinleştir" in page.text

    refused = planner_client.post(
        f"/planning/generations/{draft.pk}/activate/", follow=True
    )
    assert "Yapılmadı: neighbourhoods#1 has 1 error(s) and was not activated" in (
        refused.text
    )
    assert not Generation.objects.get(pk=draft.pk).is_active

    forced = planner_client.post(
        f"/planning/generations/{draft.pk}/activate/", {"force": "on"}, follow=True
    )
    with translation.override("tr"):
        text = str(ACTIVATED_FORCED % {"number": 1, "layer": "neighbourhoods"})
    assert escape(text) in forced.text
    assert Generation.objects.get(pk=draft.pk).is_active


def test_impact_preview_lists_the_moved_requests(planner_client, tmp_path):
    """A districts file that gives WEST, in Yayladağı today, to Samandağ
    (code 1591) moves the request there, and its owner with it."""
    request = request_at("COP", **IN_WEST)
    assert request.owner_body.code == "YAYLADAGI"
    west_to_samandag = ("Samandağ", "1591", WEST[2])
    path = geojson_file(tmp_path, west_to_samandag, EAST, extra=DISTRICT_FIELDS)
    district_mapping = mapping(
        name_ascii="name_ascii",
        osm_relation_id="osm_relation_id",
        postal_code="postal_code",
    )

    _token, page = upload_to_check(
        planner_client, path, layer="districts", form=district_mapping
    )

    assert "1 açık talebin ilçesi değişir; bunlardan 1 tanesinin sahibi değişir." in (
        page.text
    )
    moves = page.text.split('data-testid="moves"', 1)[1].split("</table>", 1)[0]
    assert f'data-tracking-code="{request.tracking_code}"' in moves
    for cell in (
        "Yayladağı",
        "Samandağ",
        "Yayladağı Belediyesi",
        "Samandağ Belediyesi",
    ):
        assert f"<td>{cell}</td>" in moves
    matrix = page.text.split('data-testid="impact-matrix"', 1)[1].split("</table>")[0]
    assert '<td>Yayladağı</td><td>Samandağ</td><td class="text-end">1</td>' in matrix
    # Codes of the 15 districts are gone from this file: errors that block
    # activation unless the planner accepts them.
    assert 'data-kind="missing_code"' in page.text
    assert 'data-severity="error" data-kind="missing_code"' in page.text
    assert 'data-severity="warning" data-kind="missing_code"' not in page.text
    assert ServiceRequest.objects.get(pk=request.pk).owner_body.code == "YAYLADAGI"


def test_non_boundary_layer_has_no_impact_preview(planner_client, tmp_path):
    _token, page = upload_to_check(
        planner_client,
        geojson_file(tmp_path),
        layer="",
        new_code="parklar",
        geometry_kind="polygon",
        form=mapping(),
    )

    assert "Talepleri ilçeler arasında yalnızca sınır katmanları taşır" in page.text


def test_feature_whose_geometry_cannot_be_built_is_listed_not_a_500(
    planner_client, tmp_path
):
    path = geojson_file(tmp_path, WEST)
    data = json.loads(path.read_text())
    # Two points, not closed: GEOS cannot build the ring; closed, it encloses
    # no area.
    ring = [[36.001, 36.001], [36.002, 36.001]]
    unclosed = {"type": "Polygon", "coordinates": [ring]}
    data["features"].append(
        {
            "type": "Feature",
            "properties": {"AD": "Kırık", "KOD": "9005", "ILCE": "Yayladağı"},
            "geometry": unclosed,
        }
    )
    path.write_text(json.dumps(data))

    _token, page = upload_to_check(planner_client, path)

    assert page.status_code == 200
    assert "0 onarıldı, 1 atlandı." in page.text
    row = page.text.split('data-testid="skipped"', 1)[1].split("</tr>", 1)[0]
    assert (
        "<td>2</td><td>Kırık</td><td>a ring of the polygon is not closed (its last "
        "point is not its first); closed by repeating its first point; a ring has "
        "too few distinct points to enclose an area (at 36.001 36.001)</td>"
    ) in row
