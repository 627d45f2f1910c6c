"""Heat-map bins and the /map/ page at a million requests.

What it measures, each pair side by side in one run, interleaved, best of
``--repeat`` tries:

1. ``GET /map/data/view/`` (Django's test client in this process: URL
   routing, log-in session, filter form, visibility, the PostGIS binning,
   JSON) beside the *bare SQL*: one hand-written statement over
   ``geopool_servicerequest`` that bins the same filtered rows on the same
   Web Mercator grid (psycopg, nothing else). Cases: the whole province at
   zoom 9, the province filtered (COP, open), one district (Antakya,
   ``district=2080``) at zoom 11, and a street-zoom window (16) in central
   Antakya. Payload bytes of every answer; the target is under 200 KB.
   Unfiltered, the view reads the bin counts PostgreSQL keeps (migration
   geopool 0013) instead of counting the requests; the bare SQL always
   counts them, so those rows show what the stored counts save.
2. Bytes against requests: the province at zoom 9 for a date range holding
   about a tenth of the requests beside all of them (10× the requests in
   the same bins: at most 1.1× the bytes), with the number of bins of each.
3. ``/map/`` in headless Chromium (Debian's ``/usr/bin/chromium`` through
   Playwright, gunicorn serving geopool): from navigation to the
   ``map-ready`` performance mark, the full page beside the same page with
   only the district layer (``?layers=districts``); target ≤ 2×. Also the
   time to ``figures-ready`` (the district comparison filled in), which
   each page load waits for before the next starts.

Data (untimed, reused while the marker matches): ``--requests`` points
(default 1,000,000) inside Hatay's real districts, 70 % around the district
seats, the rest uniform (``routing_data``), COPY-loaded with a category,
the district municipality as owner, a status (30 % open), a receipt time
over two years and, for the resolved ones, a resolution time and SLA use.

    .venv/bin/python benchmarks/map_bins.py                  # 1M, all parts
    .venv/bin/python benchmarks/map_bins.py --requests 100000 --repeat 3
    .venv/bin/python benchmarks/map_bins.py --drop           # remove the database

Results: ``benchmarks/results/map_bins.md`` and ``.json``.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psycopg
import routing_data as rd
from routing_data import log

import shapely

RESULTS = rd.RESULTS
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/geopool_map_bench"
MARKER = "map_bins benchmark"
DATA_VERSION = 1
TOWN_SHARE, TOWN_SIGMA_M = 0.7, 2_500
OPEN_SHARE = 0.3
CELL_PX = 32
R = 6378137.0
M_PER_PX_Z0 = 2 * np.pi * R / 256
USER = "map-bench"
PASSWORD = "map-bench-pw-1"  # a throwaway user in the benchmark's own database

# The cases: name, query parameters, and the bare SQL's extra condition.
PROVINCE_BBOX = "35.7,35.7,36.8,37.1"
CASES = [
    ("province z9", {"bbox": PROVINCE_BBOX, "zoom": "9"}),
    (
        "province z9, COP open",
        {"bbox": PROVINCE_BBOX, "zoom": "9", "category": "COP", "status": "open"},
    ),
    ("Antakya district z11", {"bbox": "35.9,35.95,36.45,36.4", "zoom": "11"}),
    (
        "Antakya district z11, district=2080",
        {"bbox": "35.9,35.95,36.45,36.4", "zoom": "11", "district": "2080"},
    ),
    ("central Antakya z16", {"bbox": "36.145,36.19,36.175,36.21", "zoom": "16"}),
]


def marker_text(n, seed):
    return f"{MARKER} v{DATA_VERSION} n={n} seed={seed}"


# -- data ---------------------------------------------------------------------


def requests_ensure(url, world, n, seed, reload=False):
    marker = marker_text(n, seed)
    with psycopg.connect(url) as conn:
        mine = conn.execute(
            "SELECT count(*) FROM geopool_servicerequest WHERE description = %s",
            [marker],
        ).fetchone()[0]
        if mine == n and not reload:
            log(f"requests: reusing {mine:,} stored requests ({marker})")
            return
        log("requests: removing earlier benchmark requests")
        conn.execute("DELETE FROM geopool_servicerequest")
        conn.commit()
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("VACUUM FULL geopool_servicerequest")
    rng = np.random.default_rng([seed, n])
    log(f"requests: generating {n:,} points")
    n_town = int(n * TOWN_SHARE)
    lon_t, lat_t = rd.points_towns(rng, world, n_town, TOWN_SIGMA_M)
    lon_u, lat_u = rd.points_uniform(rng, world, n - n_town)
    lon = np.concatenate([lon_t, lon_u])
    lat = np.concatenate([lat_t, lat_u])
    district = np.full(n, "", dtype=object)
    for code, geom in zip(world.district_codes, world.district_geoms, strict=True):
        district[shapely.contains_xy(geom, lon, lat)] = code
    with psycopg.connect(url) as conn:
        bodies = dict(conn.execute("SELECT code, id FROM geopool_body"))
        categories = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM geopool_category WHERE is_active ORDER BY code"
            )
        ]
        owner = [
            bodies.get(world.district_body.get(d, ""), bodies["HBB"]) for d in district
        ]
        category = rng.choice(categories, n)
        is_open = rng.random(n) < OPEN_SHARE
        offsets = rng.integers(0, 2 * 365 * 86400, n)
        start = np.datetime64("2024-01-01T00:00:00")
        received = start + offsets.astype("timedelta64[s]")
        hours = rng.gamma(2.0, 24.0, n)
        resolved = received + (hours * 3600).astype("timedelta64[s]")
        used = rng.gamma(2.0, 300.0, n)
        statuses = np.where(is_open, "accepted", "resolved")
        log(f"requests: storing {n:,} requests by COPY")
        columns = (
            "tracking_code, category_id, description, public_description, channel, "
            "location, location_source, address_string, status, is_urgent, "
            "needs_triage, external_id, is_sample, requested_at, updated_at, "
            "owner_body_id, resolved_at, closed_at, sla_minutes, sla_used_minutes, "
            "priority, is_anonymous, is_disputed, recorded_owner"
        )
        with (
            conn.cursor() as cursor,
            cursor.copy(f"COPY geopool_servicerequest ({columns}) FROM STDIN") as copy,
        ):
            rec = received.astype(str)
            res = resolved.astype(str)
            lons, lats = lon.tolist(), lat.tolist()
            for i in range(n):
                done = not is_open[i]
                copy.write_row(
                    (
                        f"MB-{i:07X}",
                        int(category[i]),
                        marker,
                        "",
                        "phone" if i % 3 else "web",
                        f"SRID=4326;POINT({lons[i]!r} {lats[i]!r})",
                        "given",
                        "",
                        statuses[i],
                        False,
                        False,
                        f"mb-{i}",
                        False,
                        rec[i] + "+03:00",
                        rec[i] + "+03:00",
                        owner[i],
                        res[i] + "+03:00" if done else None,
                        res[i] + "+03:00" if done else None,
                        480,
                        float(used[i]),
                        "normal",
                        False,
                        False,
                        "",
                    )
                )
                if i and i % 200_000 == 0:
                    log(f"requests: {i:,} copied")
        conn.commit()
        conn.execute("ANALYZE geopool_servicerequest")
        conn.commit()
    log("requests: stored")


def staff_user_ensure():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from geopool.models import Body, StaffProfile
    from geopool.roles import roles_ensure

    roles_ensure()
    user, _ = get_user_model().objects.get_or_create(username=USER)
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(Group.objects.get(name="coordinator"))
    StaffProfile.objects.get_or_create(
        user=user, defaults={"body": Body.objects.get(code="HBB")}
    )
    return user


# -- the bare SQL ---------------------------------------------------------------


def bare_sql(params, closed, district_generation, stored_mercator=True):
    """The statement binning the same filtered rows on the same grid.

    ``stored_mercator``: the table stores each point's Web Mercator metres
    (geopool 0012), as the view reads them.
    """
    west, south, east, north = (float(v) for v in params["bbox"].split(","))
    size = M_PER_PX_Z0 / 2 ** int(params["zoom"]) * CELL_PX
    where = ["r.location && ST_MakeEnvelope(%s, %s, %s, %s, 4326)"]
    args = [size, size, west, south, east, north]
    join = ""
    if params.get("category"):
        join += " JOIN geopool_category c ON c.id = r.category_id"
        where.append("c.code = %s")
        args.append(params["category"])
    if params.get("status") == "open":
        where.append("NOT r.status = ANY(%s)")
        args.append(closed)
    if params.get("district"):
        # The district's parts drive; a point on a part's boundary stays
        # unless a district with a lower code covers it (shared edges).
        join += (
            " JOIN boundaries_lookup p ON p.generation_id = %s"
            " AND ST_Covers(p.geometry, r.location)"
            " JOIN boundaries_feature f ON f.id = p.feature_id AND f.code = %s"
        )
        where.append(
            "(ST_ContainsProperly(p.geometry, r.location) OR NOT EXISTS ("
            "SELECT 1 FROM boundaries_lookup q JOIN boundaries_feature lf"
            " ON lf.id = q.feature_id WHERE q.generation_id = %s AND lf.code < %s"
            " AND ST_Covers(q.geometry, r.location)))"
        )
        args = [
            size,
            size,
            district_generation,
            params["district"],
            *args[2:],
            district_generation,
            params["district"],
        ]
    if stored_mercator:
        # The projected metres PostgreSQL stores with each request.
        cells = "floor(r.web_x / %s)::bigint, floor(r.web_y / %s)::bigint"
    else:  # a checkout from before geopool 0012
        cells = (
            "floor(6378137.0 * radians(ST_X(r.location)) / %s)::bigint, "
            "floor(6378137.0 * ln(tan(pi() / 4 + radians(ST_Y(r.location)) / 2))"
            " / %s)::bigint"
        )
    sql = f"""
        SELECT {cells},
               count(*)
        FROM geopool_servicerequest r{join}
        WHERE {" AND ".join(where)}
        GROUP BY 1, 2
    """
    return sql, args


def timed(fn, repeat):
    times = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times), result


def bins_measure(url, repeat):
    from django.test import Client

    from geopool.models import Status
    from geopool.web.inbox.districts import district_generation

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(staff_user_ensure())
    closed = sorted(Status.closed_values())
    generation = district_generation()
    rows = []
    with psycopg.connect(url) as conn:
        stored_mercator = bool(
            conn.execute(
                "SELECT 1 FROM information_schema.columns WHERE table_name ="
                " 'geopool_servicerequest' AND column_name = 'web_x'"
            ).fetchone()
        )
        for name, params in CASES:
            sql, args = bare_sql(params, closed, generation, stored_mercator)

            def view(params=params):
                response = client.get("/map/data/view/", params)
                assert response.status_code == 200, response.content[:300]
                return response

            def bare(sql=sql, args=args):
                return conn.execute(sql, args).fetchall()

            view()  # warm caches on both sides
            bare()
            view_times, bare_times = [], []
            for _ in range(repeat):
                view_times.append(timed(view, 1)[0])
                bare_times.append(timed(bare, 1)[0])
            response = view()
            data = response.json()
            bare_rows = bare()
            bare_total = sum(r[2] for r in bare_rows)
            rows.append(
                {
                    "case": name,
                    "params": params,
                    "mode": data["mode"],
                    "requests_in_view": data["total"],
                    "bare_requests": bare_total,
                    "bins": len(data.get("bins", data.get("markers", []))),
                    "bare_bins": len(bare_rows),
                    "view_s": min(view_times),
                    "bare_s": min(bare_times),
                    "view_median_s": statistics.median(view_times),
                    "bare_median_s": statistics.median(bare_times),
                    "ratio": min(view_times) / min(bare_times),
                    "bytes": len(response.content),
                }
            )
            log(
                f"{name}: view {rows[-1]['view_s'] * 1000:.0f} ms, bare "
                f"{rows[-1]['bare_s'] * 1000:.0f} ms, {rows[-1]['bytes']:,} B, "
                f"{data['mode']} {rows[-1]['bins']:,}"
            )
    return rows


def bytes_measure(repeat):
    """Province bins for ~a tenth of the requests (a date range) and for all."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(staff_user_ensure())
    base = {"bbox": PROVINCE_BBOX, "zoom": "9"}
    tenth = {**base, "date_from": "2024-01-01", "date_to": "2024-03-13"}
    out = {}
    for label, params in (("tenth", tenth), ("all", base)):
        data_bytes = client.get("/map/data/view/", params)
        data = data_bytes.json()
        out[label] = {
            "params": params,
            "requests": data["total"],
            "bins": len(data["bins"]),
            "bytes": len(data_bytes.content),
        }
    out["requests_ratio"] = out["all"]["requests"] / max(out["tenth"]["requests"], 1)
    out["bytes_ratio"] = out["all"]["bytes"] / out["tenth"]["bytes"]
    log(
        f"bytes: {out['tenth']['requests']:,} requests {out['tenth']['bytes']:,} B; "
        f"{out['all']['requests']:,} requests {out['all']['bytes']:,} B "
        f"({out['bytes_ratio']:.3f}×)"
    )
    return out


# -- the page in Chromium ---------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def page_measure(env, repeat):
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "geopool.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--timeout",
            "300",
        ],
        cwd=rd.ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu"],
            )
            context = browser.new_context(
                locale="tr-TR", viewport={"width": 1400, "height": 900}
            )
            page = context.new_page()
            page.set_default_timeout(300_000)
            page.goto(f"{base}/login/?next=/map/")
            page.fill("input[name=username]", USER)
            page.fill("input[name=password]", PASSWORD)
            page.click("form button.btn-primary")
            page.wait_for_url("**/map/")
            times = {"full": [], "districts": []}
            figures = {"full": [], "districts": []}
            paths = {"full": "/map/", "districts": "/map/?layers=districts"}
            for _ in range(repeat + 1):  # the first round warms up
                for mode in ("full", "districts"):
                    page.goto(base + paths[mode])
                    page.wait_for_selector(
                        'html[data-map-ready="1"]', state="attached", timeout=300_000
                    )
                    mark = page.evaluate(
                        "performance.getEntriesByName('map-ready')[0].startTime"
                    )
                    times[mode].append(mark / 1000)
                    # The district figures fill in after map-ready; waiting
                    # for them keeps the next page from sharing the server
                    # with a query this one left running.
                    page.wait_for_selector(
                        'html[data-figures-ready="1"]',
                        state="attached",
                        timeout=300_000,
                    )
                    mark = page.evaluate(
                        "performance.getEntriesByName('figures-ready')[0].startTime"
                    )
                    figures[mode].append(mark / 1000)
            state = page.evaluate(
                "document.querySelector('[data-testid=view-state]').textContent"
            )
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    full = min(times["full"][1:])
    districts = min(times["districts"][1:])
    log(f"page: full {full:.2f} s, districts only {districts:.2f} s ({state})")
    return {
        "full_s": full,
        "districts_s": districts,
        "ratio": full / districts,
        "full_all_s": times["full"],
        "districts_all_s": times["districts"],
        "full_figures_s": min(figures["full"][1:]),
        "districts_figures_s": min(figures["districts"][1:]),
        "full_figures_all_s": figures["full"],
        "districts_figures_all_s": figures["districts"],
        "view_state": state,
    }


# -- report -------------------------------------------------------------------------


def report_markdown(meta, bins_rows, byte_rows, page):
    lines = [
        "# Heat-map bins and the /map/ page",
        "",
        f"- date: {meta['machine']['date']}; commit {meta['machine']['git_commit']} "
        f"({meta['machine']['git_branch']}); dirty: "
        f"{', '.join(meta['machine']['git_dirty']) or 'no'}",
        f"- machine: {meta['machine']['nproc']} cores, {meta['machine']['cpu']}, "
        f"{meta['machine']['memory']}; load average {meta['load_start']} at the start, "
        f"{meta['load_end']} at the end",
        f"- data: {meta['requests']:,} generated requests over Hatay's 15 real "
        f"districts (70 % around the district seats), PostgreSQL "
        f"{meta['database']['postgresql']}, PostGIS {meta['database']['postgis']}",
        f"- each pair interleaved, best of {meta['repeat']}",
        "",
        "## Bins: the view against the bare SQL on the same grid",
        "",
        "| case | mode | requests in view | bins/markers | view ms | bare SQL ms "
        "| ratio (≤ 1.5) | payload bytes (< 200 KB) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in bins_rows:
        lines.append(
            f"| {r['case']} | {r['mode']} | {r['requests_in_view']:,} | {r['bins']:,} "
            f"| {r['view_s'] * 1000:.0f} | {r['bare_s'] * 1000:.0f} | "
            f"{r['ratio']:.2f}× | {r['bytes']:,} |"
        )
    lines += [
        "",
        "Bare SQL: one statement over `geopool_servicerequest` with the same "
        "bbox, filters and grid (counts agree: "
        + ", ".join(
            f"{r['case']} {_agree(r)}" for r in bins_rows if r["mode"] == "bins"
        )
        + "). The view: Django's test client in the benchmark process (session, "
        "filter form, visibility, PostGIS, JSON). With no filter (a coordinator "
        "sees every request) the view reads the bin counts PostgreSQL keeps "
        "per stored zoom level (migration geopool 0013, "
        "`geopool/web/staffmap/pyramid.py`) and counts only the requests in a "
        "band under 306 m wide along the viewport's edge; with a filter it "
        "counts the filtered requests, as the bare SQL does.",
        "",
        "## Bytes follow the bins, not the requests",
        "",
        "| requests | bins | bytes |",
        "|---:|---:|---:|",
        f"| {byte_rows['tenth']['requests']:,} | {byte_rows['tenth']['bins']:,} "
        f"| {byte_rows['tenth']['bytes']:,} |",
        f"| {byte_rows['all']['requests']:,} | {byte_rows['all']['bins']:,} "
        f"| {byte_rows['all']['bytes']:,} |",
        "",
        f"{byte_rows['requests_ratio']:.1f}× the requests: "
        f"{byte_rows['bytes_ratio']:.3f}× the bytes (target ≤ 1.1×).",
        "",
    ]
    if page:
        lines += [
            "## /map/ in headless Chromium, navigation to `map-ready`",
            "",
            "| page | `map-ready` s | district figures filled in s |",
            "|---|---:|---:|",
            f"| full (districts + bins) | {page['full_s']:.2f} "
            f"| {page.get('full_figures_s', float('nan')):.2f} |",
            f"| districts only (`?layers=districts`) | {page['districts_s']:.2f} "
            f"| {page.get('districts_figures_s', float('nan')):.2f} |",
            "",
            f"Ratio {page['ratio']:.2f}× (target ≤ 2×). gunicorn, 2 workers × 4 "
            "threads, on the same machine. `map-ready`: the district layer "
            "drawn and, on the full page, the bins of its viewport. The "
            "district comparison figures (the choropleth and the table), which "
            "place every filtered request in its district, fill in after it "
            "(mark `figures-ready`, the last column); each page load waits for "
            "them before the next one starts.",
            "",
        ]
    return "\n".join(lines)


def _agree(row):
    return "yes" if row["bare_requests"] == row["requests_in_view"] else "NO"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--no-page", action="store_true", help="skip Chromium")
    parser.add_argument("--drop", action="store_true", help="drop the database")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.drop:
        name = psycopg.conninfo.conninfo_to_dict(args.database_url)["dbname"]
        with psycopg.connect(
            args.database_url, dbname="postgres", autocommit=True
        ) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}"')
        log(f"dropped {name}")
        return
    load_start = " ".join(f"{v:.2f}" for v in os.getloadavg())
    media = Path(tempfile.mkdtemp(prefix="map-bins-media-"))
    env = rd.geopool_env(args.database_url, media)
    database = rd.database_prepare(args.database_url, env)
    world = rd.world_read(args.database_url)
    requests_ensure(args.database_url, world, args.requests, args.seed, args.reload)
    rd.django_setup(env)
    bins_rows = bins_measure(args.database_url, args.repeat)
    byte_rows = bytes_measure(args.repeat)
    page = None if args.no_page else page_measure(env, args.repeat)
    meta = {
        "machine": rd.machine_info(),
        "database": database,
        "requests": args.requests,
        "repeat": args.repeat,
        "load_start": load_start,
        "load_end": " ".join(f"{v:.2f}" for v in os.getloadavg()),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "map_bins.json").write_text(
        json.dumps(
            {"meta": meta, "bins": bins_rows, "bytes": byte_rows, "page": page},
            indent=2,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    (RESULTS / "map_bins.md").write_text(
        report_markdown(meta, bins_rows, byte_rows, page), encoding="utf-8"
    )
    log(f"results in {RESULTS / 'map_bins.md'}")


if __name__ == "__main__":
    main()
