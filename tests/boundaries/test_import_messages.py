"""What the import says of files that are empty, incomplete or odd.

Each message names what is wrong with the file itself, never a symptom
(an empty list of fields, a CRS guessed for it, text silently cut).
"""

import json

import pytest

from boundaries.errors import CrsUnknown, FieldMissing, ImportRefused
from boundaries.importing.service import layer_import
from tests.boundaries.files import SQUARE, frame, zip_folder

pytestmark = pytest.mark.django_db

SQUARE_COORDINATES = [[list(xy) for xy in SQUARE.exterior.coords]]


def _import(path, **kwargs):
    kwargs.setdefault("name_field", "ILCE_ADI")
    return layer_import(path, "test-ilceler", geometry_kind="polygon", **kwargs)


def _geojson(tmp_path, features, name="parklar", **top):
    path = tmp_path / f"{name}.geojson"
    collection = {"type": "FeatureCollection", **top, "features": features}
    path.write_text(json.dumps(collection), encoding="utf-8")
    return path


def _feature(coordinates=SQUARE_COORDINATES, **properties):
    return {
        "type": "Feature",
        "properties": {"ILCE_ADI": "Kırıkhan", **properties},
        "geometry": {"type": "Polygon", "coordinates": coordinates},
    }


def _shapefile_folder(tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    frame().to_file(folder / "ilceler.shp", encoding="UTF-8")
    return folder


def test_empty_layer_is_refused_as_empty(hatay, tmp_path):
    with pytest.raises(ImportRefused) as caught:
        _import(_geojson(tmp_path, []))
    assert str(caught.value) == (
        "parklar.geojson holds no features (its layer parklar is empty); export "
        "the layer again with its features"
    )


def test_unreadable_dbf_is_named_instead_of_an_empty_field_list(hatay, tmp_path):
    folder = _shapefile_folder(tmp_path)
    (folder / "ilceler.dbf").write_bytes(b"not a dbf file at all" * 4)
    with pytest.raises(FieldMissing) as caught:
        _import(zip_folder(folder, tmp_path / "ilceler.zip"))
    assert str(caught.value) == (
        "ilceler.zip: no fields to map (its .dbf could not be read); export the "
        "layer again with its attributes"
    )


def test_features_without_coordinates_are_said_to_have_none(hatay, tmp_path):
    path = _geojson(tmp_path, [_feature(coordinates=[])])
    with pytest.raises(ImportRefused) as caught:
        _import(path)
    assert str(caught.value) == (
        "parklar.geojson: no usable features (1 skipped; feature 1: empty "
        "geometry: it has no coordinates)"
    )


def test_plain_shp_without_its_dbf_names_the_missing_part(hatay, tmp_path):
    folder = _shapefile_folder(tmp_path)
    (folder / "ilceler.dbf").unlink()
    with pytest.raises(ImportRefused) as caught:
        _import(folder / "ilceler.shp")
    assert str(caught.value) == (
        "ilceler.shp: the shapefile lacks its .dbf part (ilceler.dbf is not beside "
        "it); put all files of the shapefile in one folder, or zip them together"
    )


UNKNOWN_CRS = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::999999"}}


def test_unknown_declared_crs_is_refused_not_read_as_wgs84(hatay, tmp_path):
    path = _geojson(tmp_path, [_feature()], crs=UNKNOWN_CRS)
    with pytest.raises(CrsUnknown) as caught:
        _import(path)
    assert str(caught.value) == (
        "parklar.geojson declares the CRS urn:ogc:def:crs:EPSG::999999, which is "
        "not a known one, and geopool never guesses one; pass --srid EPSG_CODE "
        "with the CRS its coordinates are in, e.g. 4326 (WGS 84), 5256 (TUREF / "
        "TM36) or 32636 (UTM 36N)"
    )


def test_unknown_declared_crs_is_read_as_the_srid_given_with_a_warning(hatay, tmp_path):
    path = _geojson(tmp_path, [_feature()], crs=UNKNOWN_CRS)
    report = _import(path, srid=4326)
    assert report.source_crs == "EPSG:4326"
    assert report.warnings == [
        "the file declares urn:ogc:def:crs:EPSG::999999; read as EPSG:4326 as asked"
    ]


@pytest.mark.parametrize("srid", [0, -4326, 999999])
def test_srid_that_is_no_epsg_code_is_refused_with_what_is_expected(
    hatay, tmp_path, srid
):
    with pytest.raises(ImportRefused) as caught:
        _import(_geojson(tmp_path, [_feature()]), srid=srid)
    assert str(caught.value) == (
        f"--srid {srid}: not a known EPSG code; give the EPSG code (a whole "
        "number, 1 or more) of the file's CRS, e.g. 4326 (WGS 84), 5256 (TUREF / "
        "TM36) or 32636 (UTM 36N)"
    )


def test_nul_in_attribute_text_is_refused_with_where_it_is(hatay, tmp_path):
    path = _geojson(tmp_path, [_feature(), _feature(BAKIM="HBB\u0000")])
    at = path.read_bytes().index(b"\\u0000")
    with pytest.raises(ImportRefused) as caught:
        _import(path, attributes={"maintainer": "BAKIM"})
    assert str(caught.value) == (
        f"parklar.geojson holds a NUL character (\\u0000) in its text, at byte "
        f'{at:,}; GDAL would cut each such value at it ("HBB\\u0000x" is read as '
        '"HBB") and PostgreSQL cannot store it: remove the NUL characters from the '
        "file and import it again"
    )
