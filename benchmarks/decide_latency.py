"""Benchmark single routing decisions: in process, and over HTTP under load.

What: the same world as ``route_bulk.py`` (Hatay's real districts, the demo
road layer grown to 50,000 segments, loaded through ``manage.py
import_layer``; ``routing_data``), and ``--points`` request points inside the
districts (most around the district seats, 10 % targeted at set distances
from roads, parks and the container city; categories from the pack's).

1. In process, warm (the routing context and layer indexes built first):
   for each point, ``routing_rules.decide.decide((lon, lat), category)`` (no
   HTTP) beside the one raw SQL statement a hand-written service would send
   for the same point through psycopg: the district that covers it
   (``ST_Covers`` on the district layer's lookup geometries, the parts of
   subdivided features) and the nearest road within 25 m (geography
   ``ST_DWithin``, served by the geometry index through a box grown by 25 m,
   as ``geopool.spatial`` prescribes), nearest first. The two alternate
   point by point (which goes first alternates too); ``--passes`` passes.
2. Over HTTP: geopool served by gunicorn exactly as ``scripts/demo`` serves
   it (``--workers 3 --worker-class gthread --threads 8 --timeout 60
   --no-control-socket``, access log on) on a free local port, and 8 client
   processes, each with one keep-alive connection (``http.client``), sending
   requests back to back: ``GET /api/route?lon=&lat=&category=`` with
   ``Authorization: Bearer KEY`` (a key made by ``manage.py create_api_key``
   and revoked at the end), and ``GET /api/health`` (a trivial view: no
   database) under the same load. Phases alternate health, route, health,
   route … (``--repeat``); each phase's latencies are every request's time
   from send to the last byte read; the phase with the lowest p95 counts.

Targets: ``decide`` p95 <= 3x the raw query's p95; ``/api/route`` p95 under
8 clients <= 3x ``/api/health``'s p95 under the same load.

Run from the repository root::

    .venv/bin/python benchmarks/decide_latency.py
    .venv/bin/python benchmarks/decide_latency.py --points 500 --requests 200
"""

import argparse
import contextlib
import cProfile
import gc
import http.client
import io
import json
import multiprocessing
import os
import pstats
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import numpy as np
import psycopg
import routing_data as rd
from routing_data import log

DEFAULT_POINTS = 2_000
DEFAULT_ROADS = 50_000
DEFAULT_CLIENTS = 8
DEFAULT_REQUESTS = 500  # per client and phase
TARGET_DECIDE = 3.0  # decide p95 / raw SQL p95, at most
TARGET_HTTP = 3.0  # /api/route p95 / /api/health p95, at most
TARGETED_SHARE = 0.10
KEY_NAME = "decide_latency benchmark"
# As scripts/demo starts gunicorn (WORKERS and THREADS at their defaults).
# As scripts/demo serves geopool, which also reads WORKERS and THREADS.
GUNICORN_FLAGS = [
    "--workers",
    os.environ.get("WORKERS", "3"),
    "--worker-class",
    "gthread",
    "--threads",
    os.environ.get("THREADS", "8"),
    "--timeout",
    "60",
    "--no-control-socket",
    "--access-logfile",
    "-",
]

# The district covering the point (lowest code on an edge) and the nearest
# road within 25 m: one statement, one round trip.
RAW_QUERY = """
WITH p AS (SELECT ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326) AS g)
SELECT d.code, r.owner, r.metres
FROM p
LEFT JOIN LATERAL (
    SELECT f.code FROM boundaries_lookup l
    JOIN boundaries_feature f ON f.id = l.feature_id
    WHERE l.generation_id = %(districts)s AND ST_Covers(l.geometry, p.g)
    ORDER BY f.code LIMIT 1
) d ON true
LEFT JOIN LATERAL (
    SELECT f.attributes->>'owner' AS owner,
           ST_Distance(f.geometry::geography, p.g::geography) AS metres
    FROM boundaries_feature f
    WHERE f.generation_id = %(roads)s
      AND f.geometry && ST_Expand(p.g, 0.0003)
      AND ST_DWithin(f.geometry::geography, p.g::geography, 25)
    ORDER BY metres LIMIT 1
) r ON true
"""
# 0.0003 degrees hold 25 m here: 0.00028 degrees of longitude at 37.2 N
# (Hatay's north end) and 0.00023 of latitude.


def percentiles(values_s):
    """p50/p95/p99/mean/max in milliseconds of a list of seconds."""
    a = np.asarray(values_s) * 1000.0
    if not len(a):
        return {"n": 0}
    return {
        "n": int(len(a)),
        "p50_ms": float(np.percentile(a, 50)),
        "p95_ms": float(np.percentile(a, 95)),
        "p99_ms": float(np.percentile(a, 99)),
        "mean_ms": float(a.mean()),
        "max_ms": float(a.max()),
    }


# -- part 1: in process ---------------------------------------------------------


def in_process(url, points, passes):
    """Time decide() and the raw query point by point; return their figures."""
    from routing_rules.decide import decide

    with psycopg.connect(url, autocommit=True) as conn:
        districts = rd.active_generation(conn, "districts")[0]
        roads = rd.active_generation(conn, "roads")[0]
        params = {"districts": districts, "roads": roads}

        def raw(x, y):
            return conn.execute(RAW_QUERY, {**params, "x": x, "y": y}).fetchone()

        lons, lats = points.lon.tolist(), points.lat.tolist()
        categories = points.category.tolist()
        # Warm both: the routing context and layer indexes, the prepared
        # statement (psycopg prepares a query after its fifth run).
        warm = min(200, len(lons))
        for i in range(warm):
            decide((lons[i], lats[i]), categories[i])
            raw(lons[i], lats[i])
        gc.collect()
        times = {"decide": [], "raw_sql": []}
        agree = {"district": 0, "checked": 0}
        for p in range(passes):
            for i in range(len(lons)):
                x, y = lons[i], lats[i]
                order = (
                    ("decide", "raw_sql") if (i + p) % 2 == 0 else ("raw_sql", "decide")
                )
                for what in order:
                    started = time.perf_counter()
                    if what == "decide":
                        outcome = decide((x, y), categories[i])
                    else:
                        row = raw(x, y)
                    times[what].append(time.perf_counter() - started)
                if p == 0 and outcome.place is not None:
                    agree["checked"] += 1
                    agree["district"] += outcome.place.district_code == (row[0] or "")
    return {
        "decide": percentiles(times["decide"]),
        "raw_sql": percentiles(times["raw_sql"]),
        "district_agreement": agree,
        "samples": {k: [round(t * 1000, 3) for t in v] for k, v in times.items()},
    }


def profile_decide(points, top=20):
    """cProfile of decide() over the points (warm): where its time goes."""
    from routing_rules.decide import decide

    lons, lats = points.lon.tolist(), points.lat.tolist()
    categories = points.category.tolist()
    profile = cProfile.Profile()
    profile.enable()
    for x, y, c in zip(lons, lats, categories, strict=True):
        decide((x, y), c)
    profile.disable()
    return _top(profile, f"decide() over {len(lons):,} points", top)


def profile_route_view(points, key, top=20):
    """cProfile of /api/route through Django's test client, in this process.

    Not the server under load, but the same view, middleware and decision:
    what a request costs beyond the decision.
    """
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {key}")
    paths = _route_paths(points)
    for path in paths[:50]:
        client.get(path)
    profile = cProfile.Profile()
    profile.enable()
    for path in paths:
        client.get(path)
    profile.disable()
    return _top(
        profile, f"/api/route via django.test.Client, {len(paths):,} requests", top
    )


def _top(profile, what, top):
    text = io.StringIO()
    stats = pstats.Stats(profile, stream=text)
    entries = []
    for (filename, line, function), (_cc, nc, tt, ct, _callers) in stats.stats.items():
        short = filename
        for marker in ("/site-packages/", str(rd.ROOT) + "/"):
            if marker in filename:
                short = filename.split(marker, 1)[1]
                break
        entries.append(
            {
                "function": f"{short}:{line}({function})",
                "calls": nc,
                "tottime_s": round(tt, 4),
                "cumtime_s": round(ct, 4),
            }
        )
    stats.sort_stats("cumulative").print_stats(top)
    # geopool's own functions (and the database calls), by cumulative time:
    # where a request's time goes below the framework.
    own = [
        e
        for e in entries
        if e["function"].startswith(("geopool/", "routing_rules/", "boundaries/"))
        or "execute" in e["function"]
    ]
    return {
        "what": what,
        "by_tottime": sorted(entries, key=lambda e: -e["tottime_s"])[:top],
        "by_cumtime": sorted(entries, key=lambda e: -e["cumtime_s"])[:top],
        "project_by_cumtime": sorted(own, key=lambda e: -e["cumtime_s"])[:top],
        "text": text.getvalue(),
    }


def profile_lines(profile):
    lines = [
        "",
        f"cProfile of {profile['what']}, top entries by cumulative time:",
        "",
        "| function | calls | own s | cumulative s |",
        "|---|---:|---:|---:|",
    ]
    for entry in profile["by_cumtime"]:
        lines.append(
            f"| `{entry['function']}` | {entry['calls']:,} | "
            f"{entry['tottime_s']:.3f} | {entry['cumtime_s']:.3f} |"
        )
    lines += [
        "",
        "geopool's own functions and the database calls in it, by cumulative time:",
        "",
        "| function | calls | own s | cumulative s |",
        "|---|---:|---:|---:|",
    ]
    for entry in profile["project_by_cumtime"]:
        lines.append(
            f"| `{entry['function']}` | {entry['calls']:,} | "
            f"{entry['tottime_s']:.3f} | {entry['cumtime_s']:.3f} |"
        )
    return lines


# -- part 2: over HTTP ---------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api_key_create(env):
    result = rd.manage(["create_api_key", KEY_NAME, "--body", "HBB"], env)
    key = result.stdout.strip().splitlines()[-1].strip()
    if not key.startswith("gp_"):
        raise SystemExit(f"create_api_key printed no key: {result.stdout!r}")
    return key


def api_key_revoke(env, key):
    try:
        rd.manage(["revoke_api_key", key.split("_")[1]], env)
    except SystemExit as exc:
        log(f"could not revoke the benchmark key: {exc}")


class Server:
    """gunicorn serving geopool as scripts/demo does, on a free port."""

    def __init__(self, env, folder):
        self.port = free_port()
        self.log_path = folder / "gunicorn.log"
        self.cmd = [
            str(Path(sys.executable).parent / "gunicorn"),
            "geopool.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            *GUNICORN_FLAGS,
        ]
        self.env = env
        self.proc = None

    def __enter__(self):
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=rd.ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(
                    f"gunicorn exited with {self.proc.returncode}: "
                    f"{rd.last_line(self.log_path.read_text(errors='replace'))}"
                )
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/api/health")
                if conn.getresponse().status == 200:
                    conn.close()
                    return self
            except OSError:
                time.sleep(0.2)
        raise SystemExit("gunicorn did not answer /api/health within 60 s")

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()
        return False


def client(port, paths, headers, count, warm, barrier, queue):
    """One load client: a keep-alive connection, ``count`` requests back to back."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, errors, reconnects = [], 0, 0

    def get(path):
        nonlocal conn, reconnects
        for attempt in range(2):
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                return response.status
            except (http.client.HTTPException, OSError):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                reconnects += 1
                if attempt:
                    raise
        return None

    try:
        for i in range(warm):
            # A warm-up request timing out on a busy machine is not measured;
            # it must not end the client (the others would wait for it).
            with contextlib.suppress(http.client.HTTPException, OSError):
                get(paths[i % len(paths)])
        barrier.wait(timeout=120)
        started = time.perf_counter()
        for i in range(count):
            t0 = time.perf_counter()
            try:
                status = get(paths[(warm + i) % len(paths)])
            except (http.client.HTTPException, OSError):
                status = None
            latencies.append(time.perf_counter() - t0)
            errors += status != 200
        wall = time.perf_counter() - started
        queue.put(
            {
                "latencies": latencies,
                "errors": errors,
                "reconnects": reconnects,
                "wall_s": wall,
            }
        )
    finally:
        conn.close()


def load_phase(port, paths_per_client, headers, count, warm):
    """Run one phase with one process per client; pooled latencies and rates."""
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(len(paths_per_client))
    queue = ctx.Queue()
    procs = [
        ctx.Process(
            target=client, args=(port, paths, headers, count, warm, barrier, queue)
        )
        for paths in paths_per_client
    ]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=900) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    latencies = [t for r in results for t in r["latencies"]]
    wall = max(r["wall_s"] for r in results)
    figures = percentiles(latencies)
    figures.update(
        {
            "requests_per_s": len(latencies) / wall,
            "errors": sum(r["errors"] for r in results),
            "reconnects": sum(r["reconnects"] for r in results),
        }
    )
    return figures


def _route_paths(points):
    return [
        "/api/route?"
        + urllib.parse.urlencode({"lon": f"{x:.7f}", "lat": f"{y:.7f}", "category": c})
        for x, y, c in zip(points.lon, points.lat, points.category, strict=True)
    ]


def over_http(env, folder, points, key, args):
    from django.db import connections

    # Forked clients must not share this process's database sockets.
    connections.close_all()
    route_paths = _route_paths(points)
    # Each client walks its own slice of the points.
    per_client = [route_paths[k :: args.clients] for k in range(args.clients)]
    health = [["/api/health"] for _ in range(args.clients)]
    headers = {"Authorization": f"Bearer {key}", "Connection": "keep-alive"}
    phases = {"health": [], "route": []}
    server_env = dict(env)
    if "LOG_LEVEL" not in os.environ:  # as scripts/demo: geopool's default level
        server_env.pop("LOG_LEVEL", None)
    with Server(server_env, folder) as server:
        log(f"gunicorn on port {server.port}: {' '.join(server.cmd[1:])}")
        for attempt in range(1, args.repeat + 1):
            for name, paths in (("health", health), ("route", per_client)):
                figures = load_phase(server.port, paths, headers, args.requests, 20)
                phases[name].append(figures)
                log(
                    f"{name} phase {attempt}/{args.repeat}: p50 "
                    f"{figures['p50_ms']:.2f} ms, p95 {figures['p95_ms']:.2f} ms, "
                    f"p99 {figures['p99_ms']:.2f} ms, {figures['requests_per_s']:,.0f} "
                    f"req/s, {figures['errors']} errors"
                )
        command = " ".join(
            ["gunicorn", *server.cmd[1:2], "--bind", "127.0.0.1:PORT", *GUNICORN_FLAGS]
        )
    return phases, command


# -- the report ---------------------------------------------------------------------


def _best(phases):
    return min(phases, key=lambda f: f["p95_ms"])


def report_markdown(meta, local, http_phases):
    lines = rd.header_lines(
        "Single-decision latency benchmark: decide() and /api/route",
        "decide_latency.py",
        meta,
    )
    p = meta["parameters"]
    lines += [
        f"- data: {p['points']:,} points ({p['targeted']:,} targeted at features), "
        f"{p['roads']:,} road segments in roads generation "
        f"{meta['roads']['generation']} (`{meta['roads']['file']}`), seed {p['seed']}; "
        f"active rule set v{meta['rule_set_version']}",
        f"- in process: {p['passes']} pass(es) over the points after "
        "warming both sides; `decide` and the raw query alternate point by point",
        f"- over HTTP: `{meta['gunicorn']}` (as `scripts/demo`), {p['clients']} client "
        f"processes with one keep-alive `http.client` connection each, "
        f"{p['requests']:,} requests per client per phase after 20 to warm up; "
        f"phases alternate health/route, {p['repeat']} of each; the phase with the "
        "lowest p95 counts",
        "",
        f"Targets: `decide` p95 ≤ {TARGET_DECIDE:g}× the raw query's p95; "
        f"`/api/route` p95 ≤ {TARGET_HTTP:g}× `/api/health`'s under the same load.",
        "",
        "## In process (warm, no HTTP)",
        "",
        "| path | n | p50 ms | p95 ms | p99 ms | mean ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, label in (
        ("decide", "`routing_rules.decide.decide((lon, lat), category)`"),
        ("raw_sql", "raw SQL: district `ST_Covers` + nearest road ≤ 25 m"),
    ):
        f = local[name]
        lines.append(
            f"| {label} | {f['n']:,} | {f['p50_ms']:.3f} | {f['p95_ms']:.3f} | "
            f"{f['p99_ms']:.3f} | {f['mean_ms']:.3f} | {f['max_ms']:.2f} |"
        )
    ratio = local["decide"]["p95_ms"] / local["raw_sql"]["p95_ms"]
    agree = local["district_agreement"]
    lines += [
        "",
        f"- **decide p95 / raw query p95: {ratio:.2f}×** (target ≤ "
        f"{TARGET_DECIDE:g}×) {'✓' if ratio <= TARGET_DECIDE else '✗'}",
        f"- the district of `decide` and of the raw query agree on "
        f"{agree['district']:,} of {agree['checked']:,} points",
        "",
        f"## Over HTTP, {p['clients']} concurrent clients",
        "",
        "| endpoint | phase | requests | p50 ms | p95 ms | p99 ms | max ms | req/s | "
        "errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, label in (("health", "`/api/health`"), ("route", "`/api/route`")):
        best = _best(http_phases[name])
        for k, f in enumerate(http_phases[name], 1):
            mark = " (best)" if f is best else ""
            lines.append(
                f"| {label} | {k}{mark} | {f['n']:,} | {f['p50_ms']:.2f} | "
                f"{f['p95_ms']:.2f} | {f['p99_ms']:.2f} | {f['max_ms']:.1f} | "
                f"{f['requests_per_s']:,.0f} | {f['errors']} |"
            )
    http_ratio = (
        _best(http_phases["route"])["p95_ms"] / _best(http_phases["health"])["p95_ms"]
    )
    lines += [
        "",
        f"- **/api/route p95 / /api/health p95: {http_ratio:.2f}×** (target ≤ "
        f"{TARGET_HTTP:g}×) {'✓' if http_ratio <= TARGET_HTTP else '✗'}",
    ]
    for note in meta.get("notes", []):
        lines.append(f"- note: {note}")
    if meta.get("profile"):
        lines += ["", "## Where the time goes", *meta["profile"]]
    return "\n".join(lines) + "\n", ratio, http_ratio


# -- the run --------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=(
            "Time routing_rules.decide beside one raw SQL query, and /api/route "
            "beside /api/health under concurrent clients; write "
            "benchmarks/results/decide_latency.{md,json}."
        )
    )
    parser.add_argument("--points", type=int, default=DEFAULT_POINTS)
    parser.add_argument("--passes", type=int, default=1)
    parser.add_argument("--roads", type=int, default=DEFAULT_ROADS)
    parser.add_argument("--clients", type=int, default=DEFAULT_CLIENTS)
    parser.add_argument(
        "--requests",
        type=int,
        default=DEFAULT_REQUESTS,
        help=f"per client and phase (default {DEFAULT_REQUESTS})",
    )
    parser.add_argument(
        "--repeat", type=int, default=2, help="phases per endpoint (default 2)"
    )
    parser.add_argument("--seed", type=int, default=5256)
    parser.add_argument(
        "--database-url",
        default=rd.DEFAULT_DATABASE_URL,
        help="dedicated PostGIS database, created if missing; never one in use "
        f"(default {rd.DEFAULT_DATABASE_URL})",
    )
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument(
        "--reload", action="store_true", help="regenerate the roads even if they match"
    )
    parser.add_argument(
        "--skip-http", action="store_true", help="only the in-process part"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile decide() and /api/route even when the targets are met",
    )
    parser.add_argument("--output", type=Path, default=rd.RESULTS)
    args = parser.parse_args(argv)
    if min(args.points, args.passes, args.clients, args.requests, args.repeat) < 1:
        parser.error("counts must be at least 1")
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
        f"{machine['nproc']} cores, {machine['cpu']}; {args.points:,} points, "
        f"{args.roads:,} roads, database {rd.redacted(url)}"
    )
    rd.database_prepare(url, env, fresh=args.fresh)
    world = rd.world_read(url)
    roads = rd.roads_ensure(url, env, world, args.roads, args.seed, folder, args.reload)
    points = rd.points_generate(
        url, world, args.points, args.seed + 1, targeted_share=TARGETED_SHARE
    )
    rd.django_setup(env)

    log(f"in process: decide() and the raw query over {args.points:,} points")
    local = in_process(url, points, args.passes)
    log(
        f"decide p50 {local['decide']['p50_ms']:.3f} ms, p95 "
        f"{local['decide']['p95_ms']:.3f} ms; raw query p50 "
        f"{local['raw_sql']['p50_ms']:.3f} ms, p95 {local['raw_sql']['p95_ms']:.3f} ms"
    )

    profiles = []
    decide_ratio = local["decide"]["p95_ms"] / local["raw_sql"]["p95_ms"]
    if decide_ratio > TARGET_DECIDE or args.profile:
        log("profiling decide()")
        profiles.append(profile_decide(points))

    http_phases, gunicorn = {"health": [], "route": []}, "—"
    if not args.skip_http:
        key = api_key_create(env)
        try:
            http_phases, gunicorn = over_http(env, folder, points, key, args)
            route_p95 = _best(http_phases["route"])["p95_ms"]
            health_p95 = _best(http_phases["health"])["p95_ms"]
            if route_p95 > TARGET_HTTP * health_p95 or args.profile:
                log("profiling /api/route in process")
                profiles.append(profile_route_view(points, key))
        finally:
            api_key_revoke(env, key)

    with psycopg.connect(url) as conn:
        version = conn.execute(
            "SELECT version FROM routing_rules_ruleset WHERE is_active"
        ).fetchone()[0]
    meta = {
        "machine": machine,
        "software": {**rd.software(url), "gunicorn": _gunicorn_version()},
        "database_url": rd.redacted(url),
        "load_average": {"start": load_start, "end": rd.load_average()},
        "parameters": {
            "points": args.points,
            "targeted": int(points.targeted.sum()),
            "passes": args.passes,
            "roads": args.roads,
            "clients": args.clients,
            "requests": args.requests,
            "repeat": args.repeat,
            "seed": args.seed,
        },
        "roads": roads,
        "rule_set_version": version,
        "gunicorn": gunicorn,
        "targets": {
            "decide_p95_ratio_max": TARGET_DECIDE,
            "http_p95_ratio_max": TARGET_HTTP,
        },
        "notes": [
            "`/api/route` authenticates the key (one indexed query) and decides "
            "(one query for the live-routing state, then memory); `/api/health` "
            "touches no database",
        ],
    }
    if args.skip_http:
        meta["notes"].append("--skip-http: no HTTP figures")
    meta["profile"] = [line for p in profiles for line in profile_lines(p)]
    args.output.mkdir(parents=True, exist_ok=True)
    if http_phases["route"]:
        text, ratio, http_ratio = report_markdown(meta, local, http_phases)
    else:
        text, ratio, http_ratio = _local_only(meta, local)
    (args.output / "decide_latency.md").write_text(text, encoding="utf-8")
    rd.write_json(
        args.output / "decide_latency.json",
        {
            **meta,
            "in_process": {k: v for k, v in local.items() if k != "samples"},
            "in_process_samples_ms": local["samples"],
            "http": http_phases,
            "ratios": {
                "decide_over_raw_p95": ratio,
                "route_over_health_p95": http_ratio,
            },
            "profiles": profiles,
        },
    )
    shown = "—" if http_ratio is None else f"{http_ratio:.2f}x"
    log(f"decide/raw p95 {ratio:.2f}x; route/health p95 {shown}")
    log(f"results: {args.output / 'decide_latency.md'}")
    ok = ratio <= TARGET_DECIDE and (http_ratio is None or http_ratio <= TARGET_HTTP)
    return 0 if ok else 1


def _local_only(meta, local):
    ratio = local["decide"]["p95_ms"] / local["raw_sql"]["p95_ms"]
    lines = rd.header_lines(
        "Single-decision latency benchmark: decide()", "decide_latency.py", meta
    )
    lines += [
        "",
        f"- decide: {json.dumps(local['decide'])}",
        f"- raw SQL: {json.dumps(local['raw_sql'])}",
        f"- decide p95 / raw p95: {ratio:.2f}×",
    ]
    return "\n".join(lines) + "\n", ratio, None


def _gunicorn_version():
    try:
        import gunicorn

        return gunicorn.__version__
    except ImportError:
        return "missing"


if __name__ == "__main__":
    sys.exit(main())
