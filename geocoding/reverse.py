"""Reverse geocoding: the district, neighbourhood and street of a point.

The district is the district layer's feature covering the point (lowest
code on a shared edge, as routing decides). The neighbourhood is the
neighbourhood polygon covering it; where the layer has none there, the
nearest neighbourhood of that district whose point was placed from known
data (not from the district alone), marked ``approximate`` with its
distance. The street is the nearest loaded street line within
``STREET_RADIUS_M``.
"""

from django.db import connection

from boundaries.errors import LayerError
from boundaries.lookup import covering_features
from geocoding.models import PLACEABLE, Neighbourhood
from geopool.models import Jurisdiction

STREET_RADIUS_M = 60
NEAREST_RADIUS_M = 5000


def _settings():
    jurisdiction = Jurisdiction.objects.order_by("id").first()
    return (jurisdiction.settings if jurisdiction else {}) or {}


def reverse_geocode(lon, lat):
    """Return ``{"district", "neighbourhood", "street"}`` for the point."""
    settings = _settings()
    geo = settings.get("geocoding", {})
    answer = {"lon": lon, "lat": lat, "district": None, "neighbourhood": None}
    answer["street"] = None
    try:
        districts = covering_features(
            settings.get("district_layer", "districts"), lon, lat
        )
    except LayerError:
        districts = []
    if not districts:
        return answer
    district = districts[0]
    answer["district"] = {"code": district.code, "name": district.name}
    nb = None
    for layer in geo.get("neighbourhood_layers", []):
        try:
            polygons = covering_features(layer, lon, lat)
        except LayerError:
            polygons = []
        ids = [p.feature_id for p in polygons]
        nb = Neighbourhood.objects.filter(feature_id__in=ids).first() if ids else None
        if nb is not None:
            answer["neighbourhood"] = {
                "code": nb.code,
                "name": nb.name,
                "approximate": False,
                "distance_m": 0.0,
            }
            break
    if nb is None:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT code, name,
                       ST_Distance(location::geography,
                                   ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography)
                FROM geocoding_neighbourhood
                WHERE district_code = %s AND location_source = ANY(%s)
                  AND feature_id IS NULL
                ORDER BY location <-> ST_SetSRID(ST_MakePoint(%s, %s), 4326)
                LIMIT 1
                """,
                [lon, lat, district.code, [str(s) for s in PLACEABLE], lon, lat],
            )
            row = cursor.fetchone()
        if row and row[2] <= NEAREST_RADIUS_M:
            answer["neighbourhood"] = {
                "code": row[0],
                "name": row[1],
                "approximate": True,
                "distance_m": round(row[2], 1),
            }
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT s.code, s.name, n.name,
                   ST_Distance(s.geometry::geography, p.g::geography) AS d
            FROM geocoding_street s
            JOIN geocoding_neighbourhood n ON n.id = s.neighbourhood_id
            CROSS JOIN (SELECT ST_SetSRID(ST_MakePoint(%s, %s), 4326) AS g) p
            WHERE s.geometry IS NOT NULL
              AND ST_DWithin(s.geometry::geography, p.g::geography, %s)
            ORDER BY d LIMIT 1
            """,
            [lon, lat, STREET_RADIUS_M],
        )
        row = cursor.fetchone()
    if row:
        answer["street"] = {
            "code": row[0],
            "name": row[1],
            "neighbourhood": row[2],
            "distance_m": round(row[3], 1),
        }
    return answer
