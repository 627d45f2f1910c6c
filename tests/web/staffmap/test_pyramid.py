"""The stored bin counts: kept by PostgreSQL, equal to counting the requests."""

import math
import random

import pytest
from django.db import connection

from geopool.models import ServiceRequest
from geopool.services.jobs import run_due_jobs
from geopool.web.staffmap import bins, pyramid
from tests.web.helpers import ANTAKYA, request_at

pytestmark = pytest.mark.django_db

PROVINCE = {"bbox": "35.7,35.7,36.8,37.1", "zoom": "9"}


def _clone(template, points, prefix="PYR"):
    """Store a copy of ``template`` at each (lon, lat) of ``points``, in SQL."""
    columns = [
        f.column
        for f in ServiceRequest._meta.concrete_fields
        if f.column not in ("id", "tracking_code", "location")
    ]
    listed = ", ".join(columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO geopool_servicerequest ({listed}, tracking_code, location)
            SELECT {listed}, %s || p.n,
                   ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)
            FROM geopool_servicerequest,
                 unnest(%s::float8[], %s::float8[]) WITH ORDINALITY
                 AS p (lon, lat, n)
            WHERE id = %s
            """,
            [prefix, [p[0] for p in points], [p[1] for p in points], template.pk],
        )


def _points(rng, n):
    """Around Antakya's centre (dense) and over the province (sparse)."""
    out = []
    for _ in range(n):
        if rng.random() < 0.6:
            out.append((rng.gauss(36.16, 0.03), rng.gauss(36.20, 0.03)))
        else:
            out.append((rng.uniform(35.8, 36.6), rng.uniform(35.8, 37.0)))
    return out


def _views(rng):
    views = [bins.viewport_parse(PROVINCE["bbox"], PROVINCE["zoom"])]
    for _ in range(40):
        zoom = rng.randint(5, 16)
        span = 360 / 2**zoom * rng.uniform(1.5, 5)
        west = rng.uniform(35.8, 36.3)
        south = rng.uniform(35.9, 36.5)
        views.append(bins.Viewport(west, south, west + span * 1.4, south + span, zoom))
    # Edges through the dense centre, at the finest stored level and above.
    views += [
        bins.Viewport(36.15, 36.19, 36.171, 36.2105, 14),
        bins.Viewport(36.1, 36.15, 36.2, 36.25, 13),
        bins.Viewport(36.1, 36.15, 36.2, 36.25, 15),
    ]
    return views


def _sorted(answer):
    return {**answer, "bins": sorted(map(tuple, answer["bins"]))}


def _assert_equal_to_counting(views):
    everything = ServiceRequest.objects.filter(location__isnull=False)
    for view in views:
        visible = bins.in_view(everything, view)
        counted = bins.bins_count(visible, view)
        stored = pyramid.bins_count(visible, view)
        assert _sorted(stored) == _sorted(counted), view


def _rows():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), coalesce(sum(n), 0) FROM geopool_mapbin")
        return cursor.fetchone()


def test_the_stored_levels_have_the_bin_sides_of_their_zoom():
    with connection.cursor() as cursor:
        cursor.execute("SELECT level, size_m FROM geopool_mapbin_level ORDER BY 1")
        stored = cursor.fetchall()

    assert [level for level, _ in stored] == list(pyramid.LEVELS)
    for level, size in stored:
        # Exactly: a stored bin must roll up into the bins the map asks for.
        assert size == bins.Viewport(0, 0, 1, 1, level).cell_m
    assert dict(stored)[14] == pytest.approx(305.748, abs=0.001)


def test_stored_bins_equal_counting_the_requests_through_moves_and_deletes():
    rng = random.Random(2026)
    template = request_at("COP", **ANTAKYA)
    _clone(template, _points(rng, 600))
    views = _views(rng)

    _assert_equal_to_counting(views)

    # Points move, some beyond what the map draws and back; some go.
    moved = list(
        ServiceRequest.objects.filter(tracking_code__startswith="PYR")
        .order_by("id")
        .values_list("id", flat=True)
    )
    for pk, (lon, lat) in zip(moved[:150], _points(rng, 150), strict=True):
        ServiceRequest.objects.filter(pk=pk).update(
            location=f"SRID=4326;POINT({lon} {lat})"
        )
    ServiceRequest.objects.filter(pk__in=moved[150:170]).update(
        location="SRID=4326;POINT(36.16 89.5)"
    )
    ServiceRequest.objects.filter(pk__in=moved[160:165]).update(
        location="SRID=4326;POINT(36.16 36.2)"
    )
    ServiceRequest.objects.filter(pk__in=moved[170:180]).update(location=None)
    ServiceRequest.objects.filter(pk__in=moved[180:260]).delete()

    _assert_equal_to_counting(views)
    drawn = ServiceRequest.objects.extra(where=["web_x IS NOT NULL"]).count()
    assert drawn == 601 - 15 - 10 - 80
    assert _rows()[1] == drawn * len(pyramid.LEVELS)


def test_run_due_jobs_merges_each_bins_rows_keeping_the_counts():
    template = request_at("COP", **ANTAKYA)
    for k in range(3):
        _clone(template, [(36.1603, 36.2021), (36.17, 36.21)], prefix=f"PYR{k}-")
    rows_before, total_before = _rows()

    done = run_due_jobs()

    rows_after, total_after = _rows()
    assert total_after == total_before == 7 * len(pyramid.LEVELS)
    assert rows_before > rows_after
    assert done["map_bin_rows_merged"] == rows_before - rows_after
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM geopool_mapbin"
            " GROUP BY level, i, j HAVING count(*) > 1) q"
        )
        assert cursor.fetchone() == (0,)
    _assert_equal_to_counting(_views(random.Random(7)))
    assert run_due_jobs()["map_bin_rows_merged"] == 0


def test_truncating_the_requests_empties_the_stored_bins():
    request_at("COP", **ANTAKYA)
    assert _rows()[1] == len(pyramid.LEVELS)

    with connection.cursor() as cursor:
        # The test's transaction holds deferred foreign-key checks.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE geopool_servicerequest CASCADE")

    assert _rows() == (0, 0)


def test_the_map_reads_stored_bins_only_for_every_request(
    client, make_staff, monkeypatch
):
    monkeypatch.setattr(bins, "MARKER_LIMIT", 0)
    request_at("COP", **ANTAKYA)
    request_at("YOL-BAKIM", **ANTAKYA)
    served = []
    stored = pyramid.bins_count

    def spy(requests, view):
        served.append(view.zoom)
        return stored(requests, view)

    monkeypatch.setattr(pyramid, "bins_count", spy)
    client.force_login(make_staff("coordinator", body="HBB"))

    every = client.get("/map/data/view/", PROVINCE).json()
    waste = client.get("/map/data/view/", {**PROVINCE, "category": "COP"}).json()
    client.force_login(make_staff("body_staff", body="KGM"))
    agency = client.get("/map/data/view/", PROVINCE).json()

    assert (every["total"], waste["total"], agency["total"]) == (2, 1, 0)
    assert served == [9]


def test_map_bins_rebuild_counts_every_request_again_after_drift():
    from io import StringIO

    from django.core.management import call_command

    template = request_at("COP", **ANTAKYA)
    _clone(template, _points(random.Random(3), 200))
    with connection.cursor() as cursor:
        # Rows loaded with the triggers off, and a stray count.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE geopool_servicerequest DISABLE TRIGGER USER")
        _clone(template, _points(random.Random(4), 50), prefix="OFF")
        cursor.execute("ALTER TABLE geopool_servicerequest ENABLE TRIGGER USER")
        cursor.execute("INSERT INTO geopool_mapbin VALUES (10, 1, 1, 7)")
    out = StringIO()

    call_command("map_bins_rebuild", stdout=out)

    assert _rows()[1] == 251 * len(pyramid.LEVELS)
    assert out.getvalue().endswith("rows for 251 requests on the map\n")
    _assert_equal_to_counting(_views(random.Random(5)))


def _near_edges(rng, n):
    """Points a few floating-point steps either side of level 14's bin edges.

    An edge x = i · size is reached from a longitude by web_x = R · (lon ·
    π/180); the longitude is that inverted, then stepped by ulps, so the
    products land on both sides of the edge (and on it), as they do for a
    real point one time in billions. The same for rows through web_y.
    """
    size = pyramid.size_m(pyramid.LEVELS[-1])
    radius = bins.EARTH_RADIUS_M
    out = []
    for _ in range(n):
        i = math.floor(bins.mercator_x(rng.uniform(35.8, 36.6)) / size)
        j = math.floor(bins.mercator_y(rng.uniform(35.8, 37.0)) / size)
        lon = math.degrees(i * size / radius)
        lat = math.degrees(2 * math.atan(math.exp(j * size / radius)) - math.pi / 2)
        for step in range(-3, 4):
            out.append((lon + step * math.ulp(lon), lat))
            out.append((lon, lat + step * math.ulp(lat)))
    return out


def test_counts_of_points_in_memory_equal_what_postgresql_counts():
    """A history import counts its rows' bins in Python: bin for bin the
    triggers' (PostgreSQL's) counts, at random points, at points on and
    beside the bins' edges, and where Web Mercator ends."""
    template = request_at("COP", **ANTAKYA)
    rng = random.Random(11)
    points = _points(rng, 3000) + _near_edges(rng, 300)
    limit = bins.MERCATOR_MAX_LAT
    points += [(180.0, limit), (-180.0, -limit), (180.0000001, 36.0)]
    points += [(36.0, 85.06), (36.0, math.nextafter(limit, 0.0))]
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE geopool_mapbin")
    _clone(template, points)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT level, i, j, sum(n) FROM geopool_mapbin GROUP BY 1, 2, 3"
        )
        stored = {(level, i, j): n for level, i, j, n in cursor.fetchall()}
    lons, lats = zip(*points, strict=True)

    counted = pyramid.counts_of_points([*lons, math.nan], [*lats, math.nan])

    assert counted == stored
    assert (
        sum(n for (level, *_), n in counted.items() if level == 14) == len(points) - 2
    )
