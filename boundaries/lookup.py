"""Point lookups against the active generation of a layer.

Boundary semantics, chosen on purpose: a point is *covered* by a polygon when
it lies inside it or on its boundary (``ST_Covers``), so a point on an edge
shared by two districts is covered by both and *contained* by neither. A
lookup therefore returns every covering feature, and callers that need one
owner use ``nearest_features``' tie-break: the covering feature with the
lowest official code (text order, then name) wins, and the point is flagged
as lying on an edge.

Lookups read the view ``boundaries_lookup`` (small features and the parts
of large ones, see ``boundaries.models``) and always join the
layer's active generation in the same statement, so a generation activated by
another process is seen at once without any cache.
"""

import math
from dataclasses import dataclass

from django.db import connection

from boundaries.errors import NoActiveGeneration, UnknownLayer
from boundaries.models import Layer
from geopool.spatial import STORAGE_SRID


@dataclass(frozen=True)
class FeatureHit:
    feature_id: int
    name: str
    code: str
    generation: int
    covers: bool
    distance_m: float


_ACTIVE = """
    SELECT g.id, g.number FROM boundaries_generation g
    JOIN boundaries_layer l ON l.id = g.layer_id
    WHERE l.code = %(layer)s AND g.is_active
"""

_COVERING = f"""
    WITH gen AS ({_ACTIVE})
    SELECT DISTINCT f.id, f.name, f.code, gen.number
    FROM boundaries_lookup p
    JOIN gen ON p.generation_id = gen.id
    JOIN boundaries_feature f ON f.id = p.feature_id
    WHERE ST_Covers(p.geometry,
                    ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), {STORAGE_SRID}))
    ORDER BY f.code, f.name
"""

# Distances on the spheroid (geography). The geometry GiST index serves the
# search through a box around the point grown by the radius in degrees (see
# ``degree_box``); ST_DWithin on geography then keeps exactly the features
# within the radius in metres. The nearest part decides a feature's distance.
_NEAREST = f"""
    WITH gen AS ({_ACTIVE}),
         pt AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s),
                                  {STORAGE_SRID}) AS g)
    SELECT f.id, f.name, f.code, gen.number,
           min(ST_Distance(p.geometry::geography, pt.g::geography)) AS distance_m
    FROM boundaries_lookup p
    JOIN gen ON p.generation_id = gen.id
    JOIN boundaries_feature f ON f.id = p.feature_id
    CROSS JOIN pt
    WHERE p.geometry && ST_Expand(pt.g, %(dlon)s, %(dlat)s)
      AND ST_DWithin(p.geometry::geography, pt.g::geography, %(radius)s)
    GROUP BY f.id, f.name, f.code, gen.number
    ORDER BY distance_m, f.code, f.name
    LIMIT %(limit)s
"""


# Shortest length of a degree on WGS 84: of latitude (at the equator) and of
# longitude at the equator; with a 1 % margin the box always contains the
# circle of the radius.
METRES_PER_DEGREE_LAT = 110_574.0
METRES_PER_DEGREE_LON = 111_320.0
BOX_MARGIN = 1.01


def degree_box(lat, radius_m):
    """Half-width and half-height in degrees of a box holding a radius at lat.

    At Antakya (36.2°N) 25 m is about 0.00028° of longitude and 0.00023° of
    latitude; the box is grown by 1 % so the circle always fits inside.
    """
    dlat = radius_m / METRES_PER_DEGREE_LAT * BOX_MARGIN
    edge = min(abs(lat) + dlat, 89.9)
    dlon = radius_m / (METRES_PER_DEGREE_LON * math.cos(math.radians(edge)))
    return min(dlon * BOX_MARGIN, 180.0), dlat


def active_generation_number(layer):
    with connection.cursor() as cursor:
        cursor.execute(_ACTIVE, {"layer": layer})
        row = cursor.fetchone()
    return row[1] if row else None


def covering_features(layer, lon, lat):
    """Return the active features of ``layer`` covering (lon, lat), lowest code first.

    Raises UnknownLayer when no such layer exists.
    """
    if active_generation_number(layer) is None:
        if not Layer.objects.filter(code=layer).exists():
            raise UnknownLayer(f"no layer {layer!r}")
        raise NoActiveGeneration(f"layer {layer!r} has no active generation yet")
    with connection.cursor() as cursor:
        cursor.execute(_COVERING, {"layer": layer, "lon": lon, "lat": lat})
        rows = cursor.fetchall()
    return [FeatureHit(r[0], r[1], r[2], r[3], True, 0.0) for r in rows]


def nearest_features(layer, lon, lat, radius_m, limit=3):
    """Return features of ``layer`` within ``radius_m`` of (lon, lat), nearest first.

    Covering features come first with distance 0, in tie-break order.
    """
    covering = covering_features(layer, lon, lat)
    if covering:
        return covering
    dlon, dlat = degree_box(lat, radius_m)
    params = {"layer": layer, "lon": lon, "lat": lat, "radius": radius_m}
    with connection.cursor() as cursor:
        cursor.execute(_NEAREST, params | {"dlon": dlon, "dlat": dlat, "limit": limit})
        rows = cursor.fetchall()
    return [FeatureHit(r[0], r[1], r[2], r[3], False, float(r[4])) for r in rows]
