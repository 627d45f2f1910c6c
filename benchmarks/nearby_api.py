"""Benchmark ``GET /api/nearby`` at 100k and 1M requests beside ``/api/health``.

What: a dedicated database prepared as ``scripts/demo`` prepares it
(migrated, the Hatay pack and its layers loaded; ``routing_data``) holding
``--sizes`` generated requests (default 100,000 then 1,000,000), written with
``COPY``: points inside Hatay's real districts (65 % around the district
seats, the rest uniform), categories from the pack, owned by the district
municipality where they lie (60 %), HBB (25 %) or an agency (15 %),
received over ten years; ``--open-share`` (15 %) of them open (new,
assigned, accepted, in progress), the rest closed, as years of history
leave them. The requests of a size are rows ``NB0000000`` … in order, so
the larger size holds the smaller one plus more, and a second run reuses
what the first wrote (rows beyond a size are removed when it is measured
again).

For each size, in one run:

1. over HTTP (gunicorn exactly as ``scripts/demo`` serves it, on a free
   port, ``decide_latency.Server``), ``--clients`` keep-alive clients send
   phases interleaved ``--repeat`` times: ``/api/health`` (the trivial view,
   no database) and ``/api/nearby?lon=&lat=&radius_m=5000&limit=20`` at
   ``--positions`` (1,000) random crew positions (the same positions at
   every size; 70 % around the district seats, the rest uniform), with an
   API key of HBB's from ``manage.py create_api_key`` (revoked at the end).
   The best phase of each counts (lowest p95);
2. in process, the API's first statement alone (the key check and the
   KNN's tickets with their fields, ``rows_nearby_for_key``'s first try),
   prepared and run as the app runs it (``geopool.prepared``), per
   position, no HTTP, no ORM; and at how many positions its rows did not
   settle the answer, so that the API ran its second statement;
3. ordering: for every position, the API's answer (tracking codes and
   distances) against the oracle: every open HBB row within the radius
   measured with ``ST_Distance`` on geography and sorted (``ORDER BY
   ST_Distance``, id), with index scans for ordering switched off, so no
   KNN is involved. Any difference is a failure;
4. the plan of that prepared statement at that size (``EXPLAIN (ANALYZE,
   BUFFERS) EXECUTE``, the plan made once for every value), to show the KNN
   index scans.

Targets: nearby p95 <= 2x health p95 at every size; nearby p95 at the
largest size <= 1.5x at the smallest; ordering equal at every position.

Run from the repository root::

    .venv/bin/python benchmarks/nearby_api.py --database-url postgres:///geopool_nearby
    .venv/bin/python benchmarks/nearby_api.py --sizes 20000,200000 --positions 300
"""

import argparse
import http.client
import io
import json
import os
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import decide_latency as dl  # the gunicorn server, load phases, percentiles
import numpy as np
import psycopg
import routing_data as rd
from routing_data import log

DEFAULT_DATABASE_URL = "postgres:///geopool_nearby"
DEFAULT_SIZES = "100000,1000000"
DEFAULT_POSITIONS = 1_000
DEFAULT_CLIENTS = 4
DEFAULT_REPEAT = 3
DEFAULT_OPEN_SHARE = 0.15
RADIUS_M = 5_000
LIMIT = 20
TARGET_HEALTH_RATIO = 2.0
TARGET_GROWTH = 1.5
CODE_PREFIX = "NB"
KEY_BODY = "HBB"
OPEN_STATUSES = ("new", "assigned", "accepted", "in_progress")
CLOSED_STATUSES = ("closed", "resolved", "refused", "duplicate")
OWNER_SHARES = (0.60, 0.25, 0.15)  # district municipality, HBB, an agency
AGENCIES = ("HATSU", "KGM", "AKSA", "TEDAS")
COPY_COLUMNS = (
    "tracking_code, category_id, description, public_description, channel, "
    "location, location_source, address_string, status, is_urgent, "
    "owner_body_id, needs_triage, recorded_owner, external_id, is_sample, "
    "requested_at, updated_at, closed_at"
)
CHUNK = 100_000

# The oracle: no KNN (index scans that could order are switched off; the
# radius finds the rows through a bitmap, which has no order), every row
# within the radius measured and sorted.
ORACLE = """
    SELECT r.tracking_code, ST_Distance(r.location::geography, p.g) AS metres
    FROM geopool_servicerequest r,
         (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography AS g) p
    WHERE r.owner_body_id = %(body)s
      AND r.status NOT IN ('closed', 'duplicate', 'refused', 'resolved')
      AND r.location IS NOT NULL
      AND ST_DWithin(r.location::geography, p.g, %(radius)s)
      AND ST_Distance(r.location::geography, p.g) <= %(radius)s
    ORDER BY ST_Distance(r.location::geography, p.g), r.id
    LIMIT %(limit)s
"""


# -- the data -----------------------------------------------------------------------


def bench_count(conn):
    return conn.execute(
        "SELECT count(*) FROM geopool_servicerequest WHERE tracking_code LIKE %s",
        [CODE_PREFIX + "%"],
    ).fetchone()[0]


def _ids(conn, table, codes):
    rows = conn.execute(
        f"SELECT code, id FROM {table} WHERE code = ANY(%s)", [list(codes)]
    ).fetchall()
    return dict(rows)


def rows_generate(world, conn, start, stop, seed):
    """Rows ``start`` … ``stop - 1`` as COPY text; deterministic per chunk."""
    categories = _ids(conn, "geopool_category", world.categories)
    bodies = dict(conn.execute("SELECT code, id FROM geopool_body").fetchall())
    agencies = [bodies[c] for c in AGENCIES if c in bodies] or [bodies[KEY_BODY]]
    category_ids = np.asarray([categories[c] for c in world.categories])
    out = io.StringIO()
    for first in range(start - start % CHUNK, stop, CHUNK):
        rng = np.random.default_rng([seed, first])
        n = CHUNK
        n_town = int(n * 0.65)
        lon_t, lat_t = rd.points_towns(rng, world, n_town, 3_000)
        lon_u, lat_u = rd.points_uniform(rng, world, n - n_town)
        lon = np.concatenate([lon_t, lon_u])
        lat = np.concatenate([lat_t, lat_u])
        order = rng.permutation(n)
        lon, lat = lon[order], lat[order]
        district = rd._district_of(world, lon, lat)
        pick = rng.random(n)
        owner = np.empty(n, dtype=np.int64)
        for i, code in enumerate(district):
            body = world.district_body.get(code)
            owner[i] = bodies[body] if body else bodies[KEY_BODY]
        hbb = (pick >= OWNER_SHARES[0]) & (pick < OWNER_SHARES[0] + OWNER_SHARES[1])
        owner[hbb] = bodies[KEY_BODY]
        agency = pick >= OWNER_SHARES[0] + OWNER_SHARES[1]
        owner[agency] = np.asarray(agencies)[rng.integers(0, len(agencies), n)][agency]
        is_open = rng.random(n) < OPEN_SHARE
        status = np.where(
            is_open,
            np.asarray(OPEN_STATUSES)[rng.integers(0, len(OPEN_STATUSES), n)],
            np.asarray(CLOSED_STATUSES)[rng.integers(0, len(CLOSED_STATUSES), n)],
        )
        category = category_ids[rng.integers(0, len(category_ids), n)]
        age_s = rng.uniform(0, 10 * 365 * 86400, n)
        now = time.time()
        for j in range(n):
            index = first + j
            if index < start or index >= stop:
                continue
            received = time.strftime(
                "%Y-%m-%d %H:%M:%S+00", time.gmtime(now - age_s[j])
            )
            closed = "\\N" if is_open[j] else received
            out.write(
                f"{CODE_PREFIX}{index:07d}\t{category[j]}\t\t\tapi\t"
                f"SRID=4326;POINT({lon[j]:.7f} {lat[j]:.7f})\tgiven\t\t{status[j]}\t"
                f"f\t{owner[j]}\tf\t\t\tf\t{received}\t{received}\t{closed}\n"
            )
    return out.getvalue()


def size_ensure(url, world, size, seed):
    """Make the benchmark rows exactly ``NB0000000`` … ``size - 1``."""
    with psycopg.connect(url, autocommit=True) as conn:
        have = bench_count(conn)
        if have > size:
            log(f"removing {have - size:,} rows beyond {size:,}")
            conn.execute(
                "DELETE FROM geopool_servicerequest WHERE tracking_code LIKE %s "
                "AND tracking_code >= %s",
                [CODE_PREFIX + "%", f"{CODE_PREFIX}{size:07d}"],
            )
            conn.execute("VACUUM ANALYZE geopool_servicerequest")
        elif have < size:
            log(f"writing rows {have:,} … {size - 1:,} with COPY")
            started = time.perf_counter()
            for first in range(have, size, CHUNK):
                last = min(first + CHUNK, size)
                text = rows_generate(world, conn, first, last, seed)
                with (
                    conn.cursor() as cursor,
                    cursor.copy(
                        f"COPY geopool_servicerequest ({COPY_COLUMNS}) FROM STDIN"
                    ) as copy,
                ):
                    copy.write(text)
                log(f"  {last:,} rows ({time.perf_counter() - started:.0f} s)")
            conn.execute("VACUUM ANALYZE geopool_servicerequest")
        # The pages the load and VACUUM dirtied are written now, not by a
        # checkpoint in the middle of the measured phases.
        conn.execute("CHECKPOINT")
        counts = dict(
            conn.execute(
                "SELECT status, count(*) FROM geopool_servicerequest "
                "WHERE tracking_code LIKE %s GROUP BY status",
                [CODE_PREFIX + "%"],
            ).fetchall()
        )
        total = conn.execute("SELECT count(*) FROM geopool_servicerequest").fetchone()[
            0
        ]
    return {"requests": total, "by_status": counts}


OPEN_SHARE = DEFAULT_OPEN_SHARE


def positions_generate(world, n, seed):
    rng = np.random.default_rng([seed, n, 7])
    n_town = int(n * 0.7)
    lon_t, lat_t = rd.points_towns(rng, world, n_town, 2_000)
    lon_u, lat_u = rd.points_uniform(rng, world, n - n_town)
    # As the API receives them (six decimals, about 10 cm), for the oracle too.
    lons = np.round(np.concatenate([lon_t, lon_u]), 6)
    return lons, np.round(np.concatenate([lat_t, lat_u]), 6)


def nearby_paths(lons, lats):
    return [
        "/api/nearby?"
        + urllib.parse.urlencode(
            {
                "lon": f"{lon:.6f}",
                "lat": f"{lat:.6f}",
                "radius_m": RADIUS_M,
                "limit": LIMIT,
            }
        )
        for lon, lat in zip(lons, lats, strict=True)
    ]


# -- measuring ----------------------------------------------------------------------


def http_phases(env, folder, paths, key, args, check):
    from django.db import connections

    connections.close_all()
    per_client = [paths[k :: args.clients] for k in range(args.clients)]
    health = [["/api/health"] for _ in range(args.clients)]
    headers = {"Authorization": f"Bearer {key}", "Connection": "keep-alive"}
    phases = {"health": [], "nearby": []}
    count = max(len(paths) // args.clients, 50)
    server_env = dict(env)
    if "LOG_LEVEL" not in os.environ:
        server_env.pop("LOG_LEVEL", None)
    with dl.Server(server_env, folder) as server:
        log(f"gunicorn on port {server.port}")
        for attempt in range(1, args.repeat + 1):
            for name, work in (("health", health), ("nearby", per_client)):
                figures = dl.load_phase(server.port, work, headers, count, 20)
                phases[name].append(figures)
                log(
                    f"  {name} {attempt}/{args.repeat}: p50 {figures['p50_ms']:.2f} "
                    f"ms, p95 {figures['p95_ms']:.2f} ms, "
                    f"{figures['requests_per_s']:,.0f} req/s, "
                    f"{figures['errors']} errors"
                )
        checked = check(server.port)
    return phases, checked


def _statement(key):
    """The API's statement for a key's caller, as the app prepares it."""
    from geopool.services import nearby

    prefix = key.split("_")[1]
    text = nearby._numbered(nearby._FIRST_ROWS_FOR_KEY, LIMIT, nearby._KEY_PARAMS)

    def values(lon, lat):
        return [float(lon), float(lat), float(RADIUS_M), None, None, prefix]

    return text, nearby._KEY_TYPES, values


def in_process(lons, lats, key):
    """The API's statement alone, run as the app runs it, per position.

    Returns the times (s) and at how many positions its rows did not settle
    the answer, so that the API ran its second statement there.
    """
    from geopool import prepared
    from geopool.models import ApiKey
    from geopool.services import nearby

    text, types, values = _statement(key)
    prepared.fetch(text, types, values(lons[0], lats[0]))
    width = len(ApiKey.CHECK_COLUMNS.split(","))
    times, second = [], 0
    for lon, lat in zip(lons, lats, strict=True):
        t0 = time.perf_counter()
        rows = prepared.fetch(text, types, values(lon, lat))
        times.append(time.perf_counter() - t0)
        first = [row[width:] for row in rows if row[width] is not None]
        second += nearby._settled(first, LIMIT, float(RADIUS_M), at=1) is None
    return times, second


def plan(key, lon, lat):
    """The plan the app's prepared statement runs with (planned once)."""
    from django.db import connection

    from geopool import prepared

    text, types, values = _statement(key)
    prepared.fetch(text, types, values(lon, lat))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM pg_prepared_statements WHERE statement = %s",
            [prepared._text(text, types)],
        )
        (name,) = cursor.fetchone()
        cursor.execute(
            f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE {name} (%s, %s, %s, NULL, NULL, %s)",
            values(lon, lat)[:3] + values(lon, lat)[5:],
        )
        return [row[0] for row in cursor.fetchall()]


def ordering_check(url, port, paths, lons, lats, key, body_id):
    """Every position: the API's list against the oracle's. Returns mismatches."""
    server = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {key}"}
    mismatches, empty, listed = [], 0, 0
    with psycopg.connect(url) as conn:
        conn.execute("SET enable_indexscan = off")
        for path, lon, lat in zip(paths, lons, lats, strict=True):
            try:
                server.request("GET", path, headers=headers)
                response = server.getresponse()
            except (http.client.HTTPException, OSError):
                # gunicorn closes a keep-alive connection idle for 2 s.
                server.close()
                server = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                server.request("GET", path, headers=headers)
                response = server.getresponse()
            body = response.read()
            if response.status != 200:
                mismatches.append({"path": path, "status": response.status})
                continue
            got = [
                (r["tracking_code"], round(r["distance_m"], 1))
                for r in json.loads(body)["requests"]
            ]
            truth = [
                (code, round(metres, 1))
                for code, metres in conn.execute(
                    ORACLE,
                    {
                        "lon": float(lon),
                        "lat": float(lat),
                        "body": body_id,
                        "radius": RADIUS_M,
                        "limit": LIMIT,
                    },
                ).fetchall()
            ]
            listed += len(got)
            empty += not got
            if got != truth:
                mismatches.append({"path": path, "api": got, "oracle": truth})
    server.close()
    return {
        "positions": len(paths),
        "rows_compared": listed,
        "positions_with_no_ticket": empty,
        "mismatches": len(mismatches),
        "first_mismatches": mismatches[:3],
    }


# -- the report -----------------------------------------------------------------------


def _best(phases):
    return min(phases, key=lambda f: f["p95_ms"])


def report_markdown(meta, sizes):
    lines = rd.header_lines(
        "Nearby API benchmark: /api/nearby beside /api/health", "nearby_api.py", meta
    )
    p = meta["parameters"]
    lines += [
        "",
        f"{p['positions']:,} random crew positions, radius {RADIUS_M:,} m, limit "
        f"{LIMIT}, an API key of {KEY_BODY}'s; {p['clients']} keep-alive clients, "
        f"phases interleaved {p['repeat']} times, best phase (lowest p95) of each "
        f"kept; open share {p['open_share']:.0%}. gunicorn as scripts/demo serves "
        "it.",
        "",
        "| requests | open | endpoint | p50 ms | p95 ms | p99 ms | req/s | errors |",
        "|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        opened = sum(
            v for k, v in size["data"]["by_status"].items() if k in OPEN_STATUSES
        )
        for name in ("health", "nearby"):
            best = _best(size["http"][name])
            lines.append(
                f"| {size['size']:,} | {opened:,} | `/api/{name}` | "
                f"{best['p50_ms']:.2f} | {best['p95_ms']:.2f} | {best['p99_ms']:.2f} | "
                f"{best['requests_per_s']:,.0f} | {best['errors']} |"
            )
    lines += [
        "",
        "| requests | nearby p95 / health p95 | target | query alone p50 / p95 ms "
        "| ordering vs ST_Distance ORDER BY |",
        "|---:|---:|---:|---:|---|",
    ]
    for size in sizes:
        ratio = size["ratio_health"]
        q = size["query"]
        o = size["ordering"]
        lines.append(
            f"| {size['size']:,} | {ratio:.2f}× | ≤ {TARGET_HEALTH_RATIO}× "
            f"{'✓' if ratio <= TARGET_HEALTH_RATIO else '✗'} | "
            f"{q['p50_ms']:.3f} / {q['p95_ms']:.3f} | "
            f"{o['positions'] - o['mismatches']}/{o['positions']} equal "
            f"({o['rows_compared']:,} rows) |"
        )
    growth = meta["growth"]
    if len(sizes) > 1:
        lines += [
            "",
            f"- nearby p95 at {sizes[-1]['size']:,} / at {sizes[0]['size']:,}: "
            f"{growth:.2f}× (target ≤ {TARGET_GROWTH}× "
            f"{'✓' if growth <= TARGET_GROWTH else '✗'})",
        ]
    else:
        lines += ["", "- one size in this run: no growth figure (see the notes)"]
    for size in sizes:
        second = size["query"].get("second_tries")
        if second is not None:
            lines.append(
                f"- at {size['size']:,} requests the first statement's rows did not "
                f"settle the answer at {second} of {size['ordering']['positions']:,} "
                "positions (the API ran its second statement there)"
            )
    lines += [
        "",
        f"Query plan at {sizes[-1]['size']:,} requests (one position):",
        "",
        "```",
        *sizes[-1]["plan"],
        "```",
    ]
    if meta.get("notes"):
        lines += ["", "Notes:", ""] + [f"- {note}" for note in meta["notes"]]
    return "\n".join(lines) + "\n"


# -- main ---------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--sizes", default=DEFAULT_SIZES)
    parser.add_argument("--positions", type=int, default=DEFAULT_POSITIONS)
    parser.add_argument("--clients", type=int, default=DEFAULT_CLIENTS)
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT)
    parser.add_argument("--open-share", type=float, default=DEFAULT_OPEN_SHARE)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--fresh", action="store_true", help="recreate the database")
    parser.add_argument("--output", type=Path, default=rd.RESULTS)
    parser.add_argument(
        "--note", action="append", default=[], help="a line for the results' notes"
    )
    args = parser.parse_args(argv)
    args.sizes = sorted(int(s) for s in args.sizes.split(","))
    return args


def main(argv=None):
    args = parse_args(argv)
    global OPEN_SHARE
    OPEN_SHARE = args.open_share
    with tempfile.TemporaryDirectory(prefix="geopool-bench-") as folder:
        return run(args, Path(folder))


def run(args, folder):
    url = args.database_url
    env = rd.geopool_env(url, folder / "media")
    machine = rd.machine_info()
    load_start = rd.load_average()
    log(
        f"{machine['nproc']} cores; sizes {args.sizes}, {args.positions:,} "
        f"positions, database {rd.redacted(url)}"
    )
    rd.database_prepare(url, env, fresh=args.fresh)
    world = rd.world_read(url)
    lons, lats = positions_generate(world, args.positions, args.seed)
    paths = nearby_paths(lons, lats)
    rd.django_setup(env)
    with psycopg.connect(url) as conn:
        body_id = conn.execute(
            "SELECT id FROM geopool_body WHERE code = %s", [KEY_BODY]
        ).fetchone()[0]
    key = dl.api_key_create(env)
    sizes = []
    try:
        for size in args.sizes:
            log(f"size {size:,}")
            data = size_ensure(url, world, size, args.seed)
            from django.db import connections

            connections.close_all()
            phases, ordering = http_phases(
                env,
                folder,
                paths,
                key,
                args,
                lambda port: ordering_check(url, port, paths, lons, lats, key, body_id),
            )
            times, second = in_process(lons, lats, key)
            query = dl.percentiles(times)
            query["second_tries"] = second
            log(
                f"  query alone p50 {query['p50_ms']:.3f} ms, p95 "
                f"{query['p95_ms']:.3f}; second statement at {second} positions"
            )
            log(
                f"  ordering: {ordering['mismatches']} mismatches over "
                f"{ordering['positions']} positions"
            )
            ratio = (
                _best(phases["nearby"])["p95_ms"] / _best(phases["health"])["p95_ms"]
            )
            sizes.append(
                {
                    "size": size,
                    "data": data,
                    "http": phases,
                    "query": query,
                    "ordering": ordering,
                    "ratio_health": ratio,
                    "plan": plan(key, lons[0], lats[0]),
                }
            )
    finally:
        dl.api_key_revoke(env, key)
    growth = (
        _best(sizes[-1]["http"]["nearby"])["p95_ms"]
        / _best(sizes[0]["http"]["nearby"])["p95_ms"]
    )
    notes = list(args.note)
    meta = {
        "machine": machine,
        "software": {**rd.software(url), "gunicorn": dl._gunicorn_version()},
        "database_url": rd.redacted(url),
        "load_average": {"start": load_start, "end": rd.load_average()},
        "parameters": {
            "sizes": args.sizes,
            "positions": args.positions,
            "clients": args.clients,
            "repeat": args.repeat,
            "open_share": args.open_share,
            "radius_m": RADIUS_M,
            "limit": LIMIT,
            "seed": args.seed,
        },
        "targets": {
            "nearby_over_health_p95_max": TARGET_HEALTH_RATIO,
            "growth_p95_max": TARGET_GROWTH,
        },
        "growth": growth,
        "notes": [
            "`/api/nearby` checks the key and reads the nearest tickets in one "
            "prepared statement (KNN over the partial GiST index of open "
            "requests on owner and location for the limit + 5 nearest on the "
            "sphere, their exact distances and fields); only when the sphere "
            "cannot rule out a ticket left out does a second statement read "
            "every ticket within an exact bound; `/api/health` touches no "
            "database",
            "the data are written, vacuumed and checkpointed before each size "
            "is measured, so no checkpoint writes the load's pages during it",
            *notes,
        ],
    }
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "nearby_api.md").write_text(
        report_markdown(meta, sizes), encoding="utf-8"
    )
    rd.write_json(args.output / "nearby_api.json", {**meta, "sizes": sizes})
    log(f"results: {args.output / 'nearby_api.md'}")
    ok = (
        all(s["ratio_health"] <= TARGET_HEALTH_RATIO for s in sizes)
        and (len(sizes) == 1 or growth <= TARGET_GROWTH)
        and all(s["ordering"]["mismatches"] == 0 for s in sizes)
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
