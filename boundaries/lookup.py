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

# Distances on the spheroid (geography), served by the expression index on
# geometry::geography; the nearest part decides a feature's distance.
_NEAREST = f"""
    WITH gen AS ({_ACTIVE}),
         pt AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s),
                                  {STORAGE_SRID})::geography AS g)
    SELECT f.id, f.name, f.code, gen.number,
           min(ST_Distance(p.geometry::geography, pt.g)) AS distance_m
    FROM boundaries_lookup p
    JOIN gen ON p.generation_id = gen.id
    JOIN boundaries_feature f ON f.id = p.feature_id
    CROSS JOIN pt
    WHERE ST_DWithin(p.geometry::geography, pt.g, %(radius)s)
    GROUP BY f.id, f.name, f.code, gen.number
    ORDER BY distance_m, f.code, f.name
    LIMIT %(limit)s
"""


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
    with connection.cursor() as cursor:
        cursor.execute(
            _NEAREST,
            {
                "layer": layer,
                "lon": lon,
                "lat": lat,
                "radius": radius_m,
                "limit": limit,
            },
        )
        rows = cursor.fetchall()
    return [FeatureHit(r[0], r[1], r[2], r[3], False, float(r[4])) for r in rows]
