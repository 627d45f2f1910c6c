"""The layer import service: formats, structure, fields, stored values."""

import pytest
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command

import geopandas as gpd
from shapely.geometry import LineString, MultiPolygon, Polygon

from boundaries.errors import FieldMissing, ImportRefused, SeveralLayers
from boundaries.importing.service import layer_import
from boundaries.models import Feature, Generation, Layer
from tests.boundaries.files import SQUARE, frame, shapefile_zip, write

pytestmark = pytest.mark.django_db


def _import(path, **kwargs):
    kwargs.setdefault("geometry_kind", "polygon")
    kwargs.setdefault("name_field", "ILCE_ADI")
    kwargs.setdefault("code_field", "ILCE_KODU")
    return layer_import(path, "test-ilceler", **kwargs)


@pytest.mark.parametrize("kind", ["geojson", "gpkg", "kml", "zip", "zip-in-folder"])
def test_each_format_stores_names_codes_and_geometry_exactly(hatay, tmp_path, kind):
    report = _import(write(tmp_path, kind), commit=True)

    stored = {f.code: f for f in Feature.objects.filter(generation=report.generation)}
    kirikhan = stored["1131"]
    assert kirikhan.name == "Kırıkhan"
    assert [ord(c) for c in kirikhan.name] == [ord(c) for c in "K\u0131r\u0131khan"]
    assert kirikhan.geometry.geom_type == "MultiPolygon"
    assert kirikhan.geometry.extent == pytest.approx(
        (36.00, 36.00, 36.01, 36.01), abs=1e-6
    )
    assert report.generation.source_crs == "EPSG:4326"


def test_commit_stores_a_draft_that_nothing_routes_on(hatay, tmp_path):
    report = _import(write(tmp_path, "geojson"), commit=True)
    generation = report.generation
    assert (generation.number, generation.is_active, generation.state) == (
        1,
        False,
        "draft",
    )
    assert report.summary().endswith("generation 1 stored as a draft, not active")


def test_commit_and_activate_make_it_live(hatay, tmp_path):
    report = _import(write(tmp_path, "geojson"), commit=True, activate=True)
    report.generation.refresh_from_db()
    assert report.generation.is_active and report.activated


def test_uploaded_file_is_kept_with_its_checksum(hatay, tmp_path, settings):
    path = write(tmp_path, "gpkg")
    generation = _import(path, commit=True).generation
    kept = settings.MEDIA_ROOT / generation.stored_file
    assert kept.read_bytes() == path.read_bytes()
    assert generation.source_checksum in generation.stored_file
    assert len(generation.source_checksum) == 64


def test_dry_run_reports_everything_and_writes_nothing(hatay, tmp_path):
    before = (Generation.objects.count(), Feature.objects.count())
    report = _import(write(tmp_path, "geojson"))
    assert report.generation is None
    assert report.feature_count == 2
    assert report.repaired_count == 1
    assert (Generation.objects.count(), Feature.objects.count()) == before
    assert not Layer.objects.filter(code="test-ilceler").exists()
    assert report.summary().endswith("dry run, nothing written")


def test_several_layers_are_refused_with_their_names_and_the_flag(hatay, tmp_path):
    path = tmp_path / "iki.gpkg"
    frame().to_file(path, driver="GPKG", layer="ilceler")
    frame(names=["Park"], geometries=[SQUARE]).to_file(
        path, driver="GPKG", layer="parklar"
    )
    with pytest.raises(SeveralLayers) as caught:
        _import(path)
    assert str(caught.value) == (
        "iki.gpkg holds 2 layers: ilceler, parklar; choose one with --source-layer NAME"
    )
    assert caught.value.details["layers"] == ["ilceler", "parklar"]
    report = _import(path, source_layer="parklar", code_field="")
    assert (report.source_layer, report.feature_count) == ("parklar", 1)


def test_zip_with_two_shapefiles_is_refused_until_one_is_chosen(hatay, tmp_path):
    import zipfile

    first = shapefile_zip(tmp_path, frame(), "ilceler")
    second = shapefile_zip(tmp_path, frame(names=["P"], geometries=[SQUARE]), "parklar")
    both = tmp_path / "ikisi.zip"
    with zipfile.ZipFile(both, "w") as out:
        for source in (first, second):
            with zipfile.ZipFile(source) as archive:
                for name in archive.namelist():
                    out.writestr(name, archive.read(name))
    with pytest.raises(SeveralLayers, match="holds 2 layers: ilceler, parklar"):
        _import(both)
    assert _import(both, source_layer="ilceler").feature_count == 2


def test_geometry_kind_mismatch_names_both_kinds(hatay, tmp_path):
    path = tmp_path / "yollar.geojson"
    gpd.GeoDataFrame(
        {"ILCE_ADI": ["D-817"], "ILCE_KODU": ["1"]},
        geometry=[LineString([(36.0, 36.0), (36.1, 36.1)])],
        crs="EPSG:4326",
    ).to_file(path, driver="GeoJSON")
    with pytest.raises(ImportRefused) as caught:
        _import(path)
    assert str(caught.value) == (
        "feature 1 is a LineString (line), but the layer holds polygon features; "
        "choose the right layer or file"
    )


def test_polygons_and_multipolygons_mixed_both_load_as_multipolygons(hatay, tmp_path):
    east = Polygon([(x + 0.02, y) for x, y in SQUARE.exterior.coords])
    mixed = frame(geometries=[SQUARE, MultiPolygon([east])])
    report = _import(write(tmp_path, "geojson", mixed), commit=True)
    kinds = {f.geometry.geom_type for f in report.generation.features.all()}
    assert kinds == {"MultiPolygon"}
    assert report.feature_count == 2


def test_z_values_are_dropped_with_a_warning(hatay, tmp_path):
    square_z = Polygon([(x, y, 120.0) for x, y in SQUARE.exterior.coords])
    report = _import(
        write(tmp_path, "geojson", frame(names=["Tepe"], geometries=[square_z])),
        commit=True,
    )
    stored = report.generation.features.get()
    assert not stored.geometry.hasz
    assert report.warnings == [
        "1 features had Z or M values; they were dropped (geopool stores 2D geometries)"
    ]


def test_null_and_empty_geometries_are_skipped_and_listed_with_attributes(
    hatay, tmp_path
):
    data = frame(names=["Kırıkhan", "Boş"], geometries=[SQUARE, None])
    report = _import(write(tmp_path, "gpkg", data), commit=True)
    assert report.feature_count == 1
    assert report.skipped == [
        {
            "feature": 2,
            "name": "Boş",
            "reason": "no geometry",
            "attributes": {"ILCE_ADI": "Boş", "ILCE_KODU": "2080"},
        }
    ]


def test_invalid_polygon_is_repaired_and_listed_with_the_reason(hatay, tmp_path):
    report = _import(write(tmp_path, "geojson"), commit=True)
    assert report.repaired == [
        {"feature": 2, "name": "Bowtie", "reason": "Self-intersection[36.025 36.005]"}
    ]
    bowtie = Feature.objects.get(generation=report.generation, code="2080")
    assert bowtie.geometry.valid
    assert len(bowtie.geometry) == 2


def test_shapefile_field_names_are_cut_to_ten_characters_and_hinted(hatay, tmp_path):
    data = frame().rename(columns={"ILCE_ADI": "MAHALLE_ADI"})
    path = shapefile_zip(tmp_path, data)
    with pytest.raises(FieldMissing) as caught:
        _import(path, name_field="MAHALLE_ADI")
    assert str(caught.value) == (
        "ilceler.zip: no field 'MAHALLE_ADI' for the name; available fields: "
        "MAHALLE_AD, ILCE_KODU (shapefile field names have at most 10 characters: "
        "MAHALLE_ADI arrives as MAHALLE_AD)"
    )
    assert _import(path, name_field="MAHALLE_AD").feature_count == 2


def test_mapping_of_the_live_generation_is_saved_and_reused(hatay, tmp_path):
    path = write(tmp_path, "geojson")
    _import(path, commit=True, activate=True)
    assert Layer.objects.get(code="test-ilceler").field_mapping == {
        "name": "ILCE_ADI",
        "code": "ILCE_KODU",
        "attributes": {},
    }
    report = layer_import(path, "test-ilceler", commit=True)
    assert report.mapping["name"] == "ILCE_ADI"
    assert report.generation.features.filter(code="1131").exists()


def test_a_draft_that_never_goes_live_leaves_the_saved_mapping(hatay, tmp_path):
    path = write(tmp_path, "geojson")
    _import(path, commit=True, activate=True)
    _import(path, commit=True, code_field="")
    saved = Layer.objects.get(code="test-ilceler").field_mapping
    assert saved["code"] == "ILCE_KODU"


def test_missing_name_field_names_the_flag_and_the_fields(hatay, tmp_path):
    with pytest.raises(FieldMissing) as caught:
        layer_import(
            write(tmp_path, "geojson"), "test-ilceler", geometry_kind="polygon"
        )
    assert str(caught.value) == (
        "ilceler.geojson: say which field holds the feature names "
        "(--name-field FIELD); the file's fields: ILCE_ADI, ILCE_KODU"
    )


def test_unknown_layer_without_kind_is_refused(hatay, tmp_path):
    with pytest.raises(ImportRefused, match="there is no layer 'parks2'; define it"):
        layer_import(write(tmp_path, "geojson"), "parks2", name_field="ILCE_ADI")


def test_failed_import_leaves_the_active_generation_untouched(hatay, tmp_path):
    good = _import(write(tmp_path, "geojson"), commit=True, activate=True).generation
    broken = tmp_path / "bozuk.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(ImportRefused, match="bozuk.geojson cannot be read as a layer"):
        _import(broken, commit=True)
    with pytest.raises(ImportRefused) as refused:
        _import(broken, commit=True)
    assert str(tmp_path) not in str(refused.value)
    good.refresh_from_db()
    assert good.is_active
    assert Generation.objects.filter(layer__code="test-ilceler").count() == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bos.geojson", b"", "bos.geojson is empty"),
        ("notlar.txt", b"x", "unsupported file type .txt"),
        ("sahte.zip", b"not a zip", "sahte.zip is not a readable zip file"),
    ],
)
def test_unreadable_files_are_refused_clearly(hatay, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportRefused, match=message):
        _import(path)


def test_stored_point_is_the_requested_lon_lat(hatay, tmp_path):
    # x is always longitude: a point at (36.16 E, 36.20 N) stays there.
    data = gpd.GeoDataFrame(
        {"ILCE_ADI": ["Nokta"], "ILCE_KODU": ["7"]},
        geometry=gpd.points_from_xy([36.16], [36.20]),
        crs="EPSG:4326",
    ).to_crs(5256)
    path = shapefile_zip(tmp_path, data, "noktalar")
    report = layer_import(
        path, "test-noktalar", name_field="ILCE_ADI", geometry_kind="point", commit=True
    )
    stored = report.generation.features.get().geometry
    assert (stored.x, stored.y) == pytest.approx((36.16, 36.20), abs=1e-6)
    assert stored.equals_exact(Point(36.16, 36.20, srid=4326), tolerance=1e-6)


def test_command_line_dry_run_commit_and_activate(hatay, tmp_path, capsys):
    path = str(write(tmp_path, "gpkg"))
    base = [path, "--layer", "test-ilceler", "--kind", "polygon"]
    base += [
        "--name-field",
        "ILCE_ADI",
        "--code-field",
        "ILCE_KODU",
        "--verbosity",
        "0",
    ]
    call_command("import_layer", *base)
    out = capsys.readouterr().out
    assert "repaired feature 2 (Bowtie): Self-intersection[36.025 36.005]" in out
    assert out.strip().endswith("dry run, nothing written")

    call_command("import_layer", *base, "--commit")
    assert (
        capsys.readouterr()
        .out.strip()
        .endswith("generation 1 stored as a draft, not active")
    )
    call_command("activate_generation", "test-ilceler", "1")
    assert "test-ilceler#1 is now active" in capsys.readouterr().out

    with pytest.raises(CommandError, match="--activate needs --commit"):
        call_command("import_layer", *base, "--activate")
    with pytest.raises(CommandError, match="available fields: ILCE_ADI, ILCE_KODU"):
        call_command("import_layer", *base[:-6], "--name-field", "AD")


def test_text_codes_keep_their_leading_zeros(hatay, tmp_path):
    data = frame(names=["Sıfırlı"], geometries=[SQUARE])
    data["ILCE_KODU"] = ["0031"]
    report = _import(write(tmp_path, "geojson", data), commit=True)
    assert report.generation.features.get().code == "0031"


@pytest.mark.parametrize("code", ["Bad Layer", "../../etc", "", "çöp"])
def test_layer_code_must_be_a_slug(hatay, tmp_path, code):
    with pytest.raises(ImportRefused, match="is not valid: use 1-64 lower-case"):
        layer_import(write(tmp_path, "geojson"), code, name_field="ILCE_ADI")


def test_overlong_name_is_refused_with_the_feature_number(hatay, tmp_path):
    data = frame(names=["Kısa", "Ç" * 301], geometries=[SQUARE, SQUARE])
    with pytest.raises(ImportRefused) as caught:
        _import(write(tmp_path, "geojson", data))
    assert str(caught.value).startswith("feature 2: its name is 301 characters long")


def test_geojson_not_in_utf8_is_refused_clearly(hatay, tmp_path):
    path = tmp_path / "cp1254.geojson"
    text = write(tmp_path, "geojson").read_text(encoding="utf-8")
    path.write_bytes(text.replace("Kırıkhan", "Şanlıurfa").encode("cp1254"))
    with pytest.raises(ImportRefused, match="its text is not valid UTF-8"):
        _import(path)


def test_importing_the_same_file_again_is_warned(hatay, tmp_path):
    path = write(tmp_path, "geojson")
    _import(path, commit=True)
    again = _import(path)
    assert again.warnings == [
        "generation 1 (Taslak) was imported from the very same file (same SHA-256)"
    ]


def test_command_dry_run_with_check_errors_fails_for_scripts(hatay, tmp_path):
    data = frame(names=["Uzak"], geometries=[SQUARE])
    data["geometry"] = data.geometry.translate(4.0, 4.0)  # far outside Hatay
    path = str(write(tmp_path, "geojson", data))
    args = [path, "--layer", "test-ilceler", "--kind", "polygon"]
    args += ["--name-field", "ILCE_ADI", "--verbosity", "0"]
    with pytest.raises(CommandError, match="its checks found errors"):
        call_command("import_layer", *args)
