"""What the staff map shows: request counts per district, newest requests.

A district's requests are counted two ways, because the two can differ and
the difference is worth seeing:

- *by location*: requests whose point the district covers (``ST_Covers``,
  so a point on the boundary counts). A point on an edge shared by two
  districts, or on an edge between two subdivided parts of one district, is
  counted once, for the covering district with the lowest official code
  (then name) — the tie-break ``boundaries.lookup`` uses for routing.
- *by owner*: requests whose owner body is that district's municipality
  (``Body.district_code`` equals the feature's code). A water fault in
  Antakya is in Antakya by location but owned by HATSU.

Example: a ``COP`` and an ``SU`` request at lon 36.1603, lat 36.2021 give
Antakya (2080) 2 by location and 1 by owner.

Counts read the subdivided parts of the layer's *active* generation in the
same statement, like every lookup, so a newly activated generation shows at
once. Outlines are simplified for display only (never for counting).
"""

import json
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Q
from django.db.models.functions import Left

from geopool.models import ServiceRequest
from geopool.visibility import VISIBLE_SQL

# Display-only simplification of district outlines, in degrees (~50 m here).
OUTLINE_TOLERANCE_DEG = 0.0005
# Decimal places of outline coordinates sent to the browser (~1 m).
OUTLINE_DECIMALS = 5
DESCRIPTION_CHARS = 100


@dataclass(frozen=True)
class DistrictCounts:
    feature_id: int
    name: str
    code: str
    by_location: int
    by_owner: int
    outline: dict  # GeoJSON geometry, 4326, simplified for display
    bounds: tuple  # (west, south, east, north) in degrees


@dataclass(frozen=True)
class LocatedTotals:
    with_location: int
    without_location: int


# Hand-written SQL: the ORM cannot express a spatial join with the parts as
# the driving side (so the GiST index on request locations serves each
# part's ST_Covers probe) plus DISTINCT ON for the edge tie-break.
_DISTRICTS_WITH_COUNTS = f"""
    WITH gen AS (
        SELECT g.id FROM boundaries_generation g
        JOIN boundaries_layer l ON l.id = g.layer_id
        WHERE l.code = %(layer)s AND g.is_active
    ),
    placed AS (
        SELECT DISTINCT ON (r.id) r.id AS request_id, f.id AS feature_id
        FROM boundaries_lookup p
        JOIN gen ON p.generation_id = gen.id
        JOIN boundaries_feature f ON f.id = p.feature_id
        JOIN geopool_servicerequest r ON ST_Covers(p.geometry, r.location)
        WHERE {VISIBLE_SQL}
        ORDER BY r.id, f.code, f.name
    ),
    by_location AS (
        SELECT feature_id, count(*) AS n FROM placed GROUP BY feature_id
    ),
    by_owner AS (
        SELECT b.district_code, count(*) AS n
        FROM geopool_servicerequest r
        JOIN geopool_body b ON b.id = r.owner_body_id
        WHERE b.district_code <> '' AND {VISIBLE_SQL}
        GROUP BY b.district_code
    )
    SELECT f.id, f.name, f.code,
           coalesce(bl.n, 0), coalesce(bo.n, 0),
           ST_AsGeoJSON(
               ST_SimplifyPreserveTopology(f.geometry, %(tolerance)s),
               %(decimals)s
           ),
           ST_XMin(f.geometry), ST_YMin(f.geometry),
           ST_XMax(f.geometry), ST_YMax(f.geometry)
    FROM boundaries_feature f
    JOIN gen ON f.generation_id = gen.id
    LEFT JOIN by_location bl ON bl.feature_id = f.id
    LEFT JOIN by_owner bo ON bo.district_code = f.code AND f.code <> ''
    ORDER BY f.name, f.code
"""


def districts_count_requests(layer, scope_body=None):
    """Return the active features of ``layer`` with their request counts.

    ``scope_body`` limits the counts to the requests that body may see
    (``geopool.visibility``); None counts all.

    Rows come in Turkish alphabetical order (the name column's ``tr-x-icu``
    collation); an unknown layer or one with no active generation gives [].
    """
    params = {
        "layer": layer,
        "tolerance": OUTLINE_TOLERANCE_DEG,
        "decimals": OUTLINE_DECIMALS,
        "scope_body": scope_body,
    }
    with connection.cursor() as cursor:
        cursor.execute(_DISTRICTS_WITH_COUNTS, params)
        rows = cursor.fetchall()
    return [
        DistrictCounts(
            feature_id=r[0],
            name=r[1],
            code=r[2],
            by_location=r[3],
            by_owner=r[4],
            outline=json.loads(r[5]),
            bounds=(r[6], r[7], r[8], r[9]),
        )
        for r in rows
    ]


def requests_count_located(requests=None):
    """Return how many of ``requests`` have a location and how many have none."""
    requests = ServiceRequest.objects.all() if requests is None else requests
    totals = requests.aggregate(
        with_location=Count("id", filter=Q(location__isnull=False)),
        without_location=Count("id", filter=Q(location__isnull=True)),
    )
    return LocatedTotals(**totals)


def requests_list_newest_located(limit, requests=None):
    """Return the ``limit`` newest requests that have a location, newest first.

    Each request carries ``description_head``: the first
    ``DESCRIPTION_CHARS`` characters of its description, plus one more when
    the text is longer (so callers can tell that it was cut).
    """
    requests = ServiceRequest.objects.all() if requests is None else requests
    return list(
        requests.filter(location__isnull=False)
        .select_related("category", "owner_body", "owner_department")
        .only(
            "tracking_code",
            "location",
            "status",
            "is_urgent",
            "requested_at",
            "category__name",
            "category__name_en",
            "owner_body__name",
            "owner_department__name",
        )
        .annotate(description_head=Left("description", DESCRIPTION_CHARS + 1))
        .order_by("-requested_at", "-id")[:limit]
    )
