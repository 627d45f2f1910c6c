"""Builders for the console tests: a call as the form posts it, points at a distance."""

import html
import re

from django.db import connection
from django.utils import translation

from tests.web.helpers import ANTAKYA

# A valid T.C. kimlik no (both check digits right) and a phone number.
TC_VALID = "10000000146"
PHONE = "0532 123 45 17"


def call(**values):
    """The POST of the call form: a full, valid call at central Antakya."""
    data = {
        "category": "COP",
        "lat": str(ANTAKYA["lat"]),
        "lon": str(ANTAKYA["lon"]),
        "address_string": "Kurtuluş Cad. No:12 Antakya/Hatay",
        "description": "Konteyner taştı, çöp yola döküldü",
        "first_name": "Ayşe",
        "last_name": "Yılmaz",
        "phone": PHONE,
        "email": "ayse@example.com",
        "tc_kimlik_no": TC_VALID,
        "action": "save",
    }
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


def point_from(origin, metres, bearing_degrees=0):
    """The point ``metres`` from ``origin`` ({"lon", "lat"}) on the ground."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT ST_X(p::geometry), ST_Y(p::geometry) FROM (
                SELECT ST_Project(
                    ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography,
                    %s, radians(%s)) AS p
            ) q
            """,
            [origin["lon"], origin["lat"], metres, bearing_degrees],
        )
        lon, lat = cursor.fetchone()
    return {"lon": lon, "lat": lat}


def tr(message, **values):
    """``message`` (a lazy translation) in Turkish, with its values."""
    with translation.override("tr"):
        return str(message % values) if values else str(message)


def by_testid(page, name):
    """The text inside the first element with ``data-testid=name``, tags removed."""
    match = re.search(
        rf'data-testid="{name}"[^>]*>(.*?)</(?:div|td|p|span|h1|section)>',
        page,
        re.S,
    )
    assert match, f"no data-testid={name} in the page"
    text = html.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))
    return " ".join(text.split())
