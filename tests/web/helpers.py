"""Small builders shared by the web tests: requests at known places."""

from django.db import connection

from geopool.models import Category
from geopool.services.intake import Intake, request_create

# Central Antakya: in Antakya (2080), far from every district edge.
ANTAKYA = {"lon": 36.1603, "lat": 36.2021}


def request_at(category, lon=None, lat=None, description="", requested_at=None):
    """Create and route one request of ``category`` (a code) at (lon, lat)."""
    intake = Intake(
        category=Category.objects.get(code=category),
        channel="phone",
        lon=lon,
        lat=lat,
        location_source="given" if lon is not None else "",
        description=description,
        requested_at=requested_at,
    )
    return request_create(intake).request


def point_inside(district_name):
    """Return {"lon", "lat"} of a point well inside an active district."""
    return _point(
        """
        SELECT ST_X(p), ST_Y(p) FROM (
            SELECT ST_PointOnSurface(f.geometry) AS p
            FROM boundaries_feature f
            JOIN boundaries_generation g ON g.id = f.generation_id
            WHERE g.is_active AND f.name = %s
        ) q
        """,
        [district_name],
    )


def point_offshore(metres):
    """Return a point ``metres`` west of the province's westernmost point."""
    return _point(
        """
        WITH edge AS (
            SELECT (ST_DumpPoints(f.geometry)).geom AS p
            FROM boundaries_feature f
            JOIN boundaries_generation g ON g.id = f.generation_id
            WHERE g.is_active
        ),
        west AS (SELECT p FROM edge ORDER BY ST_X(p) LIMIT 1)
        SELECT ST_X(q), ST_Y(q) FROM (
            SELECT ST_Project(p::geography, %s, radians(270))::geometry AS q
            FROM west
        ) moved
        """,
        [metres],
    )


def _point(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        lon, lat = cursor.fetchone()
    return {"lon": lon, "lat": lat}


def points_on_shared_edge(first, second):
    """Return vertices of the edge two active districts share."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT ST_X(d.geom), ST_Y(d.geom) FROM (
                SELECT (ST_DumpPoints(ST_Intersection(a.geometry, b.geometry))).*
                FROM boundaries_feature a
                JOIN boundaries_feature b ON b.generation_id = a.generation_id
                JOIN boundaries_generation g ON g.id = a.generation_id
                WHERE g.is_active AND a.name = %s AND b.name = %s
            ) d
            LIMIT 50
            """,
            [first, second],
        )
        return [{"lon": lon, "lat": lat} for lon, lat in cursor.fetchall()]


def in_menu(make_staff, role, link):
    """Whether the menu of a ``role`` user's page holds ``link`` (its HTML)."""
    from django.test import Client

    client = Client()
    client.force_login(make_staff(role, username=f"menu-{role}"))
    return link in client.get("/map/").content.decode()
