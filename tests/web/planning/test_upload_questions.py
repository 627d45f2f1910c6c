"""What a file leaves open is asked on the page: its layer, CRS, encoding."""

import zipfile

import pytest
from django.utils.html import escape

from boundaries.models import Feature, Generation
from geopool.web.planning import forms
from geopool.web.planning.views.source import (
    QUESTION_CRS,
    QUESTION_ENCODING,
    QUESTION_LAYER,
)
from tests.web.planning.files import (
    WEST,
    frame,
    geojson_file,
    geopackage_two_layers,
    shapefile_zip,
)
from tests.web.planning.steps import mapping, upload

pytestmark = pytest.mark.django_db


def _source(client, token, data=None):
    url = f"/planning/upload/{token}/source/"
    return client.post(url, data) if data is not None else client.get(url)


def test_geopackage_with_two_layers_asks_which(planner_client, tmp_path):
    token = upload(planner_client, geopackage_two_layers(tmp_path))

    page = _source(planner_client, token)

    assert page.status_code == 200
    assert escape(str(QUESTION_LAYER)) in page.text
    assert '<option value="mahalleler">mahalleler</option>' in page.text
    assert '<option value="eski_mahalleler">eski_mahalleler</option>' in page.text

    answered = _source(planner_client, token, {"source_layer": "eski_mahalleler"})
    assert answered["Location"] == f"/planning/upload/{token}/source/"
    assert _source(planner_client, token)["Location"].endswith("/fields/")
    planner_client.post(f"/planning/upload/{token}/fields/", mapping(district="ILCE"))
    planner_client.post(f"/planning/upload/{token}/check/")
    draft = Generation.objects.get(layer__code="neighbourhoods")
    assert draft.source_layer == "eski_mahalleler"
    assert list(Feature.objects.filter(generation=draft).values_list("name")) == [
        ("Şenköy",)
    ]


def test_a_layer_name_not_in_the_file_is_asked_again(planner_client, tmp_path):
    token = upload(planner_client, geopackage_two_layers(tmp_path), source_layer="yok")

    page = _source(planner_client, token)

    assert escape(str(QUESTION_LAYER)) in page.text
    assert "has no layer &#x27;yok&#x27;" in page.text


def test_shapefile_without_prj_asks_for_the_crs_with_suggestions(
    planner_client, tmp_path
):
    path = shapefile_zip(tmp_path, crs="EPSG:5256", parts_left_out=(".prj",))
    token = upload(planner_client, path)

    page = _source(planner_client, token)

    assert escape(str(QUESTION_CRS)) in page.text
    assert "declares no coordinate reference system" in page.text
    # The page asks with its form: no command-line option to pass.
    assert "--srid" not in page.text
    # TM36 on TUREF and on ED50: the ranges cannot tell the datum.
    assert '<option value="5256">EPSG:5256 (TUREF / TM36)</option>' in page.text
    assert '<option value="2322">EPSG:2322 (ED50 / TM36)</option>' in page.text
    assert '<option value="32636">' not in page.text  # UTM 36N does not fit
    assert 'name="epsg"' in page.text

    _source(planner_client, token, {"suggested": "5256"})
    fields = planner_client.get(f"/planning/upload/{token}/fields/")
    assert fields.status_code == 200
    assert "EPSG:5256" in fields.text


def test_crs_may_be_typed_as_an_epsg_code(planner_client, tmp_path):
    path = shapefile_zip(tmp_path, crs="EPSG:5256", parts_left_out=(".prj",))
    token = upload(planner_client, path)

    _source(planner_client, token, {"epsg": "5256"})
    planner_client.post(f"/planning/upload/{token}/fields/", mapping(district="ILCE"))
    planner_client.post(f"/planning/upload/{token}/check/")

    draft = Generation.objects.get(layer__code="neighbourhoods")
    assert draft.source_crs == "EPSG:5256"
    senkoy = Feature.objects.get(generation=draft, name="Şenköy")
    assert senkoy.geometry.extent == pytest.approx(WEST[2].bounds, abs=1e-6)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "Önerilen bir koordinat sistemi seçin ya da bir EPSG kodu yazın."),
        ({"epsg": "999999"}, "EPSG:999999 bilinen bir EPSG kodu değil."),
        ({"suggested": "5256", "epsg": "2322"}, "ikisini birden değil"),
    ],
)
def test_bad_crs_answers_are_shown_on_the_form(planner_client, tmp_path, data, error):
    path = shapefile_zip(tmp_path, crs="EPSG:5256", parts_left_out=(".prj",))
    token = upload(planner_client, path)

    page = _source(planner_client, token, data)

    assert page.status_code == 200
    assert error in page.text


def test_shapefile_in_cp1254_without_cpg_shows_how_each_encoding_reads(
    planner_client, tmp_path
):
    path = shapefile_zip(tmp_path, encoding="cp1254", parts_left_out=(".cpg",))
    token = upload(planner_client, path)

    page = _source(planner_client, token)

    assert escape(str(QUESTION_ENCODING)) in page.text
    assert 'type="radio" name="encoding" value="cp1254"' in page.text
    # The first non-ASCII name as each encoding reads it.
    assert "cp1254: Şenköy" in page.text
    assert "cp857: " in page.text

    _source(planner_client, token, {"encoding": "cp1254"})
    planner_client.post(f"/planning/upload/{token}/fields/", mapping(district="ILCE"))
    planner_client.post(f"/planning/upload/{token}/check/")
    draft = Generation.objects.get(layer__code="neighbourhoods")
    assert draft.source_encoding == "cp1254"
    assert sorted(Feature.objects.filter(generation=draft).values_list("name")) == [
        ("Güzelyurt",),
        ("Şenköy",),
    ]


def test_unreadable_file_is_refused_on_the_page(planner_client, tmp_path):
    path = tmp_path / "bozuk.geojson"
    path.write_text("{ not json", encoding="utf-8")
    token = upload(planner_client, path)

    page = _source(planner_client, token)

    assert page.status_code == 200
    # The file's own name and a Turkish message; never the storage path.
    assert (
        "bozuk.geojson bir harita katmanı olarak okunamadı: dosya bozuk ya da "
        "geopool&#x27;un okuduğu bir biçimde değil. Kabul edilen biçimler: "
        "GeoJSON (.geojson)"
    ) in page.text
    assert "uploads-pending" not in page.text
    assert str(tmp_path) not in page.text
    assert "GDAL" not in page.text


def test_unsupported_file_type_is_refused_by_the_form(planner_client, tmp_path):
    path = tmp_path / "liste.csv"
    path.write_text("ad,kod\nŞenköy,9001\n", encoding="utf-8")

    with path.open("rb") as handle:
        page = planner_client.post(
            "/planning/upload/", {"file": handle, "layer": "neighbourhoods"}
        )

    assert page.status_code == 200
    assert "liste.csv: bu dosya türü içe aktarılamaz" in page.text


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"layer": ""}, "Bir hedef katman seçin ya da yeni bir katmanın kodunu"),
        ({"layer": "", "new_code": "districts"}, "districts katmanı zaten var"),
        ({"layer": "", "new_code": "parklar"}, "geometri türü belirtilmelidir"),
    ],
)
def test_target_layer_problems_are_shown_by_the_form(
    planner_client, tmp_path, fields, error
):
    with geojson_file(tmp_path).open("rb") as handle:
        page = planner_client.post("/planning/upload/", {"file": handle, **fields})

    assert page.status_code == 200
    assert error in page.text


def test_new_layer_is_created_with_the_draft(planner_client, tmp_path):
    token = upload(
        planner_client,
        geojson_file(tmp_path),
        layer="",
        new_code="parklar",
        new_title="Parklar",
        geometry_kind="polygon",
    )
    _source(planner_client, token)
    planner_client.post(f"/planning/upload/{token}/fields/", mapping())

    dry_run = planner_client.get(f"/planning/upload/{token}/check/")
    assert dry_run.status_code == 200
    assert not Generation.objects.filter(layer__code="parklar").exists()

    planner_client.post(f"/planning/upload/{token}/check/")
    draft = Generation.objects.get(layer__code="parklar")
    assert draft.layer.title == "Parklar" and draft.layer.geometry_kind == "polygon"


def test_a_file_with_points_for_a_polygon_layer_is_refused_on_the_page(
    planner_client, tmp_path
):
    points = frame(WEST)
    points["geometry"] = points.geometry.representative_point()
    path = tmp_path / "noktalar.geojson"
    points.to_file(path, driver="GeoJSON")
    token = upload(planner_client, path)
    _source(planner_client, token)
    planner_client.post(f"/planning/upload/{token}/fields/", mapping(district="ILCE"))

    page = planner_client.get(f"/planning/upload/{token}/check/")

    assert page.status_code == 200
    assert "the layer holds polygon features" in page.text
    assert 'href="/planning/upload/"' in page.text


def test_file_over_the_upload_limit_is_refused_by_the_form(
    planner_client, tmp_path, monkeypatch
):
    monkeypatch.setattr(forms, "UPLOAD_MAX_BYTES", 1 << 20)
    path = tmp_path / "büyük.geojson"
    path.write_bytes(b" " * ((1 << 20) + 1))

    with path.open("rb") as handle:
        page = planner_client.post(
            "/planning/upload/", {"file": handle, "layer": "neighbourhoods"}
        )

    assert page.status_code == 200
    assert (
        "büyük.geojson 2 MB; yükleme sayfası en çok 1 MB büyüklüğünde dosya alır. "
        "Dosyayı sıkıştırın (zip) ya da sunucuda import_layer komutuyla yükletin."
    ) in page.text


def test_oversized_cpg_is_refused_on_the_page_by_name(planner_client, tmp_path):
    path = shapefile_zip(tmp_path, WEST, parts_left_out=(".cpg",))
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("mahalleler.cpg", " " * (1 << 20))
    token = upload(planner_client, path)

    page = _source(planner_client, token)

    assert page.status_code == 200
    assert (
        "mahalleler.zip: mahalleler.cpg is 1 MB; a .cpg file holds a few bytes (at "
        "most 64 KB are read)"
    ) in page.text


def test_cpg_naming_no_text_encoding_asks_for_the_encoding(planner_client, tmp_path):
    path = shapefile_zip(tmp_path, WEST, encoding="cp1254", parts_left_out=(".cpg",))
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("mahalleler.cpg", "rot13")
    token = upload(planner_client, path)

    page = _source(planner_client, token)

    assert page.status_code == 200
    assert escape(str(QUESTION_ENCODING)) in page.text
    assert "cp1254: Şenköy" in page.text
