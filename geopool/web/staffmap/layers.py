"""The layers staff can switch on over the map: every active generation.

Districts, neighbourhoods (where a planner has loaded them) and the
infrastructure layers (roads, parks, …) are served as GeoJSON with each
feature's name and code only, outlines simplified for display. The browser
shows those texts with ``textContent``, never as HTML.
"""

import json

from django.db import connection

from boundaries.models import Generation

# Display-only simplification, in degrees: ~50 m for boundaries (whole
# districts on screen), ~10 m for networks and parks.
SIMPLIFY_DEG = {True: 0.0005, False: 0.0001}
COORD_DECIMALS = 5
# More features than this are cut (a planner's 50k-road layer would make a
# 10 MB answer); the answer says so.
FEATURE_LIMIT = 5000

_FEATURES = """
    SELECT f.name, f.code,
           ST_AsGeoJSON(ST_SimplifyPreserveTopology(f.geometry, %s), %s)
    FROM boundaries_feature f
    WHERE f.generation_id = %s
    ORDER BY f.id
    LIMIT %s
"""


def layers_active():
    """``[{code, title, kind, attribution, features}]`` of the active layers.

    Boundary layers (districts, neighbourhoods) first, then by title.
    """
    generations = (
        Generation.objects.filter(is_active=True)
        .select_related("layer")
        .order_by("-layer__is_boundary", "layer__title")
    )
    return [
        {
            "code": g.layer.code,
            "title": g.layer.title,
            "kind": g.layer.geometry_kind,
            "boundary": g.layer.is_boundary,
            "attribution": g.layer.attribution,
            "features": g.feature_count,
        }
        for g in generations
    ]


def layer_geojson(code):
    """The active features of layer ``code`` as a FeatureCollection, or None."""
    generation = (
        Generation.objects.filter(layer__code=code, is_active=True)
        .values_list("id", "layer__is_boundary")
        .first()
    )
    if generation is None:
        return None
    generation_id, boundary = generation
    params = [SIMPLIFY_DEG[boundary], COORD_DECIMALS, generation_id, FEATURE_LIMIT + 1]
    with connection.cursor() as cursor:
        cursor.execute(_FEATURES, params)
        rows = cursor.fetchall()
    return {
        "type": "FeatureCollection",
        "truncated": len(rows) > FEATURE_LIMIT,
        "features": [
            {
                "type": "Feature",
                "geometry": json.loads(geometry),
                "properties": {"name": name, "code": code},
            }
            for name, code, geometry in rows[:FEATURE_LIMIT]
        ],
    }


def layer_bounds(code):
    """``[west, south, east, north]`` of layer ``code``'s active features, or None.

    The map's first view: sent with the page, so the browser need not wait
    for the outlines to know where to look.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
            FROM (
                SELECT ST_Extent(f.geometry) AS e
                FROM boundaries_feature f
                JOIN boundaries_generation g ON g.id = f.generation_id
                JOIN boundaries_layer l ON l.id = g.layer_id
                WHERE l.code = %s AND g.is_active
            ) extent
            WHERE e IS NOT NULL
            """,
            [code],
        )
        row = cursor.fetchone()
    return [round(v, COORD_DECIMALS) for v in row] if row else None
