"""Geometries GEOS cannot build as read: repaired, or skipped with the reason.

Each file holds a good feature first (in Antakya, so no check complains)
and then one broken the way hand-edited GeoJSON often is. The broken
geometries are written as GeoJSON text, since no library writes them:

    unclosed   a ring whose last point is not its first (GDAL warns only)
    nan        a ring with a NaN vertex
    nan-first  an unclosed ring starting with a NaN vertex
    one-point  a line of a single point
    same       a line whose two points are the same (zero length)
"""

import json

import pytest
from django.core.management import call_command

from boundaries.errors import ImportRefused
from boundaries.importing.service import layer_import
from boundaries.models import Feature

pytestmark = pytest.mark.django_db

NAN = float("nan")
GOOD_RING = [[36.16, 36.20], [36.17, 36.20], [36.17, 36.21], [36.16, 36.20]]
GOOD_LINE = [[36.16, 36.20], [36.17, 36.21]]
BROKEN = {
    "unclosed": ("Polygon", [[[36.17, 36.2], [36.18, 36.2], [36.18, 36.21]]]),
    "nan": ("Polygon", [[[36.17, 36.2], [36.18, 36.2], [36.18, NAN], [36.17, 36.2]]]),
    "nan-first": ("Polygon", [[[NAN, 36.2], [36.18, 36.2], [36.18, 36.21]]]),
    "one-point": ("LineString", [[36.16, 36.2]]),
    "same": ("LineString", [[36.16, 36.2], [36.16, 36.2]]),
}
NOT_CLOSED = "a ring of the polygon is not closed (its last point is not its first)"
REPAIRED_UNCLOSED = f"{NOT_CLOSED}; closed by repeating its first point"
NO_NUMBER = (
    "a vertex has no number for a coordinate (NaN or infinite: 36.18 nan); the "
    "feature cannot be placed"
)
ONE_POINT = "the line has a single point; a line needs at least two"
ZERO_LENGTH = (
    "the line has zero length: all its points are at 36.16 36.2; a line needs two "
    "distinct points"
)


def _feature(name, kind, coordinates):
    return {
        "type": "Feature",
        "properties": {"AD": name, "KOD": name.upper()},
        "geometry": {"type": kind, "coordinates": coordinates},
    }


def broken_file(tmp_path, broken):
    """A GeoJSON of a good feature ("iyi") and the ``broken`` one ("bozuk")."""
    kind, coordinates = BROKEN[broken]
    good = ("Polygon", [GOOD_RING]) if kind == "Polygon" else (kind, GOOD_LINE)
    path = tmp_path / f"{broken}.geojson"
    features = [_feature("iyi", *good), _feature("bozuk", kind, coordinates)]
    # json writes NaN as the bare NaN that GDAL reads.
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _import(path, kind, **kwargs):
    return layer_import(
        path,
        f"test-{kind}s",
        geometry_kind=kind,
        name_field="AD",
        code_field="KOD",
        **kwargs,
    )


def test_unclosed_ring_is_closed_and_listed_as_repaired(hatay, tmp_path):
    report = _import(broken_file(tmp_path, "unclosed"), "polygon", commit=True)

    assert report.repaired == [
        {"feature": 2, "name": "bozuk", "reason": REPAIRED_UNCLOSED}
    ]
    assert report.skipped == []
    stored = Feature.objects.get(generation=report.generation, code="BOZUK")
    assert stored.geometry.geom_type == "MultiPolygon"
    ring = stored.geometry[0].exterior_ring.coords
    assert ring[0] == ring[-1] == pytest.approx((36.17, 36.2))


@pytest.mark.parametrize(
    "broken, kind, reason",
    [
        # decoded, but the vertex cannot be placed: make_valid cannot run
        ("nan", "polygon", NO_NUMBER),
        # GEOS cannot build it, and closing it cannot mend the NaN
        ("nan-first", "polygon", NOT_CLOSED),
        ("one-point", "line", ONE_POINT),
        ("same", "line", ZERO_LENGTH),
    ],
)
def test_broken_geometry_is_skipped_and_listed_with_the_reason(
    hatay, tmp_path, broken, kind, reason
):
    report = _import(broken_file(tmp_path, broken), kind, commit=True)

    assert [(s["feature"], s["name"], s["reason"]) for s in report.skipped] == [
        (2, "bozuk", reason)
    ]
    assert report.feature_count == 1
    assert list(
        Feature.objects.filter(generation=report.generation).values_list(
            "code", flat=True
        )
    ) == ["IYI"]


def test_command_lists_the_skipped_feature_instead_of_a_traceback(
    hatay, tmp_path, capsys
):
    call_command(
        "import_layer",
        str(broken_file(tmp_path, "one-point")),
        "--layer",
        "test-lines",
        "--kind",
        "line",
        "--name-field",
        "AD",
        "--code-field",
        "KOD",
        verbosity=0,
    )
    assert f"skipped feature 2 (bozuk): {ONE_POINT}" in capsys.readouterr().out


def test_file_of_only_broken_features_is_refused_with_their_reasons(hatay, tmp_path):
    path = tmp_path / "tek.geojson"
    feature = _feature("bozuk", *BROKEN["one-point"])
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    with pytest.raises(ImportRefused) as caught:
        _import(path, "line")
    assert str(caught.value) == (
        f"tek.geojson: no usable features (1 skipped; feature 1: {ONE_POINT})"
    )
