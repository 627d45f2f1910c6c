"""Coordinates: the CRS comes from the file; without one, suggest, never guess.

A point at Antakya's centre (36.16 E, 36.20 N) is written in projected
coordinates; expected values are computed here with pyproj.
"""

import pytest

import geopandas as gpd
from pyproj import Geod, Transformer

from boundaries.errors import CrsUnknown
from boundaries.importing.service import layer_import
from tests.boundaries.files import shapefile_zip
from tests.conftest import DISTRICTS_FILE, data_file

pytestmark = pytest.mark.django_db

ANTAKYA = (36.16, 36.20)
GEOD = Geod(ellps="WGS84")


def _points(crs, lon_lat=ANTAKYA):
    return gpd.GeoDataFrame(
        {"AD": ["Merkez"], "KOD": ["1"]},
        geometry=gpd.points_from_xy([lon_lat[0]], [lon_lat[1]]),
        crs="EPSG:4326",
    ).to_crs(crs)


def _import(path, layer="test-noktalar", **kwargs):
    return layer_import(
        path, layer, name_field="AD", code_field="KOD", geometry_kind="point", **kwargs
    )


def _without_prj(tmp_path, data, name="noktalar"):
    path = shapefile_zip(tmp_path, data, name)
    import zipfile

    stripped = tmp_path / f"{name}-noprj.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(stripped, "w") as target:
        for member in source.namelist():
            if not member.endswith(".prj"):
                target.writestr(member, source.read(member))
    return stripped


def test_file_without_prj_is_refused_with_tm36_suggestions(hatay, tmp_path):
    path = _without_prj(tmp_path, _points(5256))
    with pytest.raises(CrsUnknown) as caught:
        _import(path)
    message = str(caught.value)
    assert "declares no coordinate reference system" in message
    assert "Pass --srid EPSG_CODE" in message
    assert "Ranges cannot tell the datum" in message
    # TM36 on either datum fits; UTM 36N/37N and degrees do not.
    assert sorted(caught.value.details["suggestions"]) == [2322, 5256]


def test_utm_37n_coordinates_suggest_utm_37n(hatay, tmp_path):
    path = _without_prj(tmp_path, _points(32637))
    with pytest.raises(CrsUnknown) as caught:
        _import(path)
    assert sorted(caught.value.details["suggestions"]) == [23037, 32637]


def test_suggestions_are_scored_against_the_active_generation(hatay, tmp_path):
    # Three real districts written in ED50 / TM36 without a .prj: read as
    # ED50 their outlines lie on the active districts' outlines; read as
    # TUREF they are shifted ~180 m (a median ~110 m from the nearest
    # outline, as edges parallel to the shift move along themselves).
    # Ranges alone could not tell.
    districts = gpd.read_file(data_file(DISTRICTS_FILE)).head(3)[
        ["name", "tuik_district_id", "geometry"]
    ]
    path = _without_prj(tmp_path, districts.to_crs(2322), "ilceler")
    with pytest.raises(CrsUnknown) as caught:
        layer_import(path, "districts", name_field="name", code_field="tuik_distr")
    assert caught.value.details["suggestions"] == [2322, 5256]
    message = str(caught.value)
    assert "EPSG:2322 (ED50 / TM36): the file's outlines fall a median 0 m" in message
    marker = "(TUREF / TM36): the file's outlines fall a median "
    offset = int(message.split(marker)[1].split()[0])
    assert 80 < offset < 200


def test_chosen_srid_reprojects_to_degrees(hatay, tmp_path):
    path = _without_prj(tmp_path, _points(5256))
    report = _import(path, srid=5256, commit=True)
    stored = report.generation.features.get().geometry
    assert report.generation.source_crs == "EPSG:5256"
    assert (stored.x, stored.y) == pytest.approx(ANTAKYA, abs=1e-6)


def test_ed50_datum_shift_is_applied(hatay, tmp_path):
    # The same TM36 numbers read as ED50 and as TUREF land ~180 m apart.
    x, y = Transformer.from_crs(4326, 5256, always_xy=True).transform(*ANTAKYA)
    data = gpd.GeoDataFrame(
        {"AD": ["Merkez"], "KOD": ["1"]},
        geometry=gpd.points_from_xy([x], [y]),
        crs=None,
    )
    path = _without_prj(tmp_path, data)
    as_ed50 = _import(path, srid=2322, commit=True).generation.features.get().geometry
    as_turef = _import(path, srid=5256, commit=True).generation.features.get().geometry
    assert (as_turef.x, as_turef.y) == pytest.approx(ANTAKYA, abs=1e-6)
    _, _, metres = GEOD.inv(as_ed50.x, as_ed50.y, as_turef.x, as_turef.y)
    assert 150 < metres < 210


def test_declared_crs_is_recorded_and_a_conflicting_choice_warned(hatay, tmp_path):
    path = shapefile_zip(tmp_path, _points(5256))
    report = _import(path, srid=2322)
    assert report.source_crs == "EPSG:2322"
    assert report.warnings == [
        "the file declares EPSG:5256; read as EPSG:2322 as asked"
    ]


def test_geojson_holding_metres_is_refused_not_read_as_degrees(hatay, tmp_path):
    # GeoJSON is WGS 84 by definition, so GDAL reports EPSG:4326 even when a
    # tool wrote TM36 metres into it.
    path = tmp_path / "metre.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", '
        '"properties": {"AD": "Merkez", "KOD": "1"}, "geometry": '
        '{"type": "Point", "coordinates": [514389.7, 4007746.7]}}]}',
        encoding="utf-8",
    )
    with pytest.raises(CrsUnknown) as caught:
        _import(path)
    assert str(caught.value).startswith(
        "metre.geojson is read as EPSG:4326 (degrees) but its coordinates are not "
        "degrees; its coordinates (x 514,390 to 514,390, y 4,007,747 to 4,007,747) "
        "fit"
    )
    assert sorted(caught.value.details["suggestions"]) == [2322, 5256]


def test_extent_in_degrees_is_printed_with_useful_decimals():
    from boundaries.importing.crs import _coord

    assert (_coord(36.16031), _coord(36.2021), _coord(514390.4)) == (
        "36.1603",
        "36.2021",
        "514,390",
    )
