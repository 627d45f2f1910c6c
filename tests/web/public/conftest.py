"""Helpers for the citizens' pages: a fresh rate-limit count, form data, photos."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from geopool.web.public import ratelimit
from tests.web.helpers import ANTAKYA

# What a citizen types: a name, a phone as people write it, an e-mail.
FIRST_NAME = "Zeliha"
LAST_NAME = "Karaosmanoğlu"
PHONE_TYPED = "0532 987 65 43"
PHONE = "05329876543"
EMAIL = "zeliha.k@example.org"
DESCRIPTION = "Konteyner taşmış, kapı numaram 12, komşum sürekli çöp döküyor"


@pytest.fixture(autouse=True)
def _fresh_rate_limit(db):
    """The per-address counters live in the shared (database) cache: each
    test starts at 0 (and the test's rollback removes what it counted)."""
    ratelimit.counters().clear()
    yield


def form_data(**overrides):
    """A complete, valid form: COP in central Antakya with contact data."""
    data = {
        "category": "COP",
        "lat": str(ANTAKYA["lat"]),
        "lon": str(ANTAKYA["lon"]),
        "description": DESCRIPTION,
        "first_name": FIRST_NAME,
        "last_name": LAST_NAME,
        "phone": PHONE_TYPED,
        "email": EMAIL,
        "kvkk_read": "on",
        "website": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def jpeg(size=(40, 30), name="foto.jpg"):
    """A small JPEG upload whose EXIF names its owner."""
    image = Image.new("RGB", size, (30, 120, 200))
    exif = Image.Exif()
    exif[0x013B] = "Zeliha Karaosmanoglu"  # Artist
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")
