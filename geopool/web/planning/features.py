"""A generation's features for the preview map: simplified, and not too many.

Outlines are simplified for display only (``ST_SimplifyPreserveTopology``,
0.0002° ≈ 20 m here); the stored geometry is never touched. At most
``DISPLAY_LIMIT`` features are drawn, in name order, and the page says how
many of how many (a 5,000-feature layer draws in about a second).
"""

import json
from dataclasses import dataclass

from django.db import connection

DISPLAY_TOLERANCE_DEG = 0.0002
DISPLAY_DECIMALS = 6
DISPLAY_LIMIT = 5000

_FEATURES = """
    SELECT name, code,
           ST_AsGeoJSON(ST_SimplifyPreserveTopology(geometry, %(tolerance)s),
                        %(decimals)s)
    FROM boundaries_feature WHERE generation_id = %(generation)s
    ORDER BY name, id LIMIT %(limit)s
"""
_TOTALS = """
    SELECT n, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (
        SELECT count(*) AS n, ST_Extent(geometry) AS e
        FROM boundaries_feature WHERE generation_id = %(generation)s
    ) x
"""


@dataclass(frozen=True)
class DisplayFeatures:
    rows: list  # (name, code, GeoJSON geometry dict)
    total: int
    bounds: tuple | None  # (west, south, east, north) in degrees

    @property
    def shown(self):
        return len(self.rows)


def features_for_display(generation_id, limit=None):
    """Return the DisplayFeatures of generation ``generation_id``."""
    params = {
        "generation": generation_id,
        "tolerance": DISPLAY_TOLERANCE_DEG,
        "decimals": DISPLAY_DECIMALS,
        "limit": limit or DISPLAY_LIMIT,
    }
    with connection.cursor() as cursor:
        cursor.execute(_FEATURES, params)
        rows = [(n, c, json.loads(g)) for n, c, g in cursor.fetchall()]
        cursor.execute(_TOTALS, params)
        total, *bounds = cursor.fetchone()
    return DisplayFeatures(rows, total, tuple(bounds) if total else None)
