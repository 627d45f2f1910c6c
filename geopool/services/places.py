"""Finding a place by name when a phone gives no position.

A field crew whose browser refuses geolocation types where they are. The
configured lookup answers (geopool's settings use the address geocoder,
``geocoding.places``); ``boundary_places`` looks the text up among the names
of the features of the active boundary layers (districts, and
neighbourhoods where a planner loaded them), folded the Turkish way
(``kirikhan`` finds ``Kırıkhan``), and answers a point inside each match.
That point is approximate (anywhere in a neighbourhood or a district), and
the answer says so.

The lookup is pluggable: ``settings.GEOPOOL_PLACE_LOOKUP`` names a function
``lookup(text, limit) -> [Place]`` (without the setting, this module's
``boundary_places``).
"""

from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import connection
from django.utils.module_loading import import_string

from geopool.text import fold

DEFAULT_LOOKUP = "geopool.services.places.boundary_places"
MIN_LETTERS = 2

_BOUNDARY_NAMES = """
    SELECT f.id, f.name, l.code, l.title
    FROM boundaries_feature f
    JOIN boundaries_generation g ON g.id = f.generation_id AND g.is_active
    JOIN boundaries_layer l ON l.id = g.layer_id AND l.is_boundary
"""
_POINTS = """
    SELECT f.id, ST_X(p), ST_Y(p) FROM (
        SELECT f.id, ST_PointOnSurface(f.geometry) AS p
        FROM boundaries_feature f WHERE f.id = ANY(%s)
    ) f
"""


@dataclass
class Place:
    label: str
    kind: str  # the layer's title: "İlçeler", "Mahalleler", ...
    lon: float
    lat: float
    # True: somewhere inside an area, not the address itself.
    approximate: bool = True

    def as_json(self):
        return asdict(self)


def place_lookup(text, limit=8):
    """The places matching ``text``, through the configured lookup."""
    name = getattr(settings, "GEOPOOL_PLACE_LOOKUP", "") or DEFAULT_LOOKUP
    return import_string(name)(text, limit)


def boundary_places(text, limit=8):
    """Boundary features whose folded name contains the folded ``text``.

    Names that start with the text come first, then shorter names.
    """
    key = fold(text)
    if len(key) < MIN_LETTERS:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_BOUNDARY_NAMES)
        rows = cursor.fetchall()
    hits = [
        (not fold(name).startswith(key), len(name), name, pk, title)
        for pk, name, _code, title in rows
        if key in fold(name)
    ]
    hits.sort()
    hits = hits[:limit]
    if not hits:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_POINTS, [[hit[3] for hit in hits]])
        points = {pk: (lon, lat) for pk, lon, lat in cursor.fetchall()}
    return [
        Place(label=name, kind=title, lon=points[pk][0], lat=points[pk][1])
        for _starts, _length, name, pk, title in hits
    ]
