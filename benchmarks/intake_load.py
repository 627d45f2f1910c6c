"""Benchmark intake and the inbox under concurrent clients, and a burst of posts.

What: geopool served by gunicorn exactly as ``scripts/demo`` serves it
(``--workers 3 --worker-class gthread --threads 8 --timeout 60
--no-control-socket``, access log on) on a free local port, against a
database prepared as ``scripts/demo`` prepares it (migrated;
``load_jurisdiction packs/hatay``, ``load_pack_layers packs/hatay --commit``,
``load_sample_requests packs/hatay``), with an API key from ``manage.py
create_api_key`` (revoked at the end) and a logged-in body staff session.

1. Load phases: ``--clients`` client processes (8), each with one keep-alive
   connection (``http.client``), sending requests back to back. Phases
   alternate health, intake, inbox (``--repeat`` times each):

   - ``GET /api/health``: the trivial view (no database);
   - intake: ``POST /open311/v2/requests.json`` (form-encoded: ``api_key``,
     ``service_code``, ``lat``, ``long``, a Turkish ``description``, a
     distinct ``external_id``, and for every second post a caller's
     ``phone``), i.e. authenticate the key, validate, route
     (``routing_rules.decide``), store the request, its contact, decision,
     SLA clock and events, commit;
   - the inbox page: ``GET /inbox/`` as a ``body_staff`` user of the district
     municipality that owns the most requests (session cookie from Django's
     ``force_login``). When ``/inbox/`` does not answer 200 for that user,
     ``GET /map/`` is measured instead, and the results say so.

   Points lie inside Hatay's real districts (65 % around the district seats,
   the rest uniform), with categories drawn from the pack's. Each client
   warms up first (20 requests; 5 posts); the phase with the highest
   throughput of each endpoint counts.
2. Burst: ``--burst`` (10,000) posts from ``--burst-clients`` (16)
   processes, every post with its own ``external_id``, back to back. A post
   that fails (connection error, timeout, 5xx) is sent again with the same
   ``external_id``, as an Open311 client should, up to 5 times. Afterwards
   the database is counted: rows with the burst's external ids, distinct
   tracking codes and external ids, current decisions, ``request.create``
   events, and whether every tracking code a client was given is stored.
3. While phases and the burst run, ``pg_stat_activity`` is sampled every
   50 ms: what the server's connections are doing or waiting for.
4. When a target is missed (or with ``--profile``): where intake's time goes,
   measured in this process through Django's test client (the same view,
   middleware and services as the server runs, no HTTP): per post, the time
   in its parts and in SQL (every statement counted and timed), and a
   cProfile of the whole.

Targets: intake throughput >= 0.3x ``/api/health``'s under the same clients;
the burst ends within 60 s with exactly ``--burst`` requests stored (none
lost, none doubled).

The database is a dedicated one (``--database-url``, default
``postgres:///geopool_load``; never one in use): it gains every request the
run posts. Requests cannot be deleted afterwards (their decisions are
append-only), so the inbox's size grows from run to run; the results give
the number of requests at the start. ``--fresh`` recreates the database.

Run from the repository root::

    .venv/bin/python benchmarks/intake_load.py
    .venv/bin/python benchmarks/intake_load.py --requests 50 --burst 2000
"""

import argparse
import collections
import contextlib
import cProfile
import http.client
import io
import json
import multiprocessing
import os
import pstats
import re
import secrets
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import decide_latency as dl  # the gunicorn server and percentiles
import psycopg
import routing_data as rd
from routing_data import log

DEFAULT_DATABASE_URL = "postgres:///geopool_load"
DEFAULT_CLIENTS = 8
DEFAULT_REQUESTS = 150  # per client and phase, intake and health
DEFAULT_PAGE_REQUESTS = 40  # per client and phase, the inbox page
DEFAULT_BURST = 10_000
DEFAULT_BURST_CLIENTS = 16
TARGET_RATIO = 0.3  # intake req/s over /api/health req/s, at least
TARGET_BURST_S = 60.0
BURST_TRIES = 5
KEY_NAME = "intake_load benchmark"
STAFF_USERNAME = "bench-inbox"
INTAKE_PATH = "/open311/v2/requests.json"
DESCRIPTIONS = (
    "Konteyner taştı, çöpler sokağa döküldü",
    "Sokak lambası iki gündür yanmıyor",
    "Yolda derin çukur var, araçlar zarar görüyor",
    "Parktaki salıncak kırık, çocuklar için tehlikeli",
    "Kanalizasyon taşıyor, kötü koku var",
    "Su borusu patladı, cadde su altında",
)
FORM_HEADERS = {
    "Content-Type": "application/x-www-form-urlencoded",
    "Connection": "keep-alive",
}


# -- the clients -----------------------------------------------------------------------


class Connection:
    """One keep-alive connection that reconnects once when the server drops it."""

    def __init__(self, port, timeout):
        self.port, self.timeout = port, timeout
        self.reconnects = 0
        self.conn = self._open()

    def _open(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)

    def send(self, method, path, body, headers):
        """Return (status, body bytes); raise OSError/HTTPException on failure."""
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = self._open()
                self.reconnects += 1
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        self.conn.close()


def _tracking_code(status, body):
    if status not in (200, 201):
        return None
    try:
        return json.loads(body)[0]["service_request_id"]
    except (ValueError, LookupError, TypeError):
        return None


def client(port, work, warm, headers, tries, barrier, queue):
    """One load client: ``warm`` untimed requests, then ``work`` back to back.

    Each item is ``(method, path, body)``. A failed request (no answer, or a
    5xx) is sent again ``tries - 1`` more times; only the last outcome is
    counted, and its latency runs from the first try.
    """
    conn = Connection(port, timeout=90)
    latencies, statuses, codes, retries = [], collections.Counter(), [], 0
    try:
        for method, path, body in warm:
            with contextlib.suppress(http.client.HTTPException, OSError):
                conn.send(method, path, body, headers)
        barrier.wait(timeout=300)
        started = time.monotonic()
        for method, path, body in work:
            t0 = time.perf_counter()
            for attempt in range(tries):
                try:
                    status, answer = conn.send(method, path, body, headers)
                except (http.client.HTTPException, OSError):
                    status, answer = None, b""
                if status is not None and status < 500:
                    break
                if attempt + 1 < tries:
                    retries += 1
                    time.sleep(0.2 * (attempt + 1))
            latencies.append(time.perf_counter() - t0)
            statuses[str(status)] += 1
            if method == "POST":
                codes.append(_tracking_code(status, answer))
        ended = time.monotonic()
        queue.put(
            {
                "latencies": latencies,
                "statuses": dict(statuses),
                "codes": codes,
                "retries": retries,
                "reconnects": conn.reconnects,
                "started": started,
                "ended": ended,
            }
        )
    finally:
        conn.close()


def load_phase(port, work_per_client, warm_per_client, headers, ok, tries=1):
    """Run one phase, one process per client; pooled latencies and rates."""
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(len(work_per_client))
    queue = ctx.Queue()
    procs = [
        ctx.Process(
            target=client,
            args=(port, work, warm, headers, tries, barrier, queue),
        )
        for work, warm in zip(work_per_client, warm_per_client, strict=True)
    ]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=3600) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    latencies = [t for r in results for t in r["latencies"]]
    wall = max(r["ended"] for r in results) - min(r["started"] for r in results)
    statuses = collections.Counter()
    for r in results:
        statuses.update(r["statuses"])
    figures = dl.percentiles(latencies)
    figures.update(
        {
            "wall_s": wall,
            "requests_per_s": len(latencies) / wall,
            "statuses": dict(sorted(statuses.items())),
            "errors": sum(n for s, n in statuses.items() if s not in ok),
            "retries": sum(r["retries"] for r in results),
            "reconnects": sum(r["reconnects"] for r in results),
        }
    )
    codes = [c for r in results for c in r["codes"]]
    return figures, codes


# -- what is sent ----------------------------------------------------------------------


def intake_bodies(points, key, prefix, start, count):
    """``count`` form bodies for posts ``start`` … of ``points`` (cycled)."""
    bodies = []
    for i in range(start, start + count):
        k = i % len(points)
        form = {
            "api_key": key,
            "service_code": points.category[k],
            "lat": f"{points.lat[k]:.7f}",
            "long": f"{points.lon[k]:.7f}",
            "description": DESCRIPTIONS[i % len(DESCRIPTIONS)],
            "external_id": f"{prefix}-{i}",
        }
        if i % 2:
            form["phone"] = f"0532 {100 + i % 900:03d} {i % 100:02d} {i % 97:02d}"
        bodies.append(("POST", INTAKE_PATH, urllib.parse.urlencode(form)))
    return bodies


def intake_work(points, key, prefix, clients, count, warm):
    """Per client: (timed posts, warm-up posts), each with its own external ids."""
    work, warmup = [], []
    for c in range(clients):
        base = c * (count + warm)
        warmup.append(intake_bodies(points, key, f"{prefix}-c{c}-w", base, warm))
        work.append(intake_bodies(points, key, f"{prefix}-c{c}", base + warm, count))
    return work, warmup


def api_key_create(env):
    """A key of the pool coordinator's body from ``manage.py create_api_key``."""
    body = rd.pack_settings()["coordinator_body"]
    result = rd.manage(["create_api_key", KEY_NAME, "--body", body], env)
    key = result.stdout.strip().splitlines()[-1].strip()
    if not key.startswith("gp_"):
        raise SystemExit(f"create_api_key printed no key: {result.stdout!r}")
    return key


# -- the staff session -----------------------------------------------------------------


def inbox_session(body_code=None):
    """(path, cookie header, body code, note) for the inbox page measured.

    A ``body_staff`` user of ``body_code`` (default: the district
    municipality owning the most requests) logged in with ``force_login``;
    ``/inbox/`` when it answers 200 for that user, else ``/map/``.
    """
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db.models import Count
    from django.test import Client

    from geopool.models import Body, ServiceRequest, StaffProfile

    if body_code is None:
        busiest = (
            ServiceRequest.objects.filter(owner_body__kind="district")
            .values("owner_body__code")
            .annotate(n=Count("id"))
            .order_by("-n", "owner_body__code")
            .first()
        )
        body_code = busiest["owner_body__code"]
    user, _ = get_user_model().objects.get_or_create(username=STAFF_USERNAME)
    user.groups.set([Group.objects.get(name="body_staff")])
    StaffProfile.objects.update_or_create(
        user=user, defaults={"body": Body.objects.get(code=body_code)}
    )
    browser = Client(HTTP_HOST="127.0.0.1")
    browser.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    cookie = f"{name}={browser.cookies[name].value}"
    status = browser.get("/inbox/").status_code
    if status == 200:
        return "/inbox/", cookie, body_code, None
    note = (
        f"/inbox/ answered {status} for a body_staff user of {body_code}, so the "
        "staff map /map/ is measured in its place"
    )
    return "/map/", cookie, body_code, note


# -- watching the database -------------------------------------------------------------


class ActivitySampler:
    """Sample what the database's other connections do, every ``interval`` s."""

    QUERY = """
        SELECT state, wait_event_type, wait_event, left(query, 60)
        FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()
          AND backend_type = 'client backend'
    """

    def __init__(self, url, interval=0.05):
        self.url, self.interval = url, interval
        self.samples = 0
        self.states = collections.Counter()
        self.lock_queries = collections.Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)
        return False

    def _run(self):
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.wait(self.interval):
                self.samples += 1
                for state, wtype, wevent, query in conn.execute(self.QUERY):
                    if state == "idle":
                        continue
                    what = f"{state}: {wtype}:{wevent}" if wtype else f"{state}: cpu"
                    self.states[what] += 1
                    if wtype == "Lock":
                        self.lock_queries[" ".join(query.split())] += 1

    def summary(self):
        busy = sum(self.states.values())
        return {
            "samples": self.samples,
            "busy_per_sample": busy / self.samples if self.samples else 0.0,
            "states": dict(self.states.most_common(8)),
            "lock_waits": dict(self.lock_queries.most_common(5)),
        }


# -- the burst -------------------------------------------------------------------------


def burst_run(url, port, points, key, key_id, prefix, args):
    """Post ``args.burst`` requests from ``args.burst_clients``; count the result."""
    per = [args.burst // args.burst_clients] * args.burst_clients
    for c in range(args.burst % args.burst_clients):
        per[c] += 1
    work, start = [], 0
    for count in per:
        work.append(intake_bodies(points, key, f"{prefix}-burst", start, count))
        start += count
    warm = [[] for _ in per]
    with ActivitySampler(url) as sampler:
        figures, codes = load_phase(
            port, work, warm, FORM_HEADERS, ok={"201"}, tries=BURST_TRIES
        )
    figures["database_activity"] = sampler.summary()
    figures["stored"] = burst_count(url, key_id, f"{prefix}-burst-", codes)
    return figures


def burst_count(url, key_id, prefix, codes):
    """What the database holds of the burst, and the codes clients were given."""
    like = prefix.replace("_", r"\_") + "%"
    with psycopg.connect(url) as conn:
        rows, tracking, external = conn.execute(
            "SELECT count(*), count(DISTINCT tracking_code), count(DISTINCT "
            "external_id) FROM geopool_servicerequest WHERE api_key_id = %s AND "
            "external_id LIKE %s",
            (key_id, like),
        ).fetchone()
        decisions = conn.execute(
            "SELECT count(*) FROM routing_rules_decision d JOIN geopool_servicerequest "
            "r ON r.id = d.request_id WHERE d.is_current AND r.api_key_id = %s AND "
            "r.external_id LIKE %s",
            (key_id, like),
        ).fetchone()[0]
        events = conn.execute(
            "SELECT count(*) FROM geopool_event e JOIN geopool_servicerequest r ON "
            "e.object_id = r.id::text WHERE e.object_type = 'geopool.servicerequest' "
            "AND e.action = 'request.create' AND r.api_key_id = %s AND "
            "r.external_id LIKE %s",
            (key_id, like),
        ).fetchone()[0]
        given = sorted({c for c in codes if c})
        found = conn.execute(
            "SELECT count(*) FROM geopool_servicerequest WHERE tracking_code = ANY(%s)",
            (given,),
        ).fetchone()[0]
    return {
        "rows": rows,
        "distinct_tracking_codes": tracking,
        "distinct_external_ids": external,
        "current_decisions": decisions,
        "create_events": events,
        "posts_without_code": sum(1 for c in codes if not c),
        "codes_given": len(given),
        "codes_given_stored": found,
    }


# -- where intake's time goes ----------------------------------------------------------

# Parts of a post, by the function that does them (cumulative time).
PARTS = (
    (
        "key check (ApiKeyAuthentication.authenticate)",
        "open311/auth.py",
        "authenticate",
    ),
    ("form validation (is_valid)", "rest_framework/serializers.py", "is_valid"),
    ("request_create, all of it", "services/intake.py", "request_create"),
    ("  routing: decide()", "routing_rules/decide.py", "decide"),
    ("  routing state (live_context)", "routing_rules/context.py", "live_context"),
    ("  prepare the rows (_new, sla_start)", "services/intake.py", "_new"),
    ("  sla_start", "services/workflow.py", "sla_start"),
    ("  the INSERTs (_write)", "services/intake.py", "_write"),
    ("transaction commits (COMMIT)", "django/db/backends/base/base.py", "_commit"),
    (
        "response (serializer + renderer)",
        "rest_framework/response.py",
        "rendered_content",
    ),
)


def statement_kind(sql):
    """``"INSERT geopool_event"``, ``"SELECT geopool_body"``, ``"SAVEPOINT"`` …"""
    words = sql.split()
    verb = words[0].upper() if words else "?"
    if verb == "SELECT":
        table = re.search(r'\bFROM\s+"?(\w+)', sql)
        return f"SELECT {table[1]}" if table else "SELECT (no table)"
    if verb == "INSERT" and len(words) > 2:
        return f"INSERT {words[2].strip(chr(34))}"
    if verb == "UPDATE" and len(words) > 1:
        return f"UPDATE {words[1].strip(chr(34))}"
    if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
        return "SAVEPOINT / RELEASE"
    return verb


def intake_profile(url, points, key, key_id, prefix, count, top=25):
    """Post ``count`` requests in process, twice: timed by SQL, then cProfiled.

    The first pass times every statement (by kind) and every COMMIT; the
    second runs under cProfile for the time in intake's parts. A bare
    ``SELECT 1`` and a one-row UPDATE committed alone give the scale of a
    round trip and of a commit (the WAL flush it waits for).
    """
    from django.db import connection
    from django.test import Client

    browser = Client(HTTP_HOST="127.0.0.1")
    bodies = intake_bodies(points, key, prefix, 0, 2 * count + 20)
    form = [dict(urllib.parse.parse_qsl(body)) for _, _, body in bodies]
    for data in form[:20]:
        browser.post(INTAKE_PATH, data)
    floors = _round_trips(url, key_id)

    kinds = collections.defaultdict(lambda: [0, 0.0])

    def timed(execute, statement, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            kind = kinds[statement_kind(statement)]
            kind[0] += 1
            kind[1] += time.perf_counter() - t0

    commit = connection._commit

    def timed_commit():
        t0 = time.perf_counter()
        try:
            return commit()
        finally:
            kinds["COMMIT"][0] += 1
            kinds["COMMIT"][1] += time.perf_counter() - t0

    statuses = collections.Counter()
    connection._commit = timed_commit
    try:
        with connection.execute_wrapper(timed):
            started = time.perf_counter()
            for data in form[20 : 20 + count]:
                statuses[browser.post(INTAKE_PATH, data).status_code] += 1
            plain = time.perf_counter() - started
    finally:
        del connection._commit
    sql_kinds = sorted(
        (
            {
                "kind": name,
                "per_post": n / count,
                "ms_per_post": 1000 * seconds / count,
            }
            for name, (n, seconds) in kinds.items()
        ),
        key=lambda k: -k["ms_per_post"],
    )

    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for data in form[20 + count :]:
        statuses[browser.post(INTAKE_PATH, data).status_code] += 1
    profile.disable()
    profiled = time.perf_counter() - started
    stats = pstats.Stats(profile)
    parts = []
    for label, file_part, function in PARTS:
        seconds = sum(
            ct
            for (filename, _line, name), (_cc, _nc, _tt, ct, _c) in stats.stats.items()
            if name == function and file_part in filename
        )
        parts.append({"part": label, "ms_per_post": 1000 * seconds / count})
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(top)
    statements = [k for k in sql_kinds if k["kind"] != "COMMIT"]
    return {
        "posts": count,
        "statuses": {str(k): v for k, v in statuses.items()},
        "ms_per_post": 1000 * plain / count,
        "ms_per_post_profiled": 1000 * profiled / count,
        "sql_statements_per_post": sum(k["per_post"] for k in statements),
        "sql_ms_per_post": sum(k["ms_per_post"] for k in sql_kinds),
        "sql_kinds": sql_kinds,
        **floors,
        "parts": parts,
        "top": dl._top(profile, f"{count} intake posts via django.test.Client", top),
        "text": text.getvalue(),
    }


def _round_trips(url, key_id, n=100):
    """p50/p95 of ``SELECT 1`` and of a one-row UPDATE committed on its own."""
    select, update = [], []
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(n):
            t0 = time.perf_counter()
            conn.execute("SELECT 1").fetchone()
            select.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            conn.execute(
                "UPDATE geopool_apikey SET last_used_at = now() WHERE id = %s",
                (key_id,),
            )
            update.append(time.perf_counter() - t0)
    return {
        "select_1_round_trip": dl.percentiles(select),
        "update_commit": dl.percentiles(update),
    }


# -- the report ------------------------------------------------------------------------


def _best(phases):
    return max(phases, key=lambda f: f["requests_per_s"])


def _status_text(statuses):
    return ", ".join(f"{s}: {n:,}" for s, n in statuses.items())


def report_markdown(meta, phases, burst, profile):
    p = meta["parameters"]
    lines = rd.header_lines(
        "Intake and inbox under load, and a burst of posts", "intake_load.py", meta
    )
    lines += [
        f"- server: `{meta['gunicorn_command']}` (as `scripts/demo`), gunicorn "
        f"{meta['software']['gunicorn']}, clients on the same machine",
        f"- load average (1, 5, 15 min) at the start: {meta['load_start']}, at "
        f"the end: {meta['load_end']}",
        f"- database at the start: {meta['requests_at_start']:,} requests; the "
        f"inbox user is `{STAFF_USERNAME}` (body_staff of {meta['inbox_body']})",
        f"- phases: {p['clients']} client processes, one keep-alive "
        f"`http.client` connection each, back to back; {p['requests']:,} "
        f"requests per client per phase for health and intake, "
        f"{p['page_requests']:,} for the page, after a warm-up; phases "
        f"alternate health/intake/page, {p['repeat']} of each; the phase with "
        "the highest throughput counts",
        "",
        f"Targets: intake throughput ≥ {TARGET_RATIO:g}× `/api/health`'s under "
        f"the same clients; {p['burst']:,} posts from {p['burst_clients']} clients "
        f"within {TARGET_BURST_S:g} s, ending with exactly {p['burst']:,} requests.",
        "",
        f"## {p['clients']} concurrent clients",
        "",
        "| endpoint | phase | requests | req/s | p50 ms | p95 ms | p99 ms | max ms "
        "| statuses |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name in ("health", "intake", "page"):
        best = _best(phases[name])
        for k, f in enumerate(phases[name], 1):
            mark = " (best)" if f is best else ""
            lines.append(
                f"| {meta['labels'][name]} | {k}{mark} | {f['n']:,} | "
                f"{f['requests_per_s']:,.1f} | {f['p50_ms']:.1f} | {f['p95_ms']:.1f} "
                f"| {f['p99_ms']:.1f} | {f['max_ms']:.0f} | "
                f"{_status_text(f['statuses'])} |"
            )
    health, intake, page = (_best(phases[n]) for n in ("health", "intake", "page"))
    ratio = intake["requests_per_s"] / health["requests_per_s"]
    lines += [
        "",
        f"- **intake / health throughput: {ratio:.3f}×** (target ≥ "
        f"{TARGET_RATIO:g}×) {'✓' if ratio >= TARGET_RATIO else '✗'}; intake p95 "
        f"{intake['p95_ms']:.0f} ms vs health p95 {health['p95_ms']:.1f} ms",
        f"- page ({meta['labels']['page']}) / health throughput: "
        f"{page['requests_per_s'] / health['requests_per_s']:.3f}×, p95 "
        f"{page['p95_ms']:.0f} ms",
    ]
    activity = meta.get("intake_activity")
    if activity:
        lines.append(
            "- database during the best intake phase: " + _activity_text(activity)
        )
    if meta.get("page_note"):
        lines.append(f"- note: {meta['page_note']}")
    lines += _burst_lines(burst, p)
    if profile:
        lines += _profile_lines(profile)
    return "\n".join(lines) + "\n", ratio


def _activity_text(activity):
    states = ", ".join(f"{k} {v:,}" for k, v in activity["states"].items())
    text = (
        f"{activity['busy_per_sample']:.1f} busy connections per sample on "
        f"average over {activity['samples']:,} samples ({states})"
    )
    if activity["lock_waits"]:
        waits = "; ".join(f"`{q}` {n:,}" for q, n in activity["lock_waits"].items())
        text += f"; waiting for a lock in: {waits}"
    return text


def _burst_lines(burst, p):
    if burst is None:
        return ["", "## Burst", "", "- skipped (`--skip-burst`)"]
    s = burst["stored"]
    exact = (
        s["rows"] == p["burst"]
        and s["distinct_tracking_codes"] == p["burst"]
        and s["distinct_external_ids"] == p["burst"]
    )
    in_time = burst["wall_s"] <= TARGET_BURST_S
    return [
        "",
        f"## Burst: {p['burst']:,} posts from {p['burst_clients']} clients",
        "",
        f"- **took {burst['wall_s']:.1f} s** ({burst['requests_per_s']:,.1f} "
        f"posts/s; target ≤ {TARGET_BURST_S:g} s) {'✓' if in_time else '✗'}; "
        f"p50 {burst['p50_ms']:.0f} ms, p95 {burst['p95_ms']:.0f} ms, p99 "
        f"{burst['p99_ms']:.0f} ms, max {burst['max_ms']:.0f} ms",
        f"- answers: {_status_text(burst['statuses'])}; {burst['errors']:,} posts "
        f"failed after {BURST_TRIES} tries; {burst['retries']:,} retries, "
        f"{burst['reconnects']:,} reconnects",
        f"- **stored: {s['rows']:,} requests, {s['distinct_tracking_codes']:,} "
        f"distinct tracking codes, {s['distinct_external_ids']:,} distinct "
        f"external ids** (exactly {p['burst']:,}: {'✓' if exact else '✗'}); "
        f"{s['current_decisions']:,} current decisions, {s['create_events']:,} "
        f"`request.create` events",
        f"- every client got a tracking code: {s['codes_given']:,} distinct codes "
        f"given, {s['codes_given_stored']:,} of them stored; "
        f"{s['posts_without_code']:,} posts got none",
        "- database during the burst: " + _activity_text(burst["database_activity"]),
    ]


def _profile_lines(profile):
    trip, commit = profile["select_1_round_trip"], profile["update_commit"]
    lines = [
        "",
        "## Where intake's time goes",
        "",
        f"{profile['posts']:,} posts through Django's test client in the benchmark "
        "process, one at a time (the view, middleware and services the server "
        f"runs; no HTTP): **{profile['ms_per_post']:.1f} ms per post**, of which "
        f"{profile['sql_ms_per_post']:.1f} ms in "
        f"{profile['sql_statements_per_post']:.1f} SQL statements and their "
        "commits (each timed around the call). For "
        f"scale: a bare `SELECT 1` takes {trip['p50_ms']:.2f} ms (p50; p95 "
        f"{trip['p95_ms']:.2f}), a one-row UPDATE committed on its own "
        f"{commit['p50_ms']:.2f} ms (p50; p95 {commit['p95_ms']:.2f}): a commit "
        "waits for its WAL flush.",
        "",
        "| statement | per post | ms per post |",
        "|---|---:|---:|",
    ]
    for kind in profile["sql_kinds"]:
        lines.append(
            f"| `{kind['kind']}` | {kind['per_post']:.2f} | {kind['ms_per_post']:.2f} |"
        )
    lines += [
        "",
        f"The same number of posts again under cProfile "
        f"({profile['ms_per_post_profiled']:.1f} ms per post with its overhead): "
        "the cumulative time of intake's parts.",
        "",
        "| part | ms per post (cumulative, profiled) |",
        "|---|---:|",
    ]
    for part in profile["parts"]:
        lines.append(f"| {part['part']} | {part['ms_per_post']:.2f} |")
    lines += dl.profile_lines(profile["top"])
    return lines


# -- the run ---------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=(
            "Drive Open311 intake and the inbox page with concurrent clients "
            "against gunicorn beside /api/health, then a burst of posts; write "
            "benchmarks/results/NAME.{md,json} (default intake)."
        )
    )
    parser.add_argument("--clients", type=int, default=DEFAULT_CLIENTS)
    parser.add_argument(
        "--requests",
        type=int,
        default=DEFAULT_REQUESTS,
        help=f"per client and phase, health and intake (default {DEFAULT_REQUESTS})",
    )
    parser.add_argument(
        "--page-requests",
        type=int,
        default=DEFAULT_PAGE_REQUESTS,
        help=f"per client and phase, the page (default {DEFAULT_PAGE_REQUESTS})",
    )
    parser.add_argument("--repeat", type=int, default=2, help="phases per endpoint")
    parser.add_argument("--burst", type=int, default=DEFAULT_BURST)
    parser.add_argument("--burst-clients", type=int, default=DEFAULT_BURST_CLIENTS)
    parser.add_argument("--skip-burst", action="store_true")
    parser.add_argument(
        "--inbox-body",
        help="body code of the inbox user (default: the district municipality "
        "owning the most requests)",
    )
    parser.add_argument("--seed", type=int, default=311)
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="dedicated PostGIS database, created if missing; never one in use "
        f"(default {DEFAULT_DATABASE_URL})",
    )
    parser.add_argument("--fresh", action="store_true", help="recreate the database")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile intake even when the targets are met",
    )
    parser.add_argument("--profile-posts", type=int, default=300)
    parser.add_argument("--output", type=Path, default=rd.RESULTS)
    parser.add_argument(
        "--name",
        default="intake",
        help="results file name in --output, without .md/.json (default intake)",
    )
    args = parser.parse_args(argv)
    counts = (args.clients, args.requests, args.page_requests, args.repeat)
    if min(counts) < 1 or args.burst < 1 or args.burst_clients < 1:
        parser.error("counts must be at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="geopool-bench-") as folder:
        return run(args, Path(folder))


def _load():
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def prepare(url, env, fresh):
    """The database as ``scripts/demo`` leaves it: pack, layers, samples."""
    rd.database_prepare(url, env, fresh=fresh)
    log("manage.py load_sample_requests packs/hatay")
    rd.manage(["load_sample_requests", "packs/hatay"], env)
    # As scripts/demo; it is also what gives the role groups their
    # permissions (roles_ensure), without which body staff get a 403.
    log("manage.py ensure_demo_users packs/hatay")
    demo_env = dict(env, GEOPOOL_DEMO_PASSWORD=secrets.token_urlsafe(12))
    rd.manage(["ensure_demo_users", "packs/hatay"], demo_env)


def run(args, folder):
    url = args.database_url
    env = rd.geopool_env(url, folder / "media")
    machine = rd.machine_info()
    load_start = _load()
    log(
        f"{machine['nproc']} cores, {machine['cpu']}; load {load_start}; "
        f"database {rd.redacted(url)}"
    )
    prepare(url, env, args.fresh)
    world = rd.world_read(url)
    points = rd.points_generate(url, world, 2_000, args.seed, targeted_share=0.0)
    rd.django_setup(env)
    from django.db import connections

    from geopool.models import ApiKey, ServiceRequest

    requests_at_start = ServiceRequest.objects.count()
    page_path, cookie, inbox_body, page_note = inbox_session(args.inbox_body)
    key = api_key_create(env)
    key_row = ApiKey.objects.get(prefix=key.split("_")[1])
    connections.close_all()  # forked clients must not share these sockets
    run_id = time.strftime("%Y%m%d%H%M%S") + "-" + secrets.token_hex(2)
    prefix = f"load-{run_id}"
    log(
        f"run {run_id}: {requests_at_start:,} requests in the database; "
        f"page {page_path}"
    )

    server_env = dict(env)
    if "LOG_LEVEL" not in os.environ:  # as scripts/demo: geopool's default level
        server_env.pop("LOG_LEVEL", None)
    phases = {"health": [], "intake": [], "page": []}
    activity = {}
    burst = None
    try:
        with dl.Server(server_env, folder) as server:
            log(f"gunicorn on port {server.port}")
            for attempt in range(1, args.repeat + 1):
                for name in ("health", "intake", "page"):
                    figures, sampler = _phase(
                        name,
                        server.port,
                        url,
                        points,
                        key,
                        prefix,
                        attempt,
                        page_path,
                        cookie,
                        args,
                    )
                    phases[name].append(figures)
                    if name == "intake":
                        figures["database_activity"] = sampler
                    log(
                        f"{name} {attempt}/{args.repeat}: "
                        f"{figures['requests_per_s']:,.1f} req/s, p50 "
                        f"{figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, "
                        f"{_status_text(figures['statuses'])}"
                    )
            if not args.skip_burst:
                log(f"burst: {args.burst:,} posts from {args.burst_clients} clients")
                burst = burst_run(
                    url, server.port, points, key, key_row.pk, prefix, args
                )
                log(
                    f"burst took {burst['wall_s']:.1f} s "
                    f"({burst['requests_per_s']:,.1f} posts/s); stored "
                    f"{burst['stored']['rows']:,} rows, "
                    f"{burst['stored']['distinct_tracking_codes']:,} codes; "
                    f"{_status_text(burst['statuses'])}"
                )
            gunicorn = " ".join(
                [
                    "gunicorn",
                    "geopool.wsgi:application",
                    "--bind",
                    "127.0.0.1:PORT",
                    *dl.GUNICORN_FLAGS,
                ]
            )
        health = _best(phases["health"])
        intake = _best(phases["intake"])
        activity = intake.get("database_activity", {})
        ratio = intake["requests_per_s"] / health["requests_per_s"]
        burst_ok = burst is None or _burst_ok(burst, args)
        profile = None
        if ratio < TARGET_RATIO or not burst_ok or args.profile:
            log(f"profiling {args.profile_posts} intake posts in process")
            profile = intake_profile(
                url, points, key, key_row.pk, f"{prefix}-profile", args.profile_posts
            )
            log(
                f"{profile['ms_per_post']:.1f} ms per post, "
                f"{profile['sql_statements_per_post']:.1f} SQL statements "
                f"({profile['sql_ms_per_post']:.1f} ms)"
            )
    finally:
        dl.api_key_revoke(env, key)

    meta = {
        "machine": machine,
        "software": {**rd.software(url), "gunicorn": dl._gunicorn_version()},
        "database_url": rd.redacted(url),
        "load_start": load_start,
        "load_end": _load(),
        "requests_at_start": requests_at_start,
        "inbox_body": inbox_body,
        "page_note": page_note,
        "gunicorn_command": gunicorn,
        "run_id": run_id,
        "labels": {
            "health": "`GET /api/health`",
            "intake": f"`POST {INTAKE_PATH}`",
            "page": f"`GET {page_path}` (logged in)",
        },
        "intake_activity": activity,
        "parameters": {
            "clients": args.clients,
            "requests": args.requests,
            "page_requests": args.page_requests,
            "repeat": args.repeat,
            "burst": args.burst,
            "burst_clients": args.burst_clients,
            "seed": args.seed,
        },
        "targets": {
            "intake_over_health_throughput_min": TARGET_RATIO,
            "burst_seconds_max": TARGET_BURST_S,
        },
    }
    text, ratio = report_markdown(meta, phases, burst, profile)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / f"{args.name}.md").write_text(text, encoding="utf-8")
    rd.write_json(
        args.output / f"{args.name}.json",
        {
            **meta,
            "phases": phases,
            "burst": burst,
            "ratio_intake_over_health": ratio,
            "profile": profile,
        },
    )
    log(f"intake/health throughput {ratio:.3f}x; results: {args.output}")
    return 0 if ratio >= TARGET_RATIO and burst_ok else 1


def _burst_ok(burst, args):
    s = burst["stored"]
    return (
        burst["wall_s"] <= TARGET_BURST_S
        and s["rows"] == args.burst
        and s["distinct_tracking_codes"] == args.burst
        and s["distinct_external_ids"] == args.burst
        and s["codes_given_stored"] == s["codes_given"] == args.burst
    )


def _phase(name, port, url, points, key, prefix, attempt, page_path, cookie, args):
    """One phase of ``name``; returns (figures, database activity or None)."""
    clients = args.clients
    if name == "health":
        work = [[("GET", "/api/health", None)] * args.requests] * clients
        warm = [[("GET", "/api/health", None)] * 20] * clients
        headers, ok = {"Connection": "keep-alive"}, {"200"}
    elif name == "intake":
        work, warm = intake_work(
            points, key, f"{prefix}-p{attempt}", clients, args.requests, 5
        )
        headers, ok = FORM_HEADERS, {"201"}
    else:
        work = [[("GET", page_path, None)] * args.page_requests] * clients
        warm = [[("GET", page_path, None)] * 3] * clients
        headers = {"Connection": "keep-alive", "Cookie": cookie}
        ok = {"200"}
    if name != "intake":
        figures, _ = load_phase(port, work, warm, headers, ok)
        return figures, None
    with ActivitySampler(url) as sampler:
        figures, _ = load_phase(port, work, warm, headers, ok)
    return figures, sampler.summary()


if __name__ == "__main__":
    sys.exit(main())
