"""Benchmark geopool's layer import against ogr2ogr, side by side in one run.

What: for each size N and source format (zipped shapefile, GeoPackage) this
script generates a synthetic road layer of N short polylines over Hatay in
EPSG:5256 (TUREF / TM36, metres), then loads the same file twice over:

- geopool: ``manage.py import_layer ... --commit [--activate]`` as a child
  process, i.e. the whole planner-facing path (Django start-up, reading,
  reprojection to EPSG:4326, checks, writing, subdividing, activation);
- reference: ``ogr2ogr -f PostgreSQL ... -t_srs EPSG:4326`` with COPY and a
  GiST index, the fastest ordinary way to get the same file into PostGIS.

Each side runs ``--repeat`` times (interleaved, best wall time kept, since a
2-core shared machine is noisy). Peak memory is the maximum resident set size
of the one command, as ``/usr/bin/time -v`` reports it (Debian package
``time``): exact per command, unlike deltas of ``RUSAGE_CHILDREN``. Only the
client process is measured: the PostgreSQL server's memory is not; its work
is in the wall time.

Why: imports must stay within 2x of ogr2ogr's time and use flat memory as
files grow (a planner's 100k-feature road file must not need 10x the RAM of
a 10k one). Absolute figures are machine-specific; the ratios are the point.

Everything happens in a dedicated database (default
``postgres:///geopool_bench``), created, migrated and loaded with the Hatay
pack when missing; the benchmark's tables and layers are removed at the end.
Results go to ``benchmarks/results/import_layers.{md,json}``. A failing
import is recorded with the last line of its error output; the run goes on.

Run from the repository root::

    .venv/bin/python benchmarks/import_layers.py --sizes 25000,50000,100000
"""

import argparse
import csv
import datetime
import functools
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import psycopg
import yaml
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

import geopandas as gpd
import pyogrio
import shapely
from pyproj import Transformer

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
MANAGE = ROOT / "manage.py"
# GNU time (Debian package "time") reports the peak RSS of the process it
# starts. Python cannot measure that itself: a child forked from this
# process counts the pages it shared with it before exec, so even `true`
# would "peak" at this script's own size.
GNU_TIME = Path("/usr/bin/time")

DEFAULT_DATABASE_URL = "postgres:///geopool_bench"
DEFAULT_SIZES = "25000,50000,100000"
FORMATS = ("shp", "gpkg")
SOURCE_EPSG = 5256  # TUREF / TM36: metres, so every import must reproject

DEFAULT_PACK = "packs/hatay"

TARGET_TIME_RATIO = 2.0  # geopool / ogr2ogr wall time
# "Flat" memory, as this harness reads it: peak RSS at the largest size at
# most this many times the peak at the smallest. Tight, because ~250 MB of
# it is the interpreter with Django and geopandas before a feature is read:
# the pre-rewrite import, which holds every feature in memory, grew only
# 1.24x from 10k to 50k features (263 -> 326 MB).
TARGET_RSS_GROWTH = 1.10

LAYER_PREFIX = "bench_roads_"
OGR_PREFIX = "bench_ogr_"

STREETS = ("Sokak", "Cadde", "Çıkmazı", "Şehit Er Sokağı", "Işıklı Yolu", "Bulvarı")
CLASSES = ("residential", "service", "tertiary", "secondary", "primary", "track")
CLASS_WEIGHTS = (0.45, 0.2, 0.15, 0.1, 0.05, 0.05)
REFS = ("", "D-817", "D-420", "D-825", "D-827", "O-53")
REF_WEIGHTS = (0.9, 0.03, 0.02, 0.02, 0.02, 0.01)


def log(message):
    """Print one progress line at once (the run takes minutes)."""
    stamp = datetime.datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", flush=True)


def last_line(text):
    """Return the last non-empty line of ``text`` (an error's summary)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


# "module.SomeError: message" or "CommandError: message", as tracebacks and
# Django commands end.
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b")


def error_line(text):
    """Return the line of ``text`` that states the error.

    That is the last line naming an exception, since a database error goes on
    with its query and a caret; else the last non-empty line.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        if EXCEPTION_LINE.match(line):
            return line
    return lines[-1] if lines else ""


# -- measuring a child process -------------------------------------------------


@dataclass
class Measured:
    wall_s: float
    peak_rss_kb: int | None
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False

    @property
    def ok(self):
        return self.returncode == 0 and not self.timed_out

    def error(self):
        if self.timed_out:
            return f"timed out after {self.wall_s:.1f} s"
        output = error_line(self.stderr) or error_line(self.stdout)
        return output or f"exit status {self.returncode}"


def run_measured(cmd, *, env=None, timeout=None):
    """Run ``cmd`` under GNU time; return its wall time, peak RSS and output.

    The child runs in its own session so a timeout can kill it with anything
    it started. Output goes to files rather than pipes, so nothing has to be
    read while we wait. Without GNU time the peak RSS is None.
    """
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r", suffix=".time") as usage,
    ):
        wrapped = cmd
        if GNU_TIME.exists():
            wrapped = [str(GNU_TIME), "-v", "-o", usage.name, *cmd]
        timed_out = False
        start = time.perf_counter()
        proc = subprocess.Popen(
            wrapped, cwd=ROOT, env=env, stdout=out, stderr=err, start_new_session=True
        )
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            # Its own session does not get the terminal's Ctrl-C: pass it on.
            if proc.returncode is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        wall = time.perf_counter() - start

        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", usage.read())
        out.seek(0)
        err.seek(0)
        return Measured(
            wall_s=wall,
            peak_rss_kb=int(found[1]) if found else None,
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            timed_out=timed_out,
        )


# -- the database ------------------------------------------------------------------


def ogr_connection(url):
    """Return (``PG:`` data source, env) for ogr2ogr; the password goes in env."""
    params = conninfo_to_dict(url)
    env = dict(os.environ)
    password = params.pop("password", None)
    if password:
        env["PGPASSWORD"] = password
    return "PG:" + make_conninfo("", **params), env


def redacted(url):
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


def database_ensure(url, fresh=False):
    """Create the benchmark database with PostGIS if missing (or ``fresh``)."""
    name = conninfo_to_dict(url).get("dbname")
    if not name:
        raise SystemExit(f"--database-url {redacted(url)} names no database")
    with psycopg.connect(url, dbname="postgres", autocommit=True) as conn:
        if fresh:
            log(f"dropping database {name} (--fresh)")
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
            )
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            log(f"creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        server = conn.execute("SHOW server_version").fetchone()[0]
        postgis = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
    return {"database": name, "postgresql": server, "postgis": postgis}


def geopool_prepare(python, env, pack=DEFAULT_PACK):
    """Migrate the benchmark database and load the Hatay pack.

    Returns an error line if geopool cannot run at all, else None. A failing
    pack load is only a warning: importing a layer does not need it.
    """
    notes = []
    for step in (["migrate", "--noinput"], ["load_jurisdiction", pack]):
        log(f"manage.py {' '.join(step)}")
        result = run_measured([python, str(MANAGE), *step], env=env, timeout=600)
        if not result.ok:
            message = f"manage.py {step[0]} failed: {result.error()}"
            log(message)
            if step[0] == "migrate":
                return message, notes
            notes.append(message)
    return None, notes


def ogr_table_drop(url, table):
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table)))


def ogr_table_count(url, table):
    with psycopg.connect(url) as conn:
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        return conn.execute(query).fetchone()[0]


def geopool_layers_delete(url, code=None):
    """Delete benchmark layers with their generations, features and parts.

    Plain SQL in one transaction: Django's foreign keys carry no ON DELETE in
    the database, so children go first. Layer tables have no append-only
    triggers (only decisions and events do); events name generations by id
    as text and stay. Returns None, or the error if something (say a table
    the import rewrite added) still refers to the rows.
    """
    pattern = code if code else LAYER_PREFIX.replace("_", r"\_") + "%"
    generations = """
        SELECT g.id FROM boundaries_generation g
        JOIN boundaries_layer l ON l.id = g.layer_id WHERE l.code LIKE %(p)s
    """
    statements = (
        f"DELETE FROM boundaries_featurepart WHERE generation_id IN ({generations})",
        f"DELETE FROM boundaries_feature WHERE generation_id IN ({generations})",
        f"DELETE FROM boundaries_generation WHERE id IN ({generations})",
        "DELETE FROM boundaries_layer WHERE code LIKE %(p)s",
    )
    try:
        with psycopg.connect(url) as conn, conn.transaction():
            for statement in statements:
                conn.execute(statement, {"p": pattern})
    except psycopg.Error as exc:
        return last_line(str(exc))
    return None


def features_vacuum(url):
    """VACUUM the feature tables (outside any timing), so that deleted rows
    are gone from their indexes."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM boundaries_feature, boundaries_featurepart")


def geopool_layer_count(url, code):
    """Return (features stored, is active) for the layer's newest generation."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            """
            SELECT (SELECT count(*) FROM boundaries_feature f
                    WHERE f.generation_id = g.id), g.is_active
            FROM boundaries_generation g
            JOIN boundaries_layer l ON l.id = g.layer_id
            WHERE l.code = %s ORDER BY g.number DESC LIMIT 1
            """,
            [code],
        ).fetchone()
    return row if row else (0, False)


# -- the synthetic layer -------------------------------------------------------------


@dataclass(frozen=True)
class PackPlace:
    """What the synthetic layer takes from the jurisdiction pack."""

    districts: tuple  # display names, for road names
    owners: tuple  # body codes, for the owner attribute
    outline: object  # shapely geometry of the jurisdiction, WGS 84


def pack_place(pack):
    """Read district names, body codes and the outline from ``pack``."""
    folder = ROOT / pack
    meta = yaml.safe_load((folder / "pack.yaml").read_text(encoding="utf-8"))
    with (folder / meta["files"]["bodies"]).open(encoding="utf-8-sig") as handle:
        bodies = list(csv.DictReader(handle))
    layer = next(
        spec
        for spec in meta["layers"]
        if spec["code"] == meta["settings"]["district_layer"]
    )
    data_dir = Path(os.environ.get("GEOPOOL_DATA_DIR", ROOT.parent / "shared" / "data"))
    source = layer["source"]
    path = folder / source[5:] if source.startswith("pack:") else data_dir / source
    return PackPlace(
        districts=tuple(
            b["short_name"] or b["name"] for b in bodies if b["kind"] == "district"
        ),
        owners=tuple(b["code"] for b in bodies),
        outline=gpd.read_file(path).union_all(),
    )


def roads_generate(n, seed, place):
    """Return a GeoDataFrame of ``n`` random short roads in EPSG:5256.

    Each road starts at a uniform random point inside the province (the real
    outline, so the import's outside-the-province check passes as it would
    for a municipality's file), has 2-6 vertices and is 50-500 m long,
    turning a little at each vertex.
    """
    rng = np.random.default_rng([seed, n])
    to_metric = Transformer.from_crs(4326, SOURCE_EPSG, always_xy=True)
    x0, y0 = to_metric.transform(*_points_in_province(rng, n, place.outline))

    vertices = rng.integers(2, 7, n)
    step = rng.uniform(50, 500, n) / (vertices - 1)
    owner = np.repeat(np.arange(n), vertices)
    first = np.cumsum(vertices) - vertices  # index of each road's first vertex
    is_first = np.zeros(owner.size, dtype=bool)
    is_first[first] = True

    heading = rng.uniform(0, 2 * np.pi, n)[owner] + _grouped_cumsum(
        np.where(is_first, 0.0, rng.normal(0, 0.4, owner.size)), first, owner
    )
    length = np.where(is_first, 0.0, step[owner])
    x = x0[owner] + _grouped_cumsum(length * np.cos(heading), first, owner)
    y = y0[owner] + _grouped_cumsum(length * np.sin(heading), first, owner)
    geometry = shapely.linestrings(x, y, indices=owner)

    number = rng.integers(1, 3000, n)
    street = rng.integers(0, len(STREETS), n)
    district = rng.integers(0, len(place.districts), n)
    names = [
        f"{STREETS[s]} {k} {place.districts[d]}"
        for s, k, d in zip(street, number, district, strict=True)
    ]
    return gpd.GeoDataFrame(
        {
            "name": names,
            "code": [f"SYN-YOL-{i:07d}" for i in range(1, n + 1)],
            "class": rng.choice(CLASSES, n, p=CLASS_WEIGHTS),
            "ref": rng.choice(REFS, n, p=REF_WEIGHTS),
            "owner": rng.choice(place.owners, n),
        },
        geometry=geometry,
        crs=f"EPSG:{SOURCE_EPSG}",
    )


def _points_in_province(rng, n, outline):
    """``n`` uniform random (lon, lat) at least 1 km inside ``outline``."""
    shape = gpd.GeoSeries([outline], crs=4326).to_crs(SOURCE_EPSG).buffer(-1000)
    inner = shape.to_crs(4326).union_all()
    shapely.prepare(inner)
    west, south, east, north = inner.bounds
    lons, lats = np.empty(0), np.empty(0)
    while lons.size < n:
        lon = rng.uniform(west, east, 2 * n)
        lat = rng.uniform(south, north, 2 * n)
        keep = shapely.contains_xy(inner, lon, lat)
        lons, lats = (
            np.concatenate([lons, lon[keep]]),
            np.concatenate([lats, lat[keep]]),
        )
    return lons[:n], lats[:n]


def _grouped_cumsum(values, first, owner):
    """Cumulative sum of ``values`` restarting at each road's first vertex."""
    total = np.cumsum(values)
    return total - (total[first] - values[first])[owner]


@dataclass
class Source:
    fmt: str
    path: Path  # what geopool is given
    ogr_path: str  # what ogr2ogr is given
    size_bytes: int


def sources_write(frame, n, formats, folder):
    """Write ``frame`` in each format; return {format: Source}."""
    written = {}
    if "shp" in formats:
        shp_dir = folder / f"shp_{n}"
        shp_dir.mkdir()
        pyogrio.write_dataframe(
            frame, shp_dir / "roads.shp", driver="ESRI Shapefile", encoding="UTF-8"
        )
        archive = folder / f"roads_{n}.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
            for part in sorted(shp_dir.iterdir()):
                bundle.write(part, part.name)
        written["shp"] = Source(
            "shp", archive, f"/vsizip/{archive}/roads.shp", archive.stat().st_size
        )
    if "gpkg" in formats:
        path = folder / f"roads_{n}.gpkg"
        pyogrio.write_dataframe(frame, path, layer="roads", driver="GPKG")
        written["gpkg"] = Source("gpkg", path, str(path), path.stat().st_size)
    return written


# -- the two sides -----------------------------------------------------------------


def import_flags(python, env):
    """Read which flags this checkout's ``import_layer`` accepts.

    The final CLI has ``--activate``; the one before the rewrite activates on
    ``--commit`` alone. Returns ({flag: bool}, error line or None).
    """
    result = run_measured(
        [python, str(MANAGE), "import_layer", "--help"], env=env, timeout=300
    )
    if not result.ok:
        return {}, f"manage.py import_layer --help failed: {result.error()}"
    return {
        flag: bool(re.search(rf"{flag}(?![\w-])", result.stdout))
        for flag in ("--activate", "--kind")
    }, None


def geopool_command(source, layer, flags):
    cmd = [sys.executable, str(MANAGE), "import_layer", str(source.path)]
    cmd += ["--layer", layer]
    if flags.get("--kind"):
        cmd += ["--kind", "line"]
    cmd += ["--name-field", "name", "--code-field", "code"]
    for attribute in ("class", "ref", "owner"):
        cmd += ["--map", f"{attribute}={attribute}"]
    cmd.append("--commit")
    if flags.get("--activate"):
        cmd.append("--activate")
    return cmd


def ogr_command(datasource, source, table):
    cmd = ["ogr2ogr", "-f", "PostgreSQL", datasource, source.ogr_path]
    cmd += ["-nln", table, "-t_srs", "EPSG:4326", "-overwrite"]
    cmd += ["-lco", "GEOMETRY_NAME=geometry", "-lco", "SPATIAL_INDEX=GIST"]
    return cmd + ["--config", "PG_USE_COPY", "YES"]


@dataclass
class Side:
    """One side (geopool or ogr2ogr) of one size and format."""

    status: str = "not run"  # ok | failed | skipped
    error: str = ""
    runs: list = field(default_factory=list)  # [{wall_s, peak_rss_kb}]
    best_wall_s: float | None = None
    peak_rss_kb: int | None = None  # of the best run
    features_per_s: float | None = None
    rows_stored: int | None = None
    summary: str = ""
    output_tail: str = ""  # of a failed run: the end of its error output
    command: list = field(default_factory=list)

    def keep(self, result, n):
        self.runs.append(
            {"wall_s": round(result.wall_s, 3), "peak_rss_kb": result.peak_rss_kb}
        )
        if self.best_wall_s is None or result.wall_s < self.best_wall_s:
            self.best_wall_s = result.wall_s
            self.peak_rss_kb = result.peak_rss_kb
            self.features_per_s = n / result.wall_s
            self.summary = last_line(result.stdout)

    def fail(self, message):
        self.status, self.error = "failed", message


def side_run(side, n, label, cmd, env, timeout, before, check):
    """Run one repeat of a side; ``before`` resets state, ``check`` counts."""
    side.command = cmd
    if side.status in ("failed", "skipped"):
        return
    try:
        before()
        result = run_measured(cmd, env=env, timeout=timeout)
    except (OSError, psycopg.Error) as exc:
        side.fail(f"could not run: {last_line(str(exc))}")
        log(f"{label}: FAILED: {side.error}")
        return
    if not result.ok:
        side.fail(result.error())
        tail = (result.stderr.strip() or result.stdout.strip()).splitlines()[-30:]
        side.output_tail = "\n".join(tail)
        log(f"{label}: FAILED after {result.wall_s:.1f} s: {side.error}")
        return
    try:
        stored, note = check()
    except psycopg.Error as exc:
        stored, note = None, f"could not count rows: {last_line(str(exc))}"
    side.rows_stored = stored
    if stored is not None and stored != n:
        side.fail(f"stored {stored} of {n} features")
    else:
        side.status = "ok"
    side.keep(result, n)
    if note and note not in side.error:
        side.error = f"{side.error}; {note}" if side.error else note
    log(
        f"{label}: {result.wall_s:.2f} s, {n / result.wall_s:,.0f} features/s, "
        f"peak RSS {_num(_mb(result.peak_rss_kb), '.0f')} MB, {side.status}"
        + (f" ({side.error})" if side.error else "")
    )


# -- the machine and the report -------------------------------------------------------


def machine_info():
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass

    def git(*args):
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        )
        return done.stdout.rstrip()

    # Porcelain lines are "XY path": two status letters, a space, the path.
    dirty = git("status", "--porcelain").splitlines()
    ogr = subprocess.run(
        ["ogr2ogr", "--version"], capture_output=True, text=True, check=False
    )
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "memory": memory,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "gdal": ogr.stdout.strip(),
        "pyogrio": pyogrio.__version__,
        "git_commit": git("rev-parse", "--short", "HEAD"),
        "git_branch": git("rev-parse", "--abbrev-ref", "HEAD"),
        "git_dirty": [line[3:] for line in dirty],
    }


def _loads(load):
    if not load:
        return "—"
    text = f"{', '.join(map(str, load['start']))} at the start"
    if load.get("end"):
        text += f", {', '.join(map(str, load['end']))} at the end"
    return text + f" ({len(os.sched_getaffinity(0))} cores)"


def _load():
    """The load averages over 1, 5 and 15 minutes, rounded."""
    return [round(value, 2) for value in os.getloadavg()]


def _num(value, fmt):
    return "—" if value is None else format(value, fmt)


def _cell(side, value, fmt):
    if side.status == "failed" and side.best_wall_s is None:
        return "failed"
    return _num(value, fmt)


def _mb(kb):
    return None if kb is None else kb / 1024


def _extremes(rows, side_name, fmt):
    """The smallest and largest size's rows with a peak RSS, or None."""
    usable = [
        r for r in rows if r["format"] == fmt and r[side_name].peak_rss_kb is not None
    ]
    if len(usable) < 2:
        return None
    usable.sort(key=lambda r: r["features"])
    return usable[0], usable[-1]


def rss_growth(rows, side_name, fmt):
    """Peak RSS at the largest size over the smallest, for one side/format."""
    found = _extremes(rows, side_name, fmt)
    if not found:
        return None
    small, large = found
    return large[side_name].peak_rss_kb / small[side_name].peak_rss_kb


def rss_slope(rows, side_name, fmt):
    """Extra peak RSS per 100,000 more features, in MB (0 when flat)."""
    found = _extremes(rows, side_name, fmt)
    if not found:
        return None
    small, large = found
    extra_kb = large[side_name].peak_rss_kb - small[side_name].peak_rss_kb
    return extra_kb / 1024 / (large["features"] - small["features"]) * 100_000


def _dirty(paths, shown=8):
    if not paths:
        return "clean"
    listed = ", ".join(paths[:shown]) + (", …" if len(paths) > shown else "")
    return f"with uncommitted changes in {len(paths)} paths ({listed})"


def report_markdown(meta, rows):
    m = meta["machine"]
    lines = [
        "# Layer import benchmark: geopool vs ogr2ogr",
        "",
        "Generated by `benchmarks/import_layers.py`; machine-specific. Compare the "
        "two sides of one run, never against another machine's figures.",
        "",
        f"- date: {m['date']}",
        f"- machine: {m['nproc']} cores ({m['cpu']}), {m['memory']}, "
        f"Linux {m['kernel']}",
        f"- code: {m['git_branch']} at {m['git_commit']}, {_dirty(m['git_dirty'])}",
        f"- software: Python {m['python']}, {m['gdal']}, pyogrio {m['pyogrio']}, "
        f"PostgreSQL {meta['database'].get('postgresql')}, "
        f"PostGIS {meta['database'].get('postgis')}",
        f"- load average (1, 5, 15 min): {_loads(meta.get('load_average'))}",
        f"- source: synthetic roads (2–6 vertices, 50–500 m) in EPSG:{SOURCE_EPSG}, "
        f"reprojected to EPSG:4326 by both sides; seed {meta['seed']}",
        f"- geopool command: `{meta['geopool_command']}`",
        f"- ogr2ogr command: `{meta['ogr_command']}`",
        f"- best of {meta['repeat']} runs per side (interleaved); peak RSS is "
        "the client process's maximum resident set size in that best run",
    ]
    if meta.get("geopool_startup_s") is not None:
        lines.append(
            "- geopool start-up alone (`manage.py import_layer --help`): "
            f"{meta['geopool_startup_s']:.2f} s and "
            f"{_num(_mb(meta['geopool_startup_rss_kb']), '.0f')} MB peak RSS, "
            "included in its figures"
        )
    for note in meta.get("notes", []):
        lines.append(f"- note: {note}")

    lines += [
        "",
        f"Targets: geopool/ogr2ogr time ≤ {TARGET_TIME_RATIO:g}×; peak RSS flat "
        f"as the file grows (largest/smallest ≤ {TARGET_RSS_GROWTH:g}×).",
        "",
        "| features | format | file MB | geopool s | ogr2ogr s | ratio | "
        "geopool feat/s | ogr2ogr feat/s | geopool RSS MB | ogr2ogr RSS MB | notes |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        g, o = r["geopool"], r["ogr2ogr"]
        ratio = r["ratio"]
        verdict = ""
        if ratio is not None:
            verdict = " ✓" if ratio <= TARGET_TIME_RATIO else " ✗"
        notes = "; ".join(
            f"{name}: {side.error}"
            for name, side in (("geopool", g), ("ogr2ogr", o))
            if side.error
        )
        lines.append(
            f"| {r['features']:,} | {r['format']} | {r['file_bytes'] / 1e6:.1f} | "
            f"{_cell(g, g.best_wall_s, '.2f')} | {_cell(o, o.best_wall_s, '.2f')} | "
            f"{_num(ratio, '.1f')}{verdict} | "
            f"{_cell(g, g.features_per_s, ',.0f')} | "
            f"{_cell(o, o.features_per_s, ',.0f')} | "
            f"{_cell(g, _mb(g.peak_rss_kb), '.0f')} | "
            f"{_cell(o, _mb(o.peak_rss_kb), '.0f')} | {notes.replace('|', '/')} |"
        )

    lines += [
        "",
        "Peak RSS growth, largest size over smallest (and the extra MB per "
        "100,000 more features):",
        "",
    ]
    for fmt in meta["formats"]:
        parts = []
        for name in ("geopool", "ogr2ogr"):
            growth = rss_growth(rows, name, fmt)
            mark = ""
            if growth is not None:
                mark = " ✓" if growth <= TARGET_RSS_GROWTH else " ✗"
            if growth is None:
                parts.append(f"{name} —")
                continue
            slope = rss_slope(rows, name, fmt)
            parts.append(f"{name} {growth:.2f}×{mark} ({slope:+.0f} MB/100k)")
        lines.append(f"- {fmt}: " + ", ".join(parts))
    return "\n".join(lines) + "\n"


def report_json(meta, rows):
    growth = {
        fmt: {
            name: {
                "ratio": rss_growth(rows, name, fmt),
                "mb_per_100k_features": rss_slope(rows, name, fmt),
            }
            for name in ("geopool", "ogr2ogr")
        }
        for fmt in meta["formats"]
    }
    return {
        **meta,
        "targets": {
            "time_ratio_max": TARGET_TIME_RATIO,
            "rss_growth_max": TARGET_RSS_GROWTH,
        },
        "rss_growth": growth,
        "rows": [
            {
                **{k: v for k, v in r.items() if k not in ("geopool", "ogr2ogr")},
                "geopool": asdict(r["geopool"]),
                "ogr2ogr": asdict(r["ogr2ogr"]),
            }
            for r in rows
        ],
    }


# -- the run -----------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=(
            "Time geopool's import_layer against ogr2ogr on synthetic road layers "
            "of several sizes and formats, in one run on this machine, and write "
            "benchmarks/results/import_layers.{md,json}."
        )
    )
    parser.add_argument(
        "--sizes",
        default=DEFAULT_SIZES,
        help=f"comma-separated feature counts (default {DEFAULT_SIZES})",
    )
    parser.add_argument(
        "--formats",
        default=",".join(FORMATS),
        help="comma-separated source formats among shp (zipped shapefile) and "
        "gpkg (default shp,gpkg)",
    )
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="dedicated PostGIS database, created if missing; never point this "
        f"at a database in use (default {DEFAULT_DATABASE_URL})",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="drop and recreate the benchmark database first (use it while "
        "migrations are being rewritten: an applied migration is never re-read)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=2,
        help="runs per side; the best wall time is kept (default 2)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=1800,
        help="seconds before one import is killed and marked failed (default 1800)",
    )
    parser.add_argument(
        "--seed", type=int, default=5256, help="seed of the synthetic layer"
    )
    parser.add_argument(
        "--pack",
        default=DEFAULT_PACK,
        help="jurisdiction pack whose outline, districts and bodies the synthetic "
        f"layer uses (default {DEFAULT_PACK})",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=RESULTS,
        help="folder for import_layers.md and .json (default benchmarks/results)",
    )
    args = parser.parse_args(argv)
    try:
        args.sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error(f"--sizes {args.sizes!r}: expected integers like 25000,50000")
    if not args.sizes or min(args.sizes) < 1:
        parser.error("--sizes: give at least one positive feature count")
    args.formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = sorted(set(args.formats) - set(FORMATS))
    if unknown or not args.formats:
        parser.error(f"--formats: unknown {', '.join(unknown)}; choose from shp,gpkg")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


@dataclass
class Bench:
    """What every step of one benchmark run needs."""

    args: argparse.Namespace
    folder: Path  # where the generated sources are written
    env: dict  # for manage.py: DATABASE_URL set
    datasource: str  # PG:... for ogr2ogr
    ogr_env: dict
    flags: dict  # which import_layer flags exist
    geopool_error: str | None  # set when geopool cannot run at all

    @property
    def url(self):
        return self.args.database_url

    @functools.cached_property
    def place(self):
        return pack_place(self.args.pack)


def main(argv=None):
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="geopool-bench-") as folder:
        return run(args, Path(folder))


def run(args, folder):
    """Prepare the database, run every size, write the results."""
    url = args.database_url
    # The import keeps a copy of each source under MEDIA_ROOT: keep those
    # copies in the scratch folder, out of the work tree.
    env = dict(os.environ, DATABASE_URL=url, GEOPOOL_MEDIA_ROOT=str(folder / "media"))
    datasource, ogr_env = ogr_connection(url)
    machine = machine_info()
    log(
        f"{machine['nproc']} cores, {machine['cpu']}; sizes {args.sizes}, formats "
        f"{args.formats}, database {redacted(url)}"
    )

    try:
        database = database_ensure(url, fresh=args.fresh)
    except psycopg.Error as exc:
        raise SystemExit(
            f"cannot prepare {redacted(url)}: {last_line(str(exc))}"
        ) from exc
    geopool_error, notes = geopool_prepare(sys.executable, env, args.pack)
    flags = {}
    if not geopool_error:
        flags, geopool_error = import_flags(sys.executable, env)
    log(f"import_layer flags: {flags or 'unavailable'}")
    if flags and not flags["--activate"]:
        notes.append(
            "import_layer has no --activate yet: its --commit activates (pre-rewrite)"
        )
    if flags and not flags["--kind"]:
        notes.append("import_layer has no --kind: the layer kind was not passed")
    if geopool_error:
        notes.append(geopool_error)
    if not GNU_TIME.exists():
        notes.append(f"{GNU_TIME} missing (apt-get install time): no peak RSS")
        log(notes[-1])

    startup = startup_rss = None
    if not geopool_error:
        help_cmd = [sys.executable, str(MANAGE), "import_layer", "--help"]
        runs = [
            run_measured(help_cmd, env=env, timeout=300) for _ in range(args.repeat)
        ]
        startup = min(r.wall_s for r in runs)
        peaks = [r.peak_rss_kb for r in runs if r.peak_rss_kb is not None]
        startup_rss = min(peaks, default=None)
        log(
            f"geopool start-up: {startup:.2f} s, peak RSS "
            f"{_num(_mb(startup_rss), '.0f')} MB"
        )

    example = Source("shp", Path("PATH.zip"), "/vsizip/PATH.zip/roads.shp", 0)
    geopool_example = geopool_command(example, f"{LAYER_PREFIX}N_FMT", flags)
    meta = {
        "machine": machine,
        "database": database,
        "sizes": args.sizes,
        "formats": args.formats,
        "repeat": args.repeat,
        "seed": args.seed,
        "import_layer_flags": flags,
        "geopool_startup_s": startup,
        "geopool_startup_rss_kb": startup_rss,
        "geopool_command": " ".join(["manage.py", *geopool_example[2:]]),
        "ogr_command": " ".join(ogr_command('PG:"…"', example, f"{OGR_PREFIX}N_FMT")),
        "notes": notes,
        # Other work on the machine slows both sides, and not evenly: a
        # geopool import keeps two processes busy, ogr2ogr mostly one.
        "load_average": {"start": _load(), "end": None},
    }

    rows = []
    bench = Bench(args, folder, env, datasource, ogr_env, flags, geopool_error)
    try:
        for n in args.sizes:
            rows += bench_size(bench, n)
            meta["load_average"]["end"] = _load()
            write_results(args.output, meta, rows)
    finally:
        cleanup(url)
    write_results(args.output, meta, rows)
    log(f"results: {args.output / 'import_layers.md'}")
    failed = [r for r in rows if "failed" in (r["geopool"].status, r["ogr2ogr"].status)]
    return 1 if failed else 0


def bench_size(bench, n):
    """Generate the layer of size ``n`` and run every format and side on it."""
    log(f"generating {n:,} roads in EPSG:{SOURCE_EPSG}")
    started = time.perf_counter()
    try:
        frame = roads_generate(n, bench.args.seed, bench.place)
        sources = sources_write(frame, n, bench.args.formats, bench.folder)
    except Exception as exc:  # a broken environment must not lose other sizes
        log(f"generating {n:,} roads FAILED: {exc}")
        rows = [_row(n, fmt, 0) for fmt in bench.args.formats]
        for row in rows:
            row["geopool"].fail(f"generation failed: {exc}")
            row["ogr2ogr"].fail(f"generation failed: {exc}")
        return rows
    log(f"wrote {', '.join(sources)} in {time.perf_counter() - started:.1f} s")

    rows = []
    for fmt, source in sources.items():
        row = _row(n, fmt, source.size_bytes)
        layer, table = f"{LAYER_PREFIX}{n}_{fmt}", f"{OGR_PREFIX}{n}_{fmt}"
        if bench.geopool_error:
            row["geopool"].fail(bench.geopool_error)
        plans = (
            (
                "geopool",
                geopool_command(source, layer, bench.flags),
                bench.env,
                partial(_geopool_reset, bench.url, layer),
                partial(_geopool_check, bench.url, layer),
            ),
            (
                "ogr2ogr",
                ogr_command(bench.datasource, source, table),
                bench.ogr_env,
                partial(ogr_table_drop, bench.url, table),
                partial(_ogr_check, bench.url, table),
            ),
        )
        # Interleaved, so drift on a shared machine hits both sides alike.
        for run in range(1, bench.args.repeat + 1):
            for name, cmd, env, before, check in plans:
                label = f"{name} {n:,} {fmt} run {run}/{bench.args.repeat}"
                side_run(
                    row[name], n, label, cmd, env, bench.args.timeout, before, check
                )
        g, o = row["geopool"], row["ogr2ogr"]
        if g.best_wall_s and o.best_wall_s:
            row["ratio"] = g.best_wall_s / o.best_wall_s
        rows.append(row)
    return rows


def _row(n, fmt, size):
    return {
        "features": n,
        "format": fmt,
        "file_bytes": size,
        "geopool": Side(),
        "ogr2ogr": Side(),
        "ratio": None,
    }


def _geopool_reset(url, layer):
    """Start each geopool run from a database without this layer.

    The deleted rows are vacuumed away too: ogr2ogr starts each run from a
    new table, and geopool's runs must not find the index of the features
    table grown by the dead rows of the runs before them (with autovacuum
    off, nothing else removes them).
    """
    error = geopool_layers_delete(url, layer)
    if error:
        log(f"could not delete layer {layer} before the run: {error}")
    features_vacuum(url)


def _geopool_check(url, layer):
    stored, active = geopool_layer_count(url, layer)
    return stored, "" if active else "newest generation is not active"


def _ogr_check(url, table):
    return ogr_table_count(url, table), ""


def cleanup(url):
    """Drop what the benchmark created: ogr2ogr tables and geopool layers."""
    log("cleaning up benchmark tables and layers")
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            tables = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename LIKE %s",
                [OGR_PREFIX.replace("_", r"\_") + "%"],
            ).fetchall()
            for (table,) in tables:
                conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(table)))
        error = geopool_layers_delete(url)
    except psycopg.Error as exc:
        error = last_line(str(exc))
    if error:
        log(f"left some benchmark tables or layers in place: {error}")


def write_results(folder, meta, rows):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "import_layers.md").write_text(
        report_markdown(meta, rows), encoding="utf-8"
    )
    (folder / "import_layers.json").write_text(
        json.dumps(report_json(meta, rows), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    sys.exit(main())
