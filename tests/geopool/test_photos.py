"""Photos: type and size limits, EXIF removed, turned upright."""

import io

import pytest
from PIL import Image

from geopool.services.photos import MAX_BYTES, PhotoRefused, clean_image


def _jpeg_with_exif(size=(40, 20), orientation=6):
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = orientation  # rotate 90° when shown
    exif[0x013B] = "Ayşe Yılmaz"  # Artist
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_exif_is_removed_and_the_photo_turned_upright():
    data, kind, width, height = clean_image(_jpeg_with_exif())
    assert kind == "image/jpeg"
    assert (width, height) == (20, 40)
    cleaned = Image.open(io.BytesIO(data))
    assert dict(cleaned.getexif()) == {}
    assert b"Ay" not in data


def test_png_keeps_its_format():
    out = io.BytesIO()
    Image.new("RGBA", (10, 10)).save(out, format="PNG")
    assert clean_image(out.getvalue())[1] == "image/png"


@pytest.mark.parametrize(
    "data, message",
    [
        (b"%PDF-1.4 not a photo", "okunabilen bir fotoğraf değil"),
        (b"GIF89a" + b"\0" * 20, "okunabilen bir fotoğraf değil"),
    ],
)
def test_other_files_are_refused(data, message):
    with pytest.raises(PhotoRefused, match=message):
        clean_image(data)


def test_gif_is_refused_by_name():
    out = io.BytesIO()
    Image.new("P", (4, 4)).save(out, format="GIF")
    with pytest.raises(
        PhotoRefused, match="GIF biçimindeki fotoğraflar kabul edilmiyor"
    ):
        clean_image(out.getvalue())


def test_too_large_a_file_is_refused(tmp_path):
    from geopool.services.photos import _read

    with pytest.raises(PhotoRefused, match="Fotoğraf 8 MB'tan büyük"):
        _read(io.BytesIO(b"\0" * (MAX_BYTES + 1)))
