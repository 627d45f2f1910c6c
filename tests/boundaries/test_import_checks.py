"""Checks on a new boundary generation, on tiny squares around (36°E, 36°N).

Cells are 0.01° squares; ``cell(i, j)`` is the one whose south-west corner
is (36.00 + 0.01 i, 36.00 + 0.01 j). Expected areas come from pyproj's
geodesic polygon area on WGS 84.
"""

import pytest

import geopandas as gpd
from pyproj import Geod
from shapely.geometry import MultiPolygon, Point, box

from boundaries.errors import ActivationRefused
from boundaries.importing.service import layer_import
from boundaries.models import Layer
from boundaries.services.generations import generation_activate

pytestmark = pytest.mark.django_db
GEOD = Geod(ellps="WGS84")
STEP = 0.01


def cell(i, j, grow=0.0):
    west, south = 36.0 + STEP * i, 36.0 + STEP * j
    return box(west - grow, south - grow, west + STEP + grow, south + STEP + grow)


def geodesic_area(polygon):
    return abs(GEOD.geometry_area_perimeter(polygon)[0])


@pytest.fixture
def boundary_layer(hatay):
    return Layer.objects.create(
        code="test-mahalleler",
        title="Test mahalleleri",
        geometry_kind="polygon",
        is_boundary=True,
    )


def _import(tmp_path, features, **kwargs):
    names, codes, shapes = zip(*features, strict=True)
    path = tmp_path / f"mahalleler-{len(list(tmp_path.iterdir()))}.geojson"
    gpd.GeoDataFrame(
        {"AD": names, "KOD": codes}, geometry=list(shapes), crs="EPSG:4326"
    ).to_file(path, driver="GeoJSON")
    return layer_import(
        path, "test-mahalleler", name_field="AD", code_field="KOD", **kwargs
    )


def _of(report, kind):
    return [p for p in report.checks if p["kind"] == kind]


def test_overlap_between_neighbours_is_reported_with_area_and_place(
    boundary_layer, tmp_path
):
    a, b = cell(0, 0), box(36.009, 36.0, 36.02, 36.01)
    report = _import(tmp_path, [("Ağaçlı", "1", a), ("Bağlar", "2", b)])
    (overlap,) = _of(report, "overlap")
    shared = a.intersection(b)
    assert overlap["severity"] == "warning"
    assert overlap["features"] == ["Ağaçlı", "Bağlar"]
    assert overlap["area_m2"] == pytest.approx(geodesic_area(shared), rel=1e-3)
    assert shared.contains(Point(overlap["lon"], overlap["lat"]))


def test_gap_enclosed_by_neighbours_is_reported(boundary_layer, tmp_path):
    ring = [(i, j) for i in range(3) for j in range(3) if (i, j) != (1, 1)]
    features = [(f"M{i}{j}", f"{i}{j}", cell(i, j)) for i, j in ring]
    report = _import(tmp_path, features)
    (gap,) = _of(report, "gap")
    assert gap["area_m2"] == pytest.approx(geodesic_area(cell(1, 1)), rel=1e-3)
    assert cell(1, 1).contains(Point(gap["lon"], gap["lat"]))


def test_sliver_part_is_reported(boundary_layer, tmp_path):
    crumb = box(36.02, 36.0, 36.02005, 36.00005)  # ~4.5 m x 5.6 m
    report = _import(tmp_path, [("Kırıntılı", "1", MultiPolygon([cell(0, 0), crumb]))])
    (sliver,) = _of(report, "sliver")
    assert sliver["features"] == ["Kırıntılı"]
    assert sliver["area_m2"] == pytest.approx(geodesic_area(crumb), rel=1e-2)


def test_duplicate_codes_are_an_error_that_blocks_activation(boundary_layer, tmp_path):
    report = _import(
        tmp_path,
        [("Ağaçlı", "7", cell(0, 0)), ("Bağlar", "7", cell(1, 0))],
        commit=True,
    )
    (duplicate,) = _of(report, "duplicate_code")
    assert duplicate["severity"] == "error"
    assert duplicate["message"] == (
        "code 7 is used by 2 features (Ağaçlı, Bağlar); codes must be unique within "
        "a layer"
    )
    with pytest.raises(ActivationRefused, match="has 1 error"):
        generation_activate(report.generation)
    generation_activate(report.generation, force=True)
    report.generation.refresh_from_db()
    assert report.generation.is_active


def test_feature_outside_the_province_is_an_error(boundary_layer, tmp_path):
    far = box(40.0, 40.0, 40.01, 40.01)
    report = _import(tmp_path, [("Uzak", "1", far), ("Yakın", "2", cell(10, 15))])
    (outside,) = _of(report, "outside")
    assert outside["severity"] == "error"
    assert outside["features"] == ["Uzak"]
    assert "lies outside the province" in outside["message"]


def test_changes_against_the_active_generation_are_listed(boundary_layer, tmp_path):
    first = _import(
        tmp_path,
        [("Ağaçlı", "1", cell(0, 0)), ("Bağlar", "2", cell(1, 0))],
        commit=True,
        activate=True,
    )
    assert first.activated
    second = _import(
        tmp_path,
        [("Ağaçlı", "1", cell(0, 0, grow=0.001)), ("Çamlık", "3", cell(2, 0))],
    )
    messages = {p["kind"]: p["message"] for p in second.checks}
    assert messages["count_change"].startswith(
        "2 features (2 in the active generation)"
    )
    assert messages["missing_code"] == (
        "code 2 (Bağlar) is in the active generation but not in this one"
    )
    assert messages["new_code"] == "new code 3 (Çamlık)"
    assert messages["area_change"].startswith(
        "Ağaçlı (1): area 1.00 → 1.44 km² (+44.0%)"
    )


def test_long_lists_are_capped_and_summarised(boundary_layer, tmp_path):
    _import(tmp_path, [("Ağaçlı", "1", cell(0, 0))], commit=True, activate=True)
    many = [(f"M{i}", f"N{i:03d}", cell(i % 20, i // 20)) for i in range(150)]
    report = _import(tmp_path, many)
    new = _of(report, "new_code")
    assert len(new) == 101
    assert new[-1]["message"] == "50 more new codes"
