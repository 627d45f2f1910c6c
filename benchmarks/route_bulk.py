"""Benchmark geopool's bulk routing against a reference pipeline, in one run.

What: 1,000,000 stored requests over Hatay's real districts (most around the
district seats, some uniform, 3 % placed at set distances from roads, parks
and the container city; categories drawn from the pack's), routed against
the active rule set with the demo road layer grown to 50,000 segments
(``routing_data``; loaded through ``manage.py import_layer``). Three paths
run on the same rows, interleaved, best of ``--repeat``:

- geopool's bulk path: ``routing_rules.services.bulk.route_stored(ids,
  keep_owner=True)``: reads the points, routes them with
  ``routing_rules.engine.route`` and COPYs the decisions (owner, rule,
  candidates, trace, explanations) into ``routing_rules_decision``. Timed up
  to the end of its last COPY, inside a transaction that is then rolled back
  (decisions are append-only: a second run would otherwise retire the
  first's million rows);
- ``routing_rules.engine.route`` alone on the same points in memory, in the
  batches ``route_stored`` uses (no database): the kernel's share;
- the reference, written here with no geopool code: read (id, lon, lat)
  with psycopg; prepared shapely ``contains_xy`` per district (lowest code
  first) with a bounding-box prefilter; an STRtree ``dwithin`` road test in
  EPSG:5256 metres with the nearest road among the hits (KGM roads within
  25 m, HBB roads within 15 m, district streets within 15 m; the nearest
  wins, its owner takes the request, else the district municipality); a
  psycopg COPY of (request id, owner code) into a scratch table. Timed the
  same way (read + kernel + COPY, before the commit).

Correctness: on a sample (default 10,000: 7,000 drawn from all requests and
3,000 from the targeted ones, so rule edges are present), geopool's stored
owners are compared with a slow, obviously correct oracle that shares no
code with the fast path: per point, SQL with ``ST_Covers`` on the district,
park and container-city features and geography ``ST_Distance`` to roads and
parks, and the Hatay rule set (version 2) written out plainly as Python.

Why: the bulk path (history imports, re-routing after a layer or rule
change) must stay within 2x of the reference's time (target: geopool
points/s >= 0.5x the reference's) and agree with the oracle on every point.

Run from the repository root::

    .venv/bin/python benchmarks/route_bulk.py
    .venv/bin/python benchmarks/route_bulk.py --requests 200000 --repeat 1
"""

import argparse
import cProfile
import gc
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psycopg
import routing_data as rd
from routing_data import log

import shapely
from pyproj import Transformer

DEFAULT_REQUESTS = 1_000_000
DEFAULT_ROADS = 50_000
DEFAULT_SAMPLE = 10_000
SAMPLE_TARGETED_SHARE = 0.3
TARGET_RATIO = 0.5  # geopool points/s over the reference's, at least
REQUESTS_VERSION = 1
MARKER = "route_bulk benchmark"
SCRATCH = "bench_route_reference"
PROFILE_REQUESTS = 200_000
# A path whose collector pauses reach this share of its time is rerun without.
GC_SHARE_RERUN = 0.05
BOUNDARY_M = 0.001  # a distance this close to a rule's limit is a boundary case

# The reference's road rules: owner filter -> distance (metres).
REFERENCE_KGM_M = 25.0
REFERENCE_HBB_M = 15.0
REFERENCE_STREET_M = 15.0


# -- the stored requests ---------------------------------------------------------


def marker_text(args, roads):
    return (
        f"{MARKER} v{REQUESTS_VERSION} n={args.requests} seed={args.seed} "
        f"roads={roads['file']}"
    )


def requests_ensure(url, world, args, roads):
    """Store the benchmark's requests (untimed setup) unless already there.

    Requests carry ``description`` = the marker (size, seed, road file) and
    ``external_id`` ``rb-r-N`` (drawn over the districts) or ``rb-t-N``
    (targeted at a feature); they are reused while the marker matches.
    Returns the seconds spent storing them (None when reused).
    """
    marker = marker_text(args, roads)
    with psycopg.connect(url) as conn:
        foreign = conn.execute(
            "SELECT count(*) FROM geopool_servicerequest WHERE description NOT LIKE %s",
            [MARKER + "%"],
        ).fetchone()[0]
        if foreign and not args.allow_other_requests:
            raise SystemExit(
                f"{rd.redacted(url)} holds {foreign} requests this benchmark did not "
                "create: is it a database in use? Point --database-url at a "
                "dedicated one (or pass --allow-other-requests)"
            )
        mine = conn.execute(
            "SELECT count(*) FROM geopool_servicerequest WHERE description = %s",
            [marker],
        ).fetchone()[0]
        if mine == args.requests and not args.reload:
            log(f"requests: reusing {mine:,} stored requests ({marker})")
            return None
        started = time.perf_counter()
        old = conn.execute(
            "DELETE FROM geopool_servicerequest WHERE description LIKE %s",
            [MARKER + "%"],
        ).rowcount
        if old:
            log(f"requests: deleted {old:,} from an earlier setup")
        conn.commit()
        with psycopg.connect(url, autocommit=True) as admin:
            # Dead rows and bloated indexes would slow the COPY (and the reads).
            admin.execute(
                "VACUUM FULL geopool_servicerequest"
                if not foreign
                else "VACUUM geopool_servicerequest"
            )
        log(f"requests: generating {args.requests:,} points")
        points = rd.points_generate(url, world, args.requests, args.seed)
        category_ids = dict(conn.execute("SELECT code, id FROM geopool_category"))
        log(f"requests: storing {args.requests:,} requests by COPY")
        _requests_copy(conn, points, category_ids, marker)
        conn.commit()
        conn.execute("ANALYZE geopool_servicerequest")
        elapsed = time.perf_counter() - started
        log(f"requests: stored in {elapsed:.1f} s")
        return elapsed


def _tracking_codes(n, salt):
    """``n`` distinct tracking codes (K7M-4TXR form) from geopool's alphabet."""
    from geopool.tracking import ALPHABET, LENGTH

    space = len(ALPHABET) ** LENGTH
    # i -> (i * P + salt) mod space is a bijection (P prime, not 23): distinct.
    values = (np.arange(n, dtype=np.int64) * 1_000_003 + salt) % space
    letters = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
    digits = np.empty((n, LENGTH), dtype=np.uint8)
    for position in range(LENGTH - 1, -1, -1):
        digits[:, position] = letters[values % len(ALPHABET)]
        values //= len(ALPHABET)
    raw = digits.view(f"S{LENGTH}").ravel().astype(str)
    return [f"{code[:3]}-{code[3:]}" for code in raw]


# Columns this setup fills; any other NOT NULL column without a default (one
# a later migration adds) gets the empty value of its type.
_REQUEST_COLUMNS = (
    "tracking_code",
    "category_id",
    "description",
    "public_description",
    "channel",
    "location",
    "location_source",
    "address_string",
    "status",
    "is_urgent",
    "needs_triage",
    "external_id",
    "is_sample",
    "requested_at",
    "updated_at",
)
_EMPTY = {
    "character varying": "",
    "text": "",
    "boolean": False,
    "integer": 0,
    "bigint": 0,
    "smallint": 0,
    "jsonb": "{}",
}


def _other_columns(conn):
    """(name, value) for NOT NULL columns without a default this setup skips."""
    rows = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'geopool_servicerequest' AND is_nullable = 'NO' "
        "AND column_default IS NULL AND is_identity = 'NO'"
    ).fetchall()
    other = []
    for name, data_type in rows:
        if name in _REQUEST_COLUMNS:
            continue
        if data_type not in _EMPTY:
            raise SystemExit(
                f"geopool_servicerequest.{name} ({data_type}) is NOT NULL and has no "
                "default: teach route_bulk._EMPTY its empty value"
            )
        other.append((name, _EMPTY[data_type]))
    return other


def _requests_copy(conn, points, category_ids, marker):
    other = _other_columns(conn)
    columns = ", ".join([*_REQUEST_COLUMNS, *(name for name, _ in other)])
    extra = tuple(value for _, value in other)
    codes = _tracking_codes(len(points), salt=7919)
    start = np.datetime64("2024-01-01T00:00:00")
    rng = np.random.default_rng(len(points))
    offsets = rng.integers(0, 2 * 365 * 86400, len(points))
    stamps = (start + offsets.astype("timedelta64[s]")).astype(str)
    with (
        conn.cursor() as cursor,
        cursor.copy(f"COPY geopool_servicerequest ({columns}) FROM STDIN") as copy,
    ):
        lons, lats = points.lon.tolist(), points.lat.tolist()
        categories, targeted = points.category.tolist(), points.targeted.tolist()
        for i in range(len(points)):
            kind = "t" if targeted[i] else "r"
            copy.write_row(
                (
                    codes[i],
                    category_ids[categories[i]],
                    marker,
                    "",
                    "api",
                    f"SRID=4326;POINT({lons[i]!r} {lats[i]!r})",
                    "given",
                    "",
                    "closed",
                    False,
                    False,
                    f"rb-{kind}-{i}",
                    False,
                    stamps[i] + "+03:00",
                    stamps[i] + "+03:00",
                    *extra,
                )
            )


def requests_read(url, args, roads):
    """(ids, lons, lats, categories, targeted) of the stored requests, by id."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT r.id, ST_X(r.location), ST_Y(r.location), c.code, r.external_id "
            "FROM geopool_servicerequest r JOIN geopool_category c "
            "ON c.id = r.category_id WHERE r.description = %s ORDER BY r.id",
            [marker_text(args, roads)],
        ).fetchall()
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    lons = np.fromiter((r[1] for r in rows), dtype=float, count=len(rows))
    lats = np.fromiter((r[2] for r in rows), dtype=float, count=len(rows))
    categories = np.asarray([r[3] for r in rows], dtype=object)
    targeted = np.fromiter(
        (r[4].startswith("rb-t-") for r in rows), dtype=bool, count=len(rows)
    )
    return ids, lons, lats, categories, targeted


# -- geopool's paths ------------------------------------------------------------


class Phases:
    """Where a timed path spends its time, measured from outside geopool.

    While active: calls of ``routing_rules.engine.route`` are timed (the
    module attribute is wrapped; ``route_stored`` looks it up per batch),
    SQL statements run through Django's connection are timed
    (``connection.execute_wrapper``; COPY is not a statement there), and so
    are the reads of the points, which go through a binary cursor of their
    own (``_points_read``, wrapped like ``route``), and the garbage
    collector's pauses are summed by generation (``gc.callbacks``).
    A few dozen calls per million points: no measurable overhead.
    """

    def __init__(self, wrap_route=True):
        self.wrap_route = wrap_route
        self.route_s = 0.0
        self.sql_s = 0.0
        self.gc_s = [0.0, 0.0, 0.0]
        self.gc_n = [0, 0, 0]
        self._gc_started = None

    def _gc(self, phase, info):
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif self._gc_started is not None:
            generation = info["generation"]
            self.gc_s[generation] += time.perf_counter() - self._gc_started
            self.gc_n[generation] += 1

    def _sql(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.sql_s += time.perf_counter() - started

    def __enter__(self):
        from django.db import connection

        import routing_rules.engine as engine

        self._engine = engine
        self._route = engine.route
        if self.wrap_route:

            def route(*args, **kwargs):
                started = time.perf_counter()
                try:
                    return self._route(*args, **kwargs)
                finally:
                    self.route_s += time.perf_counter() - started

            engine.route = route
        import routing_rules.services.bulk as bulk

        self._bulk = bulk
        self._points_read = getattr(bulk, "_points_read", None)
        if self._points_read is not None:

            def points_read(*args, **kwargs):
                started = time.perf_counter()
                try:
                    return self._points_read(*args, **kwargs)
                finally:
                    self.sql_s += time.perf_counter() - started

            bulk._points_read = points_read
        self._wrapper = connection.execute_wrapper(self._sql)
        self._wrapper.__enter__()
        gc.callbacks.append(self._gc)
        return self

    def __exit__(self, *exc):
        gc.callbacks.remove(self._gc)
        self._wrapper.__exit__(*exc)
        self._engine.route = self._route
        if self._points_read is not None:
            self._bulk._points_read = self._points_read
        return False

    def as_dict(self):
        return {
            "engine_route_s": round(self.route_s, 2),
            "sql_statements_s": round(self.sql_s, 2),
            "gc_pause_s": round(sum(self.gc_s), 2),
            "gc_pause_s_by_generation": [round(t, 2) for t in self.gc_s],
            "gc_collections_by_generation": list(self.gc_n),
        }


def decisions_vacuum(url):
    """Start each bulk run from an empty, compact decision table (untimed).

    A rolled-back COPY leaves its million rows behind as dead tuples and
    bloated indexes, which would slow every later run. The benchmark database
    holds no decisions of its own (``requests_ensure`` refuses foreign rows).
    """
    with psycopg.connect(url, autocommit=True) as conn:
        live = conn.execute(
            "SELECT count(*) FROM routing_rules_decision WHERE is_current"
        ).fetchone()[0]
        for table in ("routing_rules_decision", "routing_rules_decisionshape"):
            conn.execute(f"VACUUM FULL {table}" if not live else f"VACUUM {table}")


def geopool_bulk(ids, sample_ids, at, collect=True):
    """Time ``route_stored`` (rolled back after); return its figures.

    The timing ends after ``SET CONSTRAINTS ALL IMMEDIATE``, which runs the
    foreign-key checks that the decisions' deferred constraints would run at
    commit; then the sample's stored owners are read and everything is rolled
    back. ``collect=False`` runs with the garbage collector disabled (a
    diagnostic of its share, not a figure).
    """
    from django.db import connection, transaction

    from routing_rules.services.bulk import route_stored

    id_list = ids.tolist()
    gc.collect()  # every timed run starts from the same collector state
    with transaction.atomic():
        if not collect:
            gc.disable()
        try:
            with Phases() as phases:
                started = time.perf_counter()
                result = route_stored(id_list, keep_owner=True, at=at)
                routed = time.perf_counter()
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                elapsed = time.perf_counter() - started
        finally:
            gc.enable()
        checks_s = elapsed - (routed - started)
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT d.request_id, b.code, coalesce(p.code, ''), d.rule_code,
                       d.flags
                FROM routing_rules_decision d
                JOIN geopool_body b ON b.id = d.owner_body_id
                LEFT JOIN geopool_department p ON p.id = d.owner_department_id
                WHERE d.is_current AND d.request_id = ANY(%s)
                """,
                [sample_ids.tolist()],
            )
            owners = {
                row[0]: (row[1], row[2], row[3], "triage" in row[4], row[4])
                for row in cursor.fetchall()
            }
            cursor.execute(
                "SELECT count(*) FROM routing_rules_decision WHERE is_current "
                "AND request_id = ANY(%s)",
                [id_list],
            )
            stored = cursor.fetchone()[0]
            cursor.execute(
                "SELECT avg(pg_column_size(d.*)), "
                "pg_total_relation_size('routing_rules_decision') "
                "FROM routing_rules_decision d WHERE d.request_id = ANY(%s)",
                [sample_ids.tolist()],
            )
            row_bytes, table_bytes = cursor.fetchone()
            # What the decisions share is stored once beside them (shapes:
            # generations, trace, sentences); counted with the decisions.
            cursor.execute(
                "SELECT count(*), "
                "pg_total_relation_size('routing_rules_decisionshape') "
                "FROM routing_rules_decisionshape"
            )
            shapes, shape_bytes = cursor.fetchone()
            table_bytes += shape_bytes
        transaction.set_rollback(True)
    phase = phases.as_dict()
    phase["sql_statements_s"] = round(phases.sql_s - checks_s, 2)
    phase["fk_checks_s"] = round(checks_s, 2)
    phase["rows_and_copy_s"] = round(
        elapsed - phases.route_s - phases.sql_s, 2
    )  # building the decision rows, orjson, COPY (client, and the server's
    # part that did not overlap the routing of the next batch)
    return {
        "seconds": elapsed,
        "result": result,
        "owners": owners,
        "stored": stored,
        "phases": phase,
        "row_bytes": float(row_bytes or 0),
        "table_bytes": int(table_bytes or 0),
        "shapes": int(shapes),
        "shape_bytes": int(shape_bytes),
    }


def geopool_kernel(context, lons, lats, categories, at, collect=True):
    """Time ``engine.route`` alone on the points in memory (route_stored batches)."""
    from routing_rules.engine import route
    from routing_rules.services.bulk import BATCH

    gc.collect()
    if not collect:
        gc.disable()
    try:
        with Phases(wrap_route=False) as phases:
            started = time.perf_counter()
            routed = 0
            for start in range(0, len(lons), BATCH):
                stop = start + BATCH
                routed += len(
                    route(
                        context,
                        lons[start:stop],
                        lats[start:stop],
                        categories[start:stop],
                        at,
                    )
                )
            elapsed = time.perf_counter() - started
    finally:
        gc.enable()
    phase = phases.as_dict()
    del phase["engine_route_s"], phase["sql_statements_s"]
    return {"seconds": elapsed, "routed": routed, "phases": phase}


def geopool_profile(ids, at, n, top=25):
    """cProfile of ``route_stored`` over the first ``n`` ids (rolled back)."""
    from django.db import transaction

    from routing_rules.services.bulk import route_stored

    profile = cProfile.Profile()
    with transaction.atomic():
        started = time.perf_counter()
        profile.enable()
        route_stored(ids[:n].tolist(), keep_owner=True, at=at)
        profile.disable()
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return _profile_entries(profile, "route_stored", n, elapsed, top)


def kernel_profile(context, lons, lats, categories, at, n, top=25):
    """cProfile of ``engine.route`` over the first ``n`` points, in batches."""
    from routing_rules.engine import route
    from routing_rules.services.bulk import BATCH

    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for start in range(0, n, BATCH):
        stop = min(start + BATCH, n)
        route(context, lons[start:stop], lats[start:stop], categories[start:stop], at)
    profile.disable()
    elapsed = time.perf_counter() - started
    return _profile_entries(profile, "engine.route", n, elapsed, top)


def _profile_entries(profile, what, n, elapsed, top):
    stats = pstats.Stats(profile)
    entries = []
    for (filename, line, function), (cc, nc, tt, ct, _callers) in stats.stats.items():
        entries.append(
            {
                "function": f"{_short_path(filename)}:{line}({function})",
                "calls": nc,
                "primitive_calls": cc,
                "tottime_s": round(tt, 3),
                "cumtime_s": round(ct, 3),
            }
        )
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(top)
    return {
        "what": what,
        "requests": n,
        "wall_s": round(elapsed, 2),
        "by_tottime": sorted(entries, key=lambda e: -e["tottime_s"])[:top],
        "by_cumtime": sorted(entries, key=lambda e: -e["cumtime_s"])[:top],
        "text": text.getvalue(),
    }


def _short_path(filename):
    for marker in ("/site-packages/", str(rd.ROOT) + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


# -- the reference ------------------------------------------------------------------


class Reference:
    """District + nearest-road routing in numpy/shapely, no geopool code."""

    def __init__(self, url):
        with psycopg.connect(url) as conn:
            districts = rd.layer_features(
                conn, rd.active_generation(conn, "districts")[0]
            )
            roads = rd.layer_features(conn, rd.active_generation(conn, "roads")[0])
            bodies = conn.execute(
                "SELECT district_code, min(code) FROM geopool_body WHERE kind = "
                "'district' AND is_active AND district_code <> '' GROUP BY 1"
            ).fetchall()
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {SCRATCH} "
                "(request_id bigint NOT NULL, owner text NOT NULL)"
            )
        body_of = dict(bodies)
        # Districts in code order: the lowest code takes a point on an edge.
        self.district_geoms = [d[3] for d in districts]
        for geom in self.district_geoms:
            shapely.prepare(geom)
        self.district_bounds = shapely.bounds(np.asarray(self.district_geoms))
        self.district_owner = np.asarray(
            [body_of.get(d[0], "") for d in districts] + ["HBB"], dtype=object
        )
        self.to_metric = Transformer.from_crs(4326, rd.METRIC_EPSG, always_xy=True)
        limits, owners, geoms = [], [], []
        for _code, _name, attributes, geom in roads:
            owner = attributes.get("owner") or ""
            if owner == "KGM":
                limit = REFERENCE_KGM_M
            elif owner == "HBB":
                limit = REFERENCE_HBB_M
            elif attributes.get("class") == "district_street":
                limit = REFERENCE_STREET_M
            else:
                continue
            limits.append(limit)
            owners.append(owner)
            geoms.append(geom)
        self.road_limit = np.asarray(limits)
        self.road_owner = np.asarray(owners, dtype=object)
        self.roads = rd._to_metric(np.asarray(geoms, dtype=object))
        self.tree = shapely.STRtree(self.roads)
        self.max_limit = float(self.road_limit.max())
        self.url = url

    def route(self, lons, lats):
        """Owner code per point (numpy object array)."""
        n = len(lons)
        district = np.full(n, -1, dtype=np.int64)
        for k, geom in enumerate(self.district_geoms):
            west, south, east, north = self.district_bounds[k]
            near = np.flatnonzero(
                (district < 0)
                & (lons >= west)
                & (lons <= east)
                & (lats >= south)
                & (lats <= north)
            )
            if len(near):
                inside = shapely.contains_xy(geom, lons[near], lats[near])
                district[near[inside]] = k
        owner = self.district_owner[district]
        mx, my = self.to_metric.transform(lons, lats)
        points = shapely.points(mx, my)
        point, road = self.tree.query(
            points, predicate="dwithin", distance=self.max_limit
        )
        distance = shapely.distance(points[point], self.roads[road])
        keep = distance <= self.road_limit[road]
        point, road, distance = point[keep], road[keep], distance[keep]
        order = np.lexsort((road, distance, point))
        point, road = point[order], road[order]
        first = np.r_[True, point[1:] != point[:-1]] if len(point) else point
        owner[point[first]] = self.road_owner[road[first]]
        return owner

    def run(self, ids):
        """Read, route and COPY; return (seconds to the end of COPY, phases, owners)."""
        with psycopg.connect(self.url) as conn:
            conn.execute(f"TRUNCATE {SCRATCH}")
            conn.commit()
            gc.collect()
            started = time.perf_counter()
            rows = conn.execute(
                "SELECT id, ST_X(location), ST_Y(location) FROM geopool_servicerequest "
                "WHERE id = ANY(%s) ORDER BY id",
                [ids.tolist()],
            ).fetchall()
            got = np.asarray(rows, dtype=float).reshape(-1, 3)
            read_ids = got[:, 0].astype(np.int64)
            read = time.perf_counter()
            owner = self.route(got[:, 1], got[:, 2])
            routed = time.perf_counter()
            with (
                conn.cursor() as cursor,
                cursor.copy(f"COPY {SCRATCH} (request_id, owner) FROM STDIN") as copy,
            ):
                for row in zip(read_ids.tolist(), owner.tolist(), strict=True):
                    copy.write_row(row)
            written = time.perf_counter()
            conn.commit()
            committed = time.perf_counter()
            table_bytes = conn.execute(
                "SELECT pg_total_relation_size(%s)", [SCRATCH]
            ).fetchone()[0]
        return (
            written - started,
            {
                "read_s": round(read - started, 3),
                "kernel_s": round(routed - read, 3),
                "copy_s": round(written - routed, 3),
                "commit_s": round(committed - written, 3),
                "table_bytes": table_bytes,
            },
            owner,
        )


# -- the oracle -----------------------------------------------------------------------

# Layers the Hatay rules name that the benchmark database must not hold: the
# oracle skips their rules as dormant, as the rule semantics say.
DORMANT = (
    "cemeteries",
    "river_beds",
    "heavy_damage",
    "coastline",
    "ports",
    "waste_facilities",
    "towns",
    "stormwater",
    "canals",
)
ORACLE_RULE_SET_VERSION = 2

_PT = "ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326)"
_COVERING = (
    "SELECT code, attributes FROM boundaries_feature WHERE generation_id = %(g)s "
    f"AND ST_Covers(geometry, {_PT}) {{where}} ORDER BY code, name, id"
)
# The box (0.001 degrees: 89 m east-west and 111 m north-south here) only
# narrows the search through the index: every rule distance is under 50 m.
_NEAREST = (
    "SELECT code, attributes, ST_Distance(geometry::geography, {pt}::geography) AS d "
    "FROM boundaries_feature WHERE generation_id = %(g)s "
    "AND geometry && ST_Expand({pt}, 0.001) {where} ORDER BY d, code, name, id LIMIT 1"
).replace("{pt}", _PT)
_DISTRICT_NEAREST = (
    "SELECT code, ST_Distance(geometry::geography, {pt}::geography) AS d "
    "FROM boundaries_feature WHERE generation_id = %(g)s ORDER BY d, code LIMIT 1"
).replace("{pt}", _PT)


class Oracle:
    """One point at a time: SQL for the geometry, the rules written out plainly.

    Written for the Hatay rule set version 2 (packs/hatay/rules.csv) with its
    asset and network layers other than roads, parks and container cities not
    loaded; ``__init__`` refuses a database where that is not so.
    """

    def __init__(self, url, settings):
        self.conn = psycopg.connect(url, autocommit=True)
        self.tolerance = float(settings["snap_tolerance_m"])
        self.service_area = float(settings["service_area_buffer_m"])
        self.margin = float(settings["network_tie_margin_m"])
        self.coordinator = (
            settings["coordinator_body"],
            settings["coordinator_department"],
        )
        version = self.conn.execute(
            "SELECT version FROM routing_rules_ruleset WHERE is_active"
        ).fetchone()
        if not version or version[0] != ORACLE_RULE_SET_VERSION:
            raise SystemExit(
                f"the oracle is written for rule set v{ORACLE_RULE_SET_VERSION}; the "
                f"active one is {version}: update Oracle.decide first"
            )
        delegations = self.conn.execute(
            "SELECT count(*) FROM routing_rules_delegation d JOIN "
            "routing_rules_ruleset s ON s.id = d.rule_set_id WHERE s.is_active"
        ).fetchone()[0]
        if delegations:
            raise SystemExit("the oracle models no delegations; the rule set has some")
        self.generation = {}
        for layer in ("districts", "roads", "parks", "container_cities", *DORMANT):
            found = rd.active_generation(self.conn, layer)
            self.generation[layer] = found[0] if found else None
        loaded = [layer for layer in DORMANT if self.generation[layer]]
        if loaded:
            raise SystemExit(
                f"the oracle treats {', '.join(loaded)} as dormant, but they are loaded"
            )
        self.active = {
            r[0]
            for r in self.conn.execute("SELECT code FROM geopool_body WHERE is_active")
        }
        self.district_body = dict(
            self.conn.execute(
                "SELECT district_code, min(code) FROM geopool_body WHERE kind = "
                "'district' AND is_active AND district_code <> '' GROUP BY 1"
            ).fetchall()
        )

    def close(self):
        self.conn.close()

    # geometry, one question per query
    def covering(self, layer, x, y, attribute=None, value=None):
        g = self.generation[layer]
        if g is None:
            return []
        where = "AND attributes->>%(a)s = %(v)s" if attribute else ""
        return self.conn.execute(
            _COVERING.format(where=where),
            {"g": g, "x": x, "y": y, "a": attribute, "v": value},
        ).fetchall()

    def nearest(self, layer, x, y, attribute=None, value=None):
        """(code, attributes, metres) of the nearest feature within ~89 m, or None."""
        g = self.generation[layer]
        if g is None:
            return None
        where = "AND attributes->>%(a)s = %(v)s" if attribute else ""
        return self.conn.execute(
            _NEAREST.format(where=where),
            {"g": g, "x": x, "y": y, "a": attribute, "v": value},
        ).fetchone()

    def decide(self, x, y, category):
        """{'body', 'department', 'rule', 'triage', 'limits': [d - limit], 'why'}."""
        limits = []

        def answer(body, department, rule, why, triage=False):
            return {
                "body": body,
                "department": department,
                "rule": rule,
                "triage": triage,
                "why": why,
                "limits": limits,
            }

        # 1. Place the point: covered (lowest code on an edge), snapped within
        # the tolerance, or outside every district.
        covering = [row[0] for row in self.covering("districts", x, y)]
        district = covering[0] if covering else ""
        if not covering:
            code, d = self.conn.execute(
                _DISTRICT_NEAREST, {"g": self.generation["districts"], "x": x, "y": y}
            ).fetchone()
            limits.append(d - self.tolerance)
            if d <= self.tolerance:
                district = code
            elif d > self.service_area:
                return answer("", "", "", "out of the service area")
        district_body = self.district_body.get(district, "")

        def road(priority, rule, attribute, value, limit, owner=None, department=""):
            """The rule's offer: its nearest road within ``limit`` metres, or None."""
            found = self.nearest("roads", x, y, attribute, value)
            if found is None:
                return None
            code, attributes, d = found
            limits.append(d - limit)
            if d > limit:
                return None
            body = owner or (attributes.get("owner") or "")
            if body not in self.active:
                return None
            return (d, priority, rule, body, department, code)

        def proximity(offers):
            """The nearest offer wins (then priority, then rule code); the
            nearest offer of another owner within the margin makes a tie."""
            offers = sorted(o for o in offers if o is not None)
            if not offers:
                return None
            best = offers[0]
            rival = next((o for o in offers[1:] if o[3] != best[3]), None)
            if rival is not None:
                limits.append(rival[0] - best[0] - self.margin)
                if rival[0] - best[0] <= self.margin:
                    return answer(
                        *self.coordinator,
                        "",
                        f"tie: {best[5]} {best[0]:.3f} m ({best[3]}) and {rival[5]} "
                        f"{rival[0]:.3f} m ({rival[3]})",
                        triage=True,
                    )
            d, _priority, rule, body, department, code = best
            return answer(body, department, rule, f"{code} at {d:.3f} m")

        # 2. Emergency.
        if category == "GAZ":
            return answer("AKSA", "", "GAZ-AKSA", "emergency")
        if category == "ITFAIYE":
            return answer("HBB", "HBB-ITFAIYE", "ITFAIYE-HBB", "emergency")
        if category == "ELEKTRIK-HAT":
            return answer("TOROSLAR", "", "ELEKTRIK-HAT-TOROSLAR", "emergency")

        # 3. Exclusive assets (cemeteries, river beds, heavy damage, coast and
        # waste facilities are not loaded: those rules are dormant).
        if category in ("KONTEYNER-KENT", "COP", "TEMIZLIK", "MOLOZ"):
            inside = self.covering("container_cities", x, y)
            if inside and inside[0][1].get("operator") in self.active:
                return answer(
                    inside[0][1]["operator"], "", "KONTEYNER-KENT-ISLETEN", inside[0][0]
                )
        if category in ("PARK", "AGAC", "AYD-PARK"):
            inside = self.covering("parks", x, y)
            park = inside[0][:2] if inside else None
            if park is None:
                near = self.nearest("parks", x, y)
                if near is not None:
                    limits.append(near[2] - 5.0)
                    if near[2] <= 5.0:
                        park = near[:2]
            if park is not None and park[1].get("maintainer") in self.active:
                return answer(park[1]["maintainer"], "", "PARK-BAKIM", park[0])
        if category in (
            "ZABITA-ISGAL",
            "ZABITA-ISYERI",
            "KACAK-YAPI",
            "GURULTU",
            "ADRES",
        ):
            inside = self.covering("parks", x, y, "maintainer", "HBB")
            if inside:
                return answer("HBB", "HBB-ZABITA", "ZABITA-HBB-PARK", inside[0][0])

        # 4. Network proximity: every rule offers its nearest road within its
        # distance; the nearest offer wins (ULASIM-KGM needs towns, YAGMUR-HATSU
        # stormwater, DERE-KANAL-DSI canals: dormant).
        offers = []
        if category in ("YOL-BAKIM", "KAR", "YOL-YENI"):
            offers += [
                road(10, "YOL-KGM", "owner", "KGM", 25.0, "KGM"),
                road(20, "YOL-HBB", "owner", "HBB", 15.0, "HBB", "HBB-YOL"),
                road(30, "YOL-ILCE", "class", "district_street", 15.0),
            ]
        if category == "AYD-SOKAK":
            offers.append(road(50, "AYDINLATMA-O53-KGM", "ref", "O-53", 25.0, "KGM"))
        if category in ("ZABITA-ISGAL", "ZABITA-ISYERI"):
            offers.append(
                road(80, "ZABITA-HBB-YOL", "owner", "HBB", 15.0, "HBB", "HBB-ZABITA")
            )
        decided = proximity(offers)
        if decided:
            return decided

        # 5. Category defaults, by priority.
        fixed = (
            (("SU", "KANAL"), "HATSU", "", "SU-KANAL-HATSU"),
            (("AYD-SOKAK", "ELEKTRIK"), "TOROSLAR", "", "ELEKTRIK-TOROSLAR"),
            (
                ("SINYAL", "LEVHA", "DURAK", "TOPLU-TASIMA", "OTOPARK"),
                "HBB",
                "HBB-ULASIM",
                "ULASIM-HBB",
            ),
            (("DERE",), "HBB", "HBB-FEN", "DERE-HBB"),
            (("ATIK-TESIS",), "HBB", "HBB-TEMIZLIK", "ATIK-TESIS-HBB"),
            (("MEZARLIK",), "HBB", "HBB-MEZARLIK", "MEZARLIK-HBB"),
            (("SOSYAL",), "HBB", "HBB-SOSYAL", "SOSYAL-HBB"),
            (("DIGER",), "HBB", "HBB-HALKLA", "DIGER-KOORDINATOR"),
        )
        for categories, body, department, rule in fixed:
            if category in categories:
                return answer(body, department, rule, "category default")
        if category == "YAGMUR":
            # The owner of the road: the road-owner group decides by the same
            # proximity rule (a tie there is a tie: triage), else the district.
            decided = proximity(
                [
                    road(10, "YOL-SAHIBI-KGM", "owner", "KGM", 25.0, "KGM"),
                    road(20, "YOL-SAHIBI-HBB", "owner", "HBB", 15.0, "HBB", "HBB-YOL"),
                    road(30, "YOL-SAHIBI-ILCE", "class", "district_street", 15.0),
                ]
            )
            if decided:
                if not decided["triage"]:
                    decided["rule"] = "YAGMUR-YOL-SAHIBI"
                return decided
            if district_body:
                return answer(
                    district_body, "", "YAGMUR-YOL-SAHIBI", f"road owner: {district}"
                )
        if category in ILCE_HIZMETLERI and district_body:
            return answer(district_body, "", "ILCE-HIZMETLERI", f"district {district}")

        # 6. District fallback, then the coordinator's triage.
        if district_body:
            return answer(district_body, "", "ILCE-GERI-DONUS", f"district {district}")
        if category == "HAYVAN":
            return answer("HBB", "HBB-VETERINER", "HAYVAN-HBB-VETERINER", "no district")
        return answer(*self.coordinator, "", "no rule", triage=True)


# The categories of rule ILCE-HIZMETLERI (the district municipality's duties).
ILCE_HIZMETLERI = frozenset(
    [
        "YOL-BAKIM",
        "YOL-YENI",
        "KALDIRIM",
        "KAR",
        "COP",
        "TEMIZLIK",
        "MOLOZ",
        "ILACLAMA",
        "PARK",
        "AGAC",
        "AYD-PARK",
        "KIYI",
        "GURULTU",
        "ZABITA-ISGAL",
        "ZABITA-ISYERI",
        "HAYVAN",
        "KACAK-YAPI",
        "TEHLIKELI-BINA",
        "ADRES",
        "KONTEYNER-KENT",
    ]
)


def oracle_compare(url, settings, sample, owners, points):
    """Decide every sample point with the oracle; list the disagreements."""
    ids, lons, lats, categories, targeted = points
    position = {int(i): k for k, i in enumerate(ids)}
    oracle = Oracle(url, settings)
    mismatches, boundary, missing = [], [], []
    agree = 0
    started = time.perf_counter()
    try:
        for count, request_id in enumerate(sample.tolist(), 1):
            k = position[request_id]
            x, y, category = float(lons[k]), float(lats[k]), categories[k]
            expected = oracle.decide(x, y, category)
            got = owners.get(request_id)
            if got is None:
                missing.append(request_id)
                continue
            same = (got[0], got[1], got[3]) == (
                expected["body"],
                expected["department"],
                expected["triage"],
            )
            if same:
                agree += 1
                continue
            row = {
                "request_id": request_id,
                "lon": x,
                "lat": y,
                "category": category,
                "targeted": bool(targeted[k]),
                "geopool": {
                    "body": got[0],
                    "department": got[1],
                    "rule": got[2],
                    "flags": list(got[4]),
                },
                "oracle": {
                    "body": expected["body"],
                    "department": expected["department"],
                    "rule": expected["rule"],
                    "triage": expected["triage"],
                    "why": expected["why"],
                },
                "closest_to_limit_m": min(
                    (abs(v) for v in expected["limits"]), default=None
                ),
            }
            near_limit = any(abs(v) <= BOUNDARY_M for v in expected["limits"])
            (boundary if near_limit else mismatches).append(row)
            if count % 2000 == 0:
                log(f"oracle: {count:,} of {len(sample):,} points")
    finally:
        oracle.close()
    return {
        "sample": len(sample),
        "sample_targeted": int(targeted[[position[i] for i in sample.tolist()]].sum()),
        "agree": agree,
        "mismatches": len(mismatches),
        "boundary_cases": len(boundary),
        "missing": len(missing),
        "seconds": round(time.perf_counter() - started, 1),
        "first_mismatches": mismatches[:20],
        "first_boundary_cases": boundary[:10],
        "mismatch_kinds": _kinds(mismatches),
    }


def _kinds(rows):
    kinds = {}
    for row in rows:
        key = (
            f"{row['category']}: geopool {row['geopool']['rule'] or 'triage'} → "
            f"oracle {row['oracle']['rule'] or 'triage'}"
        )
        kinds[key] = kinds.get(key, 0) + 1
    return dict(sorted(kinds.items(), key=lambda kv: -kv[1]))


def sample_draw(ids, targeted, size, seed):
    rng = np.random.default_rng([seed, size, 3])
    size = min(size, len(ids))
    n_targeted = min(int(size * SAMPLE_TARGETED_SHARE), int(targeted.sum()))
    chosen_t = rng.choice(ids[targeted], n_targeted, replace=False)
    rest = np.setdiff1d(ids, chosen_t, assume_unique=True)
    chosen_r = rng.choice(rest, size - n_targeted, replace=False)
    return np.sort(np.concatenate([chosen_t, chosen_r]))


# -- the report ---------------------------------------------------------------------


def _num(value, fmt):
    return "—" if value is None else format(value, fmt)


def report_markdown(meta, figures, correctness, diagnostics):
    lines = rd.header_lines(
        "Bulk routing benchmark: geopool vs a numpy/shapely reference",
        "route_bulk.py",
        meta,
    )
    p = meta["parameters"]
    lines += [
        f"- data: {p['requests']:,} stored requests ({p['targeted']:,} targeted at "
        f"features), {p['roads']:,} road segments in roads generation "
        f"{meta['roads']['generation']} (`{meta['roads']['file']}`), seed "
        f"{p['seed']}; active rule set v{meta['rule_set_version']}; "
        f"`route_stored` batches of {p['batch']:,}",
        f"- best of {p['repeat']} runs per path, interleaved. geopool's time ends "
        "after `SET CONSTRAINTS ALL IMMEDIATE` (the foreign-key checks its "
        "deferred constraints would run at commit), then its transaction is "
        "rolled back and the decision table vacuumed; the reference's ends with "
        "its COPY (its commit, listed apart, checks nothing)",
        f"- layer indexes built once before timing (cold: {meta['cold_index_s']:.1f} "
        "s, not in the figures)",
    ]
    if meta["roads"].get("import_s") is not None:
        lines.append(
            f"- setup: roads imported by `manage.py import_layer` in "
            f"{meta['roads']['import_s']:.1f} s"
        )
    if meta.get("requests_setup_s") is not None:
        lines.append(
            f"- setup: requests stored by COPY in {meta['requests_setup_s']:.0f} s"
        )
    ratio = figures["ratio"]
    verdict = "✓" if ratio >= TARGET_RATIO else "✗"
    g, e, r = figures["geopool_bulk"], figures["geopool_kernel"], figures["reference"]
    gp, ep, rp = g["phases"], e["phases"], r["phases"]
    lines += [
        "",
        f"Targets: geopool points/s ≥ {TARGET_RATIO:g}× the reference's; 0 "
        "mismatches against the oracle.",
        "",
        "| path | best s | points/s | runs (s) |",
        "|---|---:|---:|---|",
        f"| geopool `route_stored(ids, keep_owner=True)` | {g['best_s']:.2f} | "
        f"{g['points_per_s']:,.0f} | {_runs(g)} |",
        f"| geopool `engine.route` alone (no database) | {e['best_s']:.2f} | "
        f"{e['points_per_s']:,.0f} | {_runs(e)} |",
        f"| reference: read + kernel + COPY | {r['best_s']:.2f} | "
        f"{r['points_per_s']:,.0f} | {_runs(r)} |",
        "",
        f"- **geopool / reference: {ratio:.2f}×** (points/s; target ≥ "
        f"{TARGET_RATIO:g}×) {verdict}",
        f"- kernel alone, `engine.route` / the reference's kernel: "
        f"{figures['kernel_ratio']:.2f}×; `engine.route` alone is "
        f"{e['share_of_bulk']:.0%} of the bulk time",
        f"- geopool's best bulk run: `engine.route` {gp['engine_route_s']:.1f} s, "
        f"SQL statements (read the points, retire old decisions) "
        f"{gp['sql_statements_s']:.1f} s, decision rows + COPY (the server's "
        f"part that did not overlap routing) "
        f"{gp['rows_and_copy_s']:.1f} s, foreign-key checks {gp['fk_checks_s']:.1f} "
        f"s; garbage-collector pauses inside those: {gp['gc_pause_s']:.1f} s "
        f"({_gc(gp)})",
        f"- `engine.route` alone, best run: garbage-collector pauses "
        f"{ep['gc_pause_s']:.1f} s ({_gc(ep)})",
        f"- the reference's best run: read {rp['read_s']:.2f} s, kernel "
        f"{rp['kernel_s']:.2f} s, COPY {rp['copy_s']:.2f} s (commit "
        f"{rp['commit_s']:.2f} s, not counted)",
        f"- geopool stored {g['stored']:,} current decisions ({g['triage']:,} to "
        f"triage, {g['refused']:,} refused as outside the service area): "
        f"{g['decision_row_bytes']:.0f} bytes a row on average, "
        f"{g['decision_table_bytes'] / 1e6:,.0f} MB with the table's indexes and "
        f"the {g['shapes']:,} decision shapes they share "
        f"({g['shape_bytes'] / 1e6:,.1f} MB of it); the "
        f"reference's scratch table: {rp['table_bytes'] / 1e6:,.0f} MB",
    ]
    lines += _correctness_lines(correctness)
    if diagnostics:
        lines += _diagnostic_lines(figures, diagnostics)
    return "\n".join(lines) + "\n"


def _gc(phases):
    counts = phases["gc_collections_by_generation"]
    pauses = phases["gc_pause_s_by_generation"]
    return ", ".join(
        f"generation {k}: {counts[k]:,} collections, {pauses[k]:.1f} s"
        for k in range(3)
    )


def _correctness_lines(c):
    lines = [
        "",
        "## Correctness against the oracle",
        "",
        f"Sample: {c['sample']:,} requests ({c['sample_targeted']:,} of them "
        f"targeted at features); the oracle took {c['seconds']:.0f} s.",
        "",
        f"- agree: {c['agree']:,}",
        f"- **mismatches: {c['mismatches']}** (target 0) "
        + ("✓" if c["mismatches"] == 0 else "✗"),
        f"- boundary cases (a distance within {BOUNDARY_M * 1000:g} mm of a rule's "
        f"limit or of the tie margin), reported apart: {c['boundary_cases']}",
    ]
    if c["missing"]:
        lines.append(f"- sample requests with no stored decision: {c['missing']}")
    if c["mismatch_kinds"]:
        lines += ["", "Mismatches by category and rule (geopool → oracle):", ""]
        lines += [f"- {k}: {v}" for k, v in c["mismatch_kinds"].items()]
    for title, rows in (
        ("First mismatches", c["first_mismatches"][:10]),
        ("Boundary cases", c["first_boundary_cases"]),
    ):
        if not rows:
            continue
        lines += [
            "",
            f"{title}:",
            "",
            "| request | lon, lat | category | geopool | oracle | oracle's reason |",
            "|---:|---|---|---|---|---|",
        ]
        for row in rows:
            gp, orc = row["geopool"], row["oracle"]
            lines.append(
                f"| {row['request_id']} | {row['lon']:.6f}, {row['lat']:.6f} | "
                f"{row['category']} | {_owner(gp['body'], gp['department'])} "
                f"({gp['rule'] or '—'}; {', '.join(gp['flags']) or 'no flags'}) | "
                f"{_owner(orc['body'], orc['department'])} ({orc['rule'] or '—'}"
                f"{'; triage' if orc['triage'] else ''}) | {orc['why']} |"
            )
    return lines


def _diagnostic_lines(figures, diagnostics):
    lines = ["", "## Where geopool's time goes (the target was missed)"]
    off = diagnostics.get("gc_off") or {}
    share = diagnostics.get("gc_share", {})
    lines += [
        "",
        "Garbage-collector pauses in the best runs: "
        f"{share.get('bulk', 0):.0%} of `route_stored`'s time, "
        f"{share.get('kernel', 0):.0%} of `engine.route`'s. A path at "
        f"{GC_SHARE_RERUN:.0%} or more ran once more with the collector disabled "
        "(`gc.disable()`; a diagnostic, not a figure):",
        "",
    ]
    if "geopool_bulk_s" in off:
        ph = off["geopool_bulk_phases"]
        lines.append(
            f"- `route_stored`: {off['geopool_bulk_s']:.1f} s (best with the "
            f"collector: {figures['geopool_bulk']['best_s']:.1f} s), i.e. "
            f"{off['ratio']:.2f}× the reference; `engine.route` inside it "
            f"{ph['engine_route_s']:.1f} s, SQL statements "
            f"{ph['sql_statements_s']:.1f} s, decision rows + COPY "
            f"{ph['rows_and_copy_s']:.1f} s, foreign-key checks "
            f"{ph['fk_checks_s']:.1f} s"
        )
    if "geopool_kernel_s" in off:
        lines.append(
            f"- `engine.route` alone: {off['geopool_kernel_s']:.1f} s (with the "
            f"collector: {figures['geopool_kernel']['best_s']:.1f} s), i.e. "
            f"{off['kernel_ratio']:.2f}× the reference's kernel"
        )
    if not off:
        lines.append("- neither path needed it")
    for key in ("profile_bulk", "profile_kernel"):
        profile = diagnostics.get(key)
        if not profile:
            continue
        lines += [
            "",
            f"cProfile of `{profile['what']}` over the first "
            f"{profile['requests']:,} requests ({profile['wall_s']:.1f} s under the "
            "profiler), top entries by own time:",
            "",
            "| function | calls | own s | cumulative s |",
            "|---|---:|---:|---:|",
        ]
        for entry in profile["by_tottime"][:15]:
            lines.append(
                f"| `{entry['function']}` | {entry['calls']:,} | "
                f"{entry['tottime_s']:.2f} | {entry['cumtime_s']:.2f} |"
            )
        if key == "profile_bulk":
            lines += [
                "",
                "By cumulative time:",
                "",
                "| function | cumulative s |",
                "|---|---:|",
            ]
            for entry in profile["by_cumtime"][:15]:
                lines.append(f"| `{entry['function']}` | {entry['cumtime_s']:.2f} |")
    return lines


def _owner(body, department):
    return f"{body}/{department}" if department else (body or "—")


def _runs(path):
    return ", ".join(f"{s:.2f}" for s in path["runs_s"])


# -- the run --------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=(
            "Route stored requests through geopool's bulk path and a numpy/shapely "
            "reference in one run, check a sample against a SQL oracle, and write "
            "benchmarks/results/route_bulk.{md,json}."
        )
    )
    parser.add_argument("--requests", type=int, default=DEFAULT_REQUESTS)
    parser.add_argument("--roads", type=int, default=DEFAULT_ROADS)
    parser.add_argument("--sample", type=int, default=DEFAULT_SAMPLE)
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs per path; best kept (default 2)"
    )
    parser.add_argument("--seed", type=int, default=5256)
    parser.add_argument(
        "--database-url",
        default=rd.DEFAULT_DATABASE_URL,
        help="dedicated PostGIS database, created if missing; never one in use "
        f"(default {rd.DEFAULT_DATABASE_URL})",
    )
    parser.add_argument(
        "--fresh", action="store_true", help="drop and recreate the database first"
    )
    parser.add_argument(
        "--reload",
        action="store_true",
        help="regenerate the roads and requests even when the stored ones match",
    )
    parser.add_argument(
        "--allow-other-requests",
        action="store_true",
        help="run although the database holds requests the benchmark did not make",
    )
    parser.add_argument(
        "--diagnostics",
        choices=("auto", "always", "never"),
        default="auto",
        help="when the speed target is missed (auto): run geopool's paths once "
        "more with the garbage collector off, and cProfile route_stored and "
        f"engine.route over the first {PROFILE_REQUESTS:,} requests",
    )
    parser.add_argument("--output", type=Path, default=rd.RESULTS)
    args = parser.parse_args(argv)
    if args.requests < 1000 or args.sample < 1 or args.repeat < 1:
        parser.error("--requests >= 1000, --sample >= 1 and --repeat >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="geopool-bench-") as folder:
        return run(args, Path(folder))


def run(args, folder):
    url = args.database_url
    env = rd.geopool_env(url, folder / "media")
    machine = rd.machine_info()
    load_start = rd.load_average()
    log(
        f"{machine['nproc']} cores, {machine['cpu']}; {args.requests:,} requests, "
        f"{args.roads:,} roads, database {rd.redacted(url)}"
    )
    rd.database_prepare(url, env, fresh=args.fresh)
    world = rd.world_read(url)
    roads = rd.roads_ensure(url, env, world, args.roads, args.seed, folder, args.reload)
    rd.django_setup(env)
    setup_s = requests_ensure(url, world, args, roads)
    log("reading the stored requests")
    points = requests_read(url, args, roads)
    ids, lons, lats, categories, targeted = points
    sample = sample_draw(ids, targeted, args.sample, args.seed)

    from django.utils import timezone

    from routing_rules.context import live_context
    from routing_rules.engine import route

    at = timezone.now()
    started = time.perf_counter()
    context = live_context()
    route(context, lons[:1000], lats[:1000], categories[:1000], at)
    cold_index_s = time.perf_counter() - started
    log(f"geopool: routing context and layer indexes built in {cold_index_s:.1f} s")
    started = time.perf_counter()
    reference = Reference(url)
    log(f"reference: prepared in {time.perf_counter() - started:.1f} s")

    n = len(ids)
    runs = {"geopool_bulk": [], "geopool_kernel": [], "reference": []}
    owners = {}
    for attempt in range(1, args.repeat + 1):
        label = f"run {attempt}/{args.repeat}"
        decisions_vacuum(url)
        bulk = geopool_bulk(ids, sample, at)
        owners = owners or bulk["owners"]
        runs["geopool_bulk"].append(bulk)
        log(
            f"geopool route_stored {label}: {bulk['seconds']:.2f} s, "
            f"{n / bulk['seconds']:,.0f}/s {bulk['phases']}"
        )
        kernel = geopool_kernel(context, lons, lats, categories, at)
        runs["geopool_kernel"].append(kernel)
        log(
            f"geopool engine.route {label}: {kernel['seconds']:.2f} s, "
            f"{n / kernel['seconds']:,.0f}/s {kernel['phases']}"
        )
        seconds, phases, _owner = reference.run(ids)
        runs["reference"].append({"seconds": seconds, "phases": phases})
        log(f"reference {label}: {seconds:.2f} s, {n / seconds:,.0f}/s {phases}")

    figures = _figures(runs, n)
    log(
        f"geopool/reference {figures['ratio']:.2f}x; kernel "
        f"{figures['kernel_ratio']:.2f}x"
    )
    missed = figures["ratio"] < TARGET_RATIO

    diagnostics = {}
    if args.diagnostics == "always" or (args.diagnostics == "auto" and missed):
        # Rerun without the collector only the paths it held up noticeably
        # (a path that pauses the collector itself shows no collections).
        gc_off = {}
        shares = {
            "bulk": figures["geopool_bulk"]["phases"]["gc_pause_s"]
            / figures["geopool_bulk"]["best_s"],
            "kernel": figures["geopool_kernel"]["phases"]["gc_pause_s"]
            / figures["geopool_kernel"]["best_s"],
        }
        if shares["bulk"] >= GC_SHARE_RERUN:
            log("diagnostic: route_stored with the garbage collector disabled")
            decisions_vacuum(url)
            bulk = geopool_bulk(ids, sample, at, collect=False)
            gc_off["geopool_bulk_s"] = round(bulk["seconds"], 2)
            gc_off["geopool_bulk_phases"] = bulk["phases"]
            gc_off["ratio"] = figures["reference"]["best_s"] / bulk["seconds"]
        if shares["kernel"] >= GC_SHARE_RERUN:
            log("diagnostic: engine.route with the garbage collector disabled")
            kernel = geopool_kernel(context, lons, lats, categories, at, collect=False)
            gc_off["geopool_kernel_s"] = round(kernel["seconds"], 2)
            gc_off["kernel_ratio"] = (
                figures["reference"]["phases"]["kernel_s"] / kernel["seconds"]
            )
        diagnostics["gc_share"] = {k: round(v, 3) for k, v in shares.items()}
        diagnostics["gc_off"] = gc_off
        if gc_off:
            log(f"diagnostic, collector off: {gc_off}")
        m = min(PROFILE_REQUESTS, n)
        log(f"profiling route_stored and engine.route over {m:,} requests")
        decisions_vacuum(url)
        diagnostics["profile_bulk"] = geopool_profile(ids, at, m)
        diagnostics["profile_kernel"] = kernel_profile(
            context, lons, lats, categories, at, m
        )
        decisions_vacuum(url)

    log(f"oracle: {len(sample):,} sample points")
    correctness = oracle_compare(url, rd.pack_settings(), sample, owners, points)
    log(
        f"oracle: {correctness['agree']:,} agree, {correctness['mismatches']} "
        f"mismatches, {correctness['boundary_cases']} boundary cases"
    )

    with psycopg.connect(url) as conn:
        version = conn.execute(
            "SELECT version FROM routing_rules_ruleset WHERE is_active"
        ).fetchone()[0]
        conn.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
    meta = {
        "machine": machine,
        "software": rd.software(url),
        "database_url": rd.redacted(url),
        "load_average": {"start": load_start, "end": rd.load_average()},
        "parameters": {
            "requests": n,
            "targeted": int(targeted.sum()),
            "roads": args.roads,
            "sample": len(sample),
            "repeat": args.repeat,
            "seed": args.seed,
            "batch": _batch(),
        },
        "roads": roads,
        "rule_set_version": version,
        "requests_setup_s": setup_s,
        "cold_index_s": cold_index_s,
        "targets": {"ratio_min": TARGET_RATIO, "mismatches_max": 0},
    }
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "route_bulk.md").write_text(
        report_markdown(meta, figures, correctness, diagnostics), encoding="utf-8"
    )
    rd.write_json(
        args.output / "route_bulk.json",
        {
            **meta,
            "figures": figures,
            "runs": _runs_json(runs),
            "correctness": correctness,
            "diagnostics": diagnostics,
        },
    )
    log(f"results: {args.output / 'route_bulk.md'}")
    return 0 if not missed and correctness["mismatches"] == 0 else 1


def _figures(runs, n):
    bulk = min(runs["geopool_bulk"], key=lambda r: r["seconds"])
    kernel = min(runs["geopool_kernel"], key=lambda r: r["seconds"])
    reference = min(runs["reference"], key=lambda r: r["seconds"])
    result = bulk["result"]
    return {
        "geopool_bulk": {
            "best_s": bulk["seconds"],
            "points_per_s": n / bulk["seconds"],
            "runs_s": [r["seconds"] for r in runs["geopool_bulk"]],
            "phases": bulk["phases"],
            "stored": bulk["stored"],
            "decision_row_bytes": bulk["row_bytes"],
            "decision_table_bytes": bulk["table_bytes"],
            "shapes": bulk["shapes"],
            "shape_bytes": bulk["shape_bytes"],
            "routed": result.routed,
            "triage": result.triage,
            "refused": len(result.refused),
            "owners": dict(sorted(result.owners.items(), key=lambda kv: -kv[1])),
        },
        "geopool_kernel": {
            "best_s": kernel["seconds"],
            "points_per_s": n / kernel["seconds"],
            "runs_s": [r["seconds"] for r in runs["geopool_kernel"]],
            "phases": kernel["phases"],
            "share_of_bulk": kernel["seconds"] / bulk["seconds"],
        },
        "reference": {
            "best_s": reference["seconds"],
            "points_per_s": n / reference["seconds"],
            "runs_s": [r["seconds"] for r in runs["reference"]],
            "phases": reference["phases"],
        },
        "ratio": reference["seconds"] / bulk["seconds"],
        "kernel_ratio": reference["phases"]["kernel_s"] / kernel["seconds"],
    }


def _runs_json(runs):
    return {
        "geopool_bulk": [
            {"seconds": round(r["seconds"], 3), "phases": r["phases"]}
            for r in runs["geopool_bulk"]
        ],
        "geopool_kernel": [
            {"seconds": round(r["seconds"], 3), "phases": r["phases"]}
            for r in runs["geopool_kernel"]
        ],
        "reference": runs["reference"],
    }


def _batch():
    from routing_rules.services.bulk import BATCH

    return BATCH


if __name__ == "__main__":
    sys.exit(main())
