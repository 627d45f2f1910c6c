"""Turkish text in DBF files: use what the file declares, never store garbage."""

import pytest

from boundaries.errors import EncodingUnknown
from boundaries.importing.service import layer_import
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
