"""Where a request lies, for its page: the point, the district, the feature
that decided its owner, and the open requests nearby.

- The district is where the point lies on the active district layer
  (lowest code on a shared edge), whoever owns the request now.
- The deciding feature comes from the stored decision: the candidate of the
  rule that decided (layer, feature, code and distance in metres, as the
  engine measured them), or for a rule that places by district, the
  district that covered the point. Its geometry is read from the layer
  generation the decision consulted (``Decision.generations``), so the
  page draws what the decision saw even after a newer generation went
  live; a feature that generation no longer holds is named, not drawn.
- Nearby: open requests within ``NEARBY_RADIUS_M`` that the user may see
  (``geopool.visibility``), nearest first, in metres on the ground.

Everything goes to the page's script as JSON numbers and plain strings
(``json_script``); the script puts strings in as text.
"""

import json

from django.conf import settings
from django.db import connection
from django.urls import reverse

from boundaries.errors import UnknownLayer
from boundaries.lookup import covering_features
from boundaries.models import Layer
from geopool.models import Jurisdiction, ServiceRequest, Status
from geopool.services.nearby import NearbyScope, tickets_nearby
from geopool.visibility import requests_visible_to

NEARBY_RADIUS_M = 500
NEARBY_SHOWN = 10
# Polygons are simplified for the page (about 5 m at this latitude).
SIMPLIFY_DEGREES = 0.00005

_FEATURE_GEOMETRY = """
    SELECT ST_AsGeoJSON(
        CASE WHEN GeometryType(f.geometry) LIKE '%%POLYGON'
             THEN ST_SimplifyPreserveTopology(f.geometry, %(tolerance)s)
             ELSE f.geometry END, 6)
    FROM boundaries_feature f
    JOIN boundaries_generation g ON g.id = f.generation_id
    JOIN boundaries_layer l ON l.id = g.layer_id
    WHERE l.code = %(layer)s AND g.number = %(generation)s
      AND (CASE WHEN %(code)s <> '' THEN f.code = %(code)s ELSE f.name = %(name)s END)
    ORDER BY f.id
    LIMIT 1
"""


def _district_layer():
    jurisdiction = Jurisdiction.objects.order_by("id").first()
    return (jurisdiction.settings if jurisdiction else {}).get("district_layer", "")


def _district(lon, lat):
    layer = _district_layer()
    if not layer:
        return None
    try:
        hits = covering_features(layer, lon, lat)
    except UnknownLayer:  # also a layer with no active generation yet
        return None
    return {"name": hits[0].name, "code": hits[0].code} if hits else None


def deciding_candidate(decision):
    """The candidate that decided ``decision``, or None."""
    if decision is None:
        return None
    candidates = decision.candidates or []
    if decision.rule_code:
        for candidate in candidates:
            if candidate.get("rule") == decision.rule_code:
                return candidate
    # Rules that place by district have the covering district as candidate.
    for candidate in candidates:
        if candidate.get("covers"):
            return candidate
    return None


def _geometry(candidate, decision):
    generation = (decision.generations or {}).get(candidate.get("layer"))
    if generation is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            _FEATURE_GEOMETRY,
            {
                "tolerance": SIMPLIFY_DEGREES,
                "layer": candidate["layer"],
                "generation": generation,
                "code": candidate.get("code") or "",
                "name": candidate.get("feature") or "",
            },
        )
        row = cursor.fetchone()
    # parse_int=float: ST_AsGeoJSON writes 36.0 as 36.
    return json.loads(row[0], parse_int=float) if row else None


def _deciding(decision):
    candidate = deciding_candidate(decision)
    if candidate is None:
        return None
    layer = Layer.objects.filter(code=candidate.get("layer")).first()
    return {
        "layer": candidate.get("layer"),
        "layer_title": layer.title if layer else candidate.get("layer"),
        "feature": candidate.get("feature") or "",
        "code": candidate.get("code") or "",
        "distance_m": float(candidate.get("distance_m") or 0.0),
        "covers": bool(candidate.get("covers")),
        "generation": (decision.generations or {}).get(candidate.get("layer")),
        "geometry": _geometry(candidate, decision),
    }


def _nearby(user, item):
    lon, lat = item.location.x, item.location.y
    found = tickets_nearby(
        lon, lat, NearbyScope(), radius_m=NEARBY_RADIUS_M, limit=NEARBY_SHOWN * 3
    )
    found = [t for t in found if t.request.pk != item.pk]
    visible = set(
        requests_visible_to(
            user, ServiceRequest.objects.filter(pk__in=[t.request.pk for t in found])
        ).values_list("pk", flat=True)
    )
    return [
        {
            "tracking_code": t.request.tracking_code,
            "category": t.request.category.name,
            "status": str(Status(t.request.status).label),
            "distance_m": t.distance_m,
            "lon": t.request.location.x,
            "lat": t.request.location.y,
            "url": reverse("requestpages:detail", args=[t.request.tracking_code]),
        }
        for t in found
        if t.request.pk in visible
    ][:NEARBY_SHOWN]


def place_map(user, item, decision):
    """What the page's map section shows; None for a request with no location."""
    if item.location is None:
        return None
    lon, lat = item.location.x, item.location.y
    return {
        "lon": lon,
        "lat": lat,
        "code": item.tracking_code,
        "district": _district(lon, lat),
        "deciding": _deciding(decision),
        "nearby": _nearby(user, item),
        "nearby_radius_m": NEARBY_RADIUS_M,
        "tile_url": settings.GEOPOOL_TILE_URL,
        "tile_attribution": settings.GEOPOOL_TILE_ATTRIBUTION,
    }
