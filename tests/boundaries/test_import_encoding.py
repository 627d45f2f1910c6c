"""Turkish text in DBF files: use what the file declares, never store garbage."""

import zipfile

import pytest

from boundaries.errors import EncodingUnknown, ImportRefused
from boundaries.importing import sources
from boundaries.importing.service import layer_import
from boundaries.importing.sources import SIDECAR_MAX
from tests.boundaries.files import SQUARE, frame, shapefile_zip

pytestmark = pytest.mark.django_db

NAME = "Şeyhli Ağaçlı İğdeli"


def _data():
    return frame(names=[NAME], geometries=[SQUARE])


def _import(path, **kwargs):
    return layer_import(
        path,
        "test-mahalleler",
        name_field="ILCE_ADI",
        geometry_kind="polygon",
        commit=True,
        **kwargs,
    )


def _stored_name(report):
    return report.generation.features.get().name


def test_declared_windows_turkish_is_read_letter_by_letter(hatay, tmp_path):
    report = _import(shapefile_zip(tmp_path, _data(), encoding="cp1254"))
    assert (report.encoding, report.encoding_origin) == ("cp1254", "declared")
    assert _stored_name(report) == NAME


def test_utf8_without_cpg_is_recognised(hatay, tmp_path):
    report = _import(shapefile_zip(tmp_path, _data(), cpg=False))
    assert report.encoding == "utf-8"
    assert report.encoding_origin == "valid UTF-8 (no .cpg)"
    assert _stored_name(report) == NAME


def test_unknown_single_byte_encoding_stops_and_shows_the_readings(hatay, tmp_path):
    path = shapefile_zip(tmp_path, _data(), encoding="cp1254", cpg=False)
    with pytest.raises(EncodingUnknown) as caught:
        _import(path)
    assert caught.value.flag == "--encoding"
    previews = caught.value.details["previews"]
    assert previews["cp1254"] == NAME
    assert previews["cp857"] != NAME
    assert "does not say its encoding (no .cpg)" in str(caught.value)
    assert "pass --encoding" in str(caught.value)


def test_planner_override_reads_the_text(hatay, tmp_path):
    path = shapefile_zip(tmp_path, _data(), encoding="cp1254", cpg=False)
    report = _import(path, encoding="cp1254")
    assert report.encoding_origin == "given"
    assert _stored_name(report) == NAME


def test_cpg_declaring_1254_over_utf8_text_is_refused(hatay, tmp_path):
    # Read as declared this would store "Åžeyhli AÄŸaÃ§lÄ± Ä°ÄŸdeli".
    path = shapefile_zip(tmp_path, _data(), encoding="UTF-8", cpg="1254")
    with pytest.raises(EncodingUnknown) as caught:
        _import(path)
    message = str(caught.value)
    assert "the .cpg declares 1254 but the text is UTF-8" in message
    assert "pass --encoding utf-8" in message
    assert caught.value.details["previews"]["utf-8"] == NAME
    assert _stored_name(_import(path, encoding="utf-8")) == NAME


def test_wrong_override_is_refused(hatay, tmp_path):
    path = shapefile_zip(tmp_path, _data(), encoding="cp1254", cpg=False)
    with pytest.raises(EncodingUnknown, match="the text is not valid utf-8"):
        _import(path, encoding="utf-8")


def test_oversized_cpg_in_a_zip_is_refused_by_name_before_it_is_read(hatay, tmp_path):
    # A zip of a few KB unpacking to a 1 MB .cpg of spaces (a zip bomb's way).
    path = shapefile_zip(tmp_path, frame(), cpg=" " * (1 << 20))
    with pytest.raises(ImportRefused) as caught:
        _import(path)
    assert str(caught.value) == (
        "ilceler.zip: ilceler.cpg is 1 MB; a .cpg file holds a few bytes (at most "
        "64 KB are read): replace it with the one the shapefile was saved with"
    )


def test_oversized_prj_beside_a_plain_shp_is_refused_by_name(hatay, tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    frame().to_file(folder / "ilceler.shp", encoding="UTF-8")
    (folder / "ilceler.prj").write_text("x" * (SIDECAR_MAX + 1), encoding="ascii")
    with pytest.raises(ImportRefused) as caught:
        _import(folder / "ilceler.shp")
    assert str(caught.value) == (
        "ilceler.shp: ilceler.prj is 64 KB; a .prj file holds a few bytes (at most "
        "64 KB are read): replace it with the one the shapefile was saved with"
    )


def test_zip_unpacking_beyond_the_limit_is_refused_with_its_size(
    hatay, tmp_path, monkeypatch
):
    monkeypatch.setattr(sources, "ZIP_UNPACKED_MAX", 256)
    path = shapefile_zip(tmp_path, frame())
    unpacked = sum(i.file_size for i in zipfile.ZipFile(path).infolist())
    with pytest.raises(ImportRefused) as caught:
        _import(path)
    assert str(caught.value) == (
        f"ilceler.zip unpacks to {sources._size(unpacked)}, more than the 256 bytes "
        "geopool reads from a zip: zip only the files of the layer, or split the "
        "layer"
    )


def test_zip_of_too_many_files_is_refused_with_the_count(hatay, tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "ZIP_MEMBERS_MAX", 3)
    path = shapefile_zip(tmp_path, frame())
    with pytest.raises(ImportRefused) as caught:
        _import(path)
    assert str(caught.value) == (
        "ilceler.zip holds 5 files; a layer's zip holds a few (at most 3 are read): "
        "zip only the files of the layer"
    )


def test_empty_cpg_is_named_as_empty_not_as_missing(hatay, tmp_path):
    path = shapefile_zip(tmp_path, frame(), encoding="cp1254", cpg="   ")
    with pytest.raises(EncodingUnknown) as caught:
        _import(path)
    assert "does not say its encoding (its .cpg is empty); it reads cp1254" in str(
        caught.value
    )


@pytest.mark.parametrize("codec", ["rot13", "hex", "zlib"])  # bytes to bytes
def test_given_encoding_that_is_no_text_encoding_is_refused_naming_it(
    hatay, tmp_path, codec
):
    path = shapefile_zip(tmp_path, _data(), encoding="cp1254")
    with pytest.raises(EncodingUnknown) as caught:
        _import(path, encoding=codec)
    assert str(caught.value) == (
        f"--encoding {codec}: not a known text encoding; give one in which the "
        "file's text is written, e.g. UTF-8, CP1254 (Turkish Windows) or "
        "ISO-8859-9 (Turkish Latin-5)"
    )


def test_cpg_naming_no_text_encoding_is_ignored_with_a_warning(hatay, tmp_path):
    report = _import(shapefile_zip(tmp_path, _data(), cpg="rot13"))
    assert report.warnings == [
        "the .cpg file names 'rot13', which is not a known text encoding (e.g. "
        "UTF-8, CP1254 (Turkish Windows) or ISO-8859-9 (Turkish Latin-5)); ignored"
    ]
    assert (report.encoding, _stored_name(report)) == ("utf-8", NAME)


def test_cpg_naming_no_text_encoding_over_turkish_text_asks_for_one(hatay, tmp_path):
    path = shapefile_zip(tmp_path, _data(), encoding="cp1254", cpg="rot13")
    with pytest.raises(EncodingUnknown) as caught:
        _import(path)
    assert caught.value.details["previews"]["cp1254"] == NAME
