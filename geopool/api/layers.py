"""Layers for staff and systems: the list, their features, point lookups.

Boundary data is public, so these need no API key. Features always come
from a layer's *active* generation, read in the same statement that finds
it, so a newly activated generation is served at once.

``features.geojson`` is RFC 7946 GeoJSON: WGS 84 longitude, latitude (the
storage SRID already), polygons with counterclockwise exterior rings
(``ST_ForcePolygonCCW``), and every coordinate written with a decimal point
(``36.0``, never ``36``) for clients that tell integers from decimals.
"""

import json
import re

from django.db import connection
from django.db.models import Prefetch
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from boundaries.errors import UnknownLayer
from boundaries.lookup import covering_features
from boundaries.models import Generation, Layer
from geopool.api.params import ParameterError, coordinate
from geopool.spatial import STORAGE_SRID

GEOJSON = "application/geo+json"
# Features returned at once; a larger answer needs a bbox.
FEATURES_LIMIT = 10_000
# 7 decimals of a degree are about 1 cm on the ground.
COORDINATE_DECIMALS = 7
BBOX_EXAMPLE = "bbox=36.10,36.15,36.25,36.25"
_DECIMAL = re.compile(r"-?\d+(\.\d+)?")

_FEATURES = f"""
    SELECT f.name, f.code, f.attributes,
           ST_AsGeoJSON(ST_ForcePolygonCCW(f.geometry), %(decimals)s)
    FROM boundaries_feature f
    WHERE f.generation_id = %(generation)s
      AND (%(west)s::float8 IS NULL OR ST_Intersects(
          f.geometry,
          ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s, {STORAGE_SRID})))
    ORDER BY f.name, f.id
    LIMIT %(limit)s
"""


@require_GET
def layers_index(request):
    """``GET /api/layers/``: every layer and its active generation, if any."""
    active = Generation.objects.filter(is_active=True)
    layers = Layer.objects.prefetch_related(
        Prefetch("generations", queryset=active, to_attr="active")
    ).order_by("code")
    return JsonResponse(
        {"layers": [_layer_json(layer) for layer in layers]},
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
def features(request, layer):
    """``GET /api/layers/<layer>/features.geojson[?bbox=w,s,e,n]``.

    The active generation's features as a FeatureCollection; at most
    ``FEATURES_LIMIT``, else 400 asking for a (smaller) bbox.
    """
    try:
        bbox = _bbox(request.GET)
    except ParameterError as exc:
        return JsonResponse({"error": str(exc), "field": exc.field}, status=400)
    found = Layer.objects.filter(code=layer).first()
    if found is None:
        return JsonResponse({"error": f"no layer {layer!r}"}, status=404)
    generation = found.generations.filter(is_active=True).first()
    if generation is None:
        return JsonResponse(
            {
                "error": f"layer {layer} has no active generation yet: a planner "
                "imports a file and activates it"
            },
            status=404,
        )

    rows = _feature_rows(generation.pk, bbox)
    if len(rows) > FEATURES_LIMIT:
        where = "in this bbox" if bbox else "in all"
        return JsonResponse(
            {
                "error": f"layer {layer} has more than {FEATURES_LIMIT} features "
                f"{where}; ask for a smaller area with ?{BBOX_EXAMPLE} "
                "(west,south,east,north in degrees)",
                "field": "bbox",
            },
            status=400,
        )
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "name": name,
                    "code": code,
                    "attributes": attributes,
                    "generation": generation.number,
                },
            }
            for name, code, attributes, geometry in rows
        ],
    }
    return HttpResponse(
        json.dumps(collection, ensure_ascii=False), content_type=GEOJSON
    )


@require_GET
def covering(request, layer):
    """``GET /api/layers/<layer>/covering?lon=&lat=``: the active features there.

    Like MapIt's point lookup: every feature of the layer's active generation
    that covers the point (a point on a shared edge gets both).
    """
    try:
        lon = coordinate(request.GET, "lon", -180, 180)
        lat = coordinate(request.GET, "lat", -90, 90)
        hits = covering_features(layer, lon, lat)
    except ParameterError as exc:
        return JsonResponse({"error": str(exc), "field": exc.field}, status=400)
    except UnknownLayer as exc:
        return JsonResponse({"error": str(exc)}, status=404)
    return JsonResponse(
        {
            "layer": layer,
            "lon": lon,
            "lat": lat,
            "features": [
                {"name": h.name, "code": h.code, "generation": h.generation}
                for h in hits
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )


def _layer_json(layer):
    active = layer.active[0] if layer.active else None
    return {
        "code": layer.code,
        "title": layer.title,
        "geometry_kind": layer.geometry_kind,
        "is_boundary": layer.is_boundary,
        "is_illustrative": layer.is_illustrative,
        "attribution": layer.attribution,
        "active_generation": None
        if active is None
        else {
            "number": active.number,
            "feature_count": active.feature_count,
            "source_file": active.source_file,
            "source_crs": active.source_crs,
            "activated_at": (
                active.activated_at.isoformat() if active.activated_at else None
            ),
        },
    }


def _bbox(params):
    """Read ``bbox=west,south,east,north`` (degrees) from ``params``, or None."""
    raw = (params.get("bbox") or "").strip()
    if not raw:
        return None
    parts = [p.strip() for p in raw.split(",")]
    if len(parts) != 4 or not all(_DECIMAL.fullmatch(p) for p in parts):
        raise ParameterError(
            "bbox",
            f"bbox={raw!r} is not valid; expected four numbers in degrees, "
            "west,south,east,north, with a decimal point (not a comma) before "
            f"any decimals, e.g. {BBOX_EXAMPLE}",
        )
    west, south, east, north = (float(p) for p in parts)
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ParameterError(
            "bbox",
            f"bbox={raw!r} is out of range; expected west < east within -180 to "
            f"180 and south < north within -90 to 90, e.g. {BBOX_EXAMPLE}",
        )
    return west, south, east, north


def _feature_rows(generation_id, bbox):
    """``(name, code, attributes, geometry)`` rows; one more than the limit."""
    west, south, east, north = bbox or (None, None, None, None)
    params = {
        "generation": generation_id,
        "decimals": COORDINATE_DECIMALS,
        "west": west,
        "south": south,
        "east": east,
        "north": north,
        "limit": FEATURES_LIMIT + 1,
    }
    with connection.cursor() as cursor:
        cursor.execute(_FEATURES, params)
        rows = cursor.fetchall()
    return [
        (
            name,
            code,
            json.loads(attributes) if isinstance(attributes, str) else attributes,
            # parse_int=float: ST_AsGeoJSON writes 36.0 as 36.
            json.loads(geometry, parse_int=float),
        )
        for name, code, attributes, geometry in rows
    ]
