"""The layer import service and its command, on small files the tests write.

Each file holds squares around (36.0°E, 36.0°N) in round coordinates:

    Kırıkhan  code 1131.0 (a float, as DBF files store it)  [36.00, 36.01]²
    Bowtie    code 2080   a self-intersecting ring, repaired into 2 triangles
"""

import io
import zipfile

import pytest
from django.core.management import CommandError, call_command

import geopandas as gpd
from shapely.geometry import Polygon

from boundaries.errors import ImportRefused
from boundaries.models import Feature, Generation
from boundaries.services.layer_import import layer_import

SQUARE = Polygon([(36.00, 36.00), (36.01, 36.00), (36.01, 36.01), (36.00, 36.01)])
BOWTIE = Polygon([(36.02, 36.00), (36.03, 36.01), (36.03, 36.00), (36.02, 36.01)])

pytestmark = pytest.mark.django_db


def _frame(crs="EPSG:4326"):
    frame = gpd.GeoDataFrame(
        {"ILCE_ADI": ["Kırıkhan", "Bowtie"], "ILCE_KODU": [1131.0, 2080.0]},
        geometry=[SQUARE, BOWTIE],
        crs="EPSG:4326",
    )
    return frame.to_crs(crs)


def _write(tmp_path, kind, crs="EPSG:4326"):
    frame = _frame(crs)
    if kind == "geojson":
        path = tmp_path / "ilceler.geojson"
        frame.to_file(path, driver="GeoJSON")
    elif kind == "gpkg":
        path = tmp_path / "ilceler.gpkg"
        frame.to_file(path, driver="GPKG", layer="ilceler")
    else:
        folder = tmp_path / "shp"
        folder.mkdir()
        frame.to_file(folder / "ilceler.shp", encoding="UTF-8")
        path = tmp_path / "ilceler.zip"
        with zipfile.ZipFile(path, "w") as archive:
            for part in folder.iterdir():
                archive.write(part, part.name)
    return path


def _import(path, **kwargs):
    return layer_import(
        path, "test-ilceler", name_field="ILCE_ADI", code_field="ILCE_KODU", **kwargs
    )


@pytest.mark.parametrize("kind", ["geojson", "gpkg", "zip"])
def test_commit_stores_names_codes_and_geometry_exactly(hatay, tmp_path, kind):
    report = _import(_write(tmp_path, kind), commit=True)

    assert report.generation.number == 1 and report.activated
    stored = {f.code: f for f in Feature.objects.filter(generation=report.generation)}
    assert sorted(stored) == ["1131", "2080"]
    kirikhan = stored["1131"]
    assert kirikhan.name == "Kırıkhan"
    assert [hex(ord(c)) for c in kirikhan.name] == [
        hex(ord(c)) for c in "K\u0131r\u0131khan"
    ]
    assert kirikhan.geometry.geom_type == "MultiPolygon"
    west, south, east, north = kirikhan.geometry.extent
    assert (west, south, east, north) == pytest.approx(
        (36.00, 36.00, 36.01, 36.01), abs=1e-6
    )
    assert report.source_crs == "EPSG:4326"


def test_projected_source_is_reprojected_to_degrees(hatay, tmp_path):
    # The same squares written in TUREF / TM36 metres land where they were.
    report = _import(_write(tmp_path, "zip", crs="EPSG:5256"), commit=True)
    assert report.source_crs == "EPSG:5256"
    kirikhan = Feature.objects.get(generation=report.generation, code="1131")
    assert kirikhan.geometry.extent == pytest.approx(
        (36.00, 36.00, 36.01, 36.01), abs=1e-6
    )


def test_dry_run_reports_and_writes_nothing(hatay, tmp_path):
    before = Generation.objects.count()
    report = _import(_write(tmp_path, "geojson"))
    assert report.generation is None
    assert report.feature_count == 2
    assert Generation.objects.count() == before
    assert report.summary() == (
        "layer test-ilceler: 2 features from ilceler.geojson (1 repaired, 0 skipped); "
        "dry run, nothing written"
    )


def test_invalid_polygon_is_repaired_and_reported(hatay, tmp_path):
    report = _import(_write(tmp_path, "geojson"), commit=True)
    assert report.repaired == [
        {"feature": 2, "name": "Bowtie", "reason": "Self-intersection[36.025 36.005]"}
    ]
    bowtie = Feature.objects.get(generation=report.generation, code="2080")
    assert bowtie.geometry.valid
    assert len(bowtie.geometry) == 2


def test_second_import_becomes_active_generation_two(hatay, tmp_path):
    path = _write(tmp_path, "geojson")
    first = _import(path, commit=True).generation
    second = _import(path, commit=True).generation
    first.refresh_from_db()
    assert (first.number, first.is_active) == (1, False)
    assert (second.number, second.is_active) == (2, True)


def test_missing_field_is_refused_listing_the_available_ones(hatay, tmp_path):
    path = _write(tmp_path, "geojson")
    with pytest.raises(ImportRefused) as caught:
        layer_import(path, "test-ilceler", name_field="MAHALLE_AD")
    assert str(caught.value) == (
        "ilceler.geojson: no field 'MAHALLE_AD' for the name; available fields: "
        "ILCE_ADI, ILCE_KODU"
    )


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_file_without_crs_is_refused(hatay, tmp_path):
    # (GeoJSON is WGS 84 by definition, RFC 7946; a GeoPackage can lack one.)
    gpkg = tmp_path / "no_crs.gpkg"
    _frame().set_crs(None, allow_override=True).to_file(gpkg, driver="GPKG")
    with pytest.raises(ImportRefused, match="declares no coordinate reference system"):
        _import(gpkg)


def test_line_file_is_refused_for_a_polygon_layer(hatay, tmp_path):
    path = tmp_path / "yollar.geojson"
    gpd.GeoDataFrame(
        {"ILCE_ADI": ["D-817"], "ILCE_KODU": ["1"]},
        geometry=[SQUARE.exterior],
        crs="EPSG:4326",
    ).to_file(path, driver="GeoJSON")
    with pytest.raises(ImportRefused, match="is a LineString, but layer test-ilceler"):
        _import(path)


def test_failed_import_leaves_active_generation_untouched(hatay, tmp_path):
    good = _import(_write(tmp_path, "geojson"), commit=True).generation
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(ImportRefused):
        _import(broken, commit=True)
    good.refresh_from_db()
    assert good.is_active
    assert Generation.objects.filter(layer__code="test-ilceler").count() == 1


def test_command_dry_run_then_commit(hatay, tmp_path):
    path = str(_write(tmp_path, "gpkg"))
    args = [path, "--layer", "test-ilceler", "--name-field", "ILCE_ADI"]
    out = io.StringIO()
    call_command("import_layer", *args, "--code-field", "ILCE_KODU", stdout=out)
    assert "dry run, nothing written" in out.getvalue()
    assert "repaired feature 2 (Bowtie): Self-intersection" in out.getvalue()

    out = io.StringIO()
    call_command(
        "import_layer", *args, "--code-field", "ILCE_KODU", "--commit", stdout=out
    )
    assert "generation 1 active" in out.getvalue()

    with pytest.raises(CommandError, match="available fields: ILCE_ADI, ILCE_KODU"):
        call_command("import_layer", *args, "--code-field", "KOD")
