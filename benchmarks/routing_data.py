"""The synthetic routing workload shared by the routing benchmarks.

``route_bulk.py`` and ``decide_latency.py`` route points over Hatay's real
districts against the demo road layer grown to 50,000 segments. This module
builds that world in a dedicated database and hands both benchmarks the same
data:

- ``database_prepare``: the database with PostGIS, migrated, the Hatay pack
  and its layers loaded (``load_jurisdiction``, ``load_pack_layers
  --commit``), as ``scripts/setup`` and ``scripts/demo`` do;
- ``roads_ensure``: a new active generation of the ``roads`` layer holding
  the 15 demo roads of ``packs/hatay/demo/roads.geojson`` plus generated
  segments (50-500 m, 2-6 vertices; KGM state highways and the O-53, HBB
  arterials, district streets owned by the district municipality where they
  lie, a few other district roads no rule reads; some KGM segments with a
  parallel frontage street 6-20 m away, where road owners compete), loaded
  through geopool's own import (``manage.py import_layer ... --commit
  --activate``). A generation this module already loaded with the same
  parameters is reused;
- ``points_generate``: request points inside the real districts (read from
  the active ``districts`` generation): most around the district seats, the
  rest uniform, and a share *targeted* at set distances from roads (around
  the 15 m and 25 m rule distances, between frontage pairs), parks and the
  container city, so the rules' edges are exercised. Categories are drawn
  from the pack's categories.

Nothing here imports geopool: the oracle in ``route_bulk.py`` must share no
code with the fast path, and the data must not depend on it either.
"""

import csv
import datetime
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import import_layers  # benchmarks/import_layers.py: machine, database, run helpers
import numpy as np
import psycopg
import yaml

import pyogrio
import shapely
from pyproj import Transformer

ROOT = import_layers.ROOT
RESULTS = import_layers.RESULTS
MANAGE = import_layers.MANAGE
PACK = ROOT / "packs" / "hatay"
DEFAULT_DATABASE_URL = "postgres:///geopool_bench"
METRIC_EPSG = 5256  # TUREF / TM36: metres on the ground within 1 mm per 25 m here

log = import_layers.log
redacted = import_layers.redacted
last_line = import_layers.last_line
machine_info = import_layers.machine_info

# Bumped whenever the generator changes, so an old generation is not reused.
ROADS_VERSION = 1
KGM_REFS = ("D-817", "D-420", "D-825", "D-827", "O-53")
KGM_REF_WEIGHTS = (0.35, 0.2, 0.2, 0.15, 0.1)
STREETS = ("Sokak", "Cadde", "Çıkmazı", "Şehit Er Sokağı", "Işıklı Yolu", "Bulvarı")
# The shares of generated segments by owner (the rest: district municipalities).
KGM_SHARE, HBB_SHARE = 0.12, 0.23
# Of the district municipalities' roads, those of a class no rule reads.
OTHER_CLASS_SHARE = 0.15
FRONTAGE_PAIRS = 1_000  # KGM segments with a parallel street of another owner
TOWN_SHARE_ROADS = 0.55  # roads around the district seats, the rest uniform
TOWN_SIGMA_ROADS_M = 2_500


# -- the database -------------------------------------------------------------


def manage(args, env, timeout=1800):
    """Run ``manage.py ARGS`` as a child process; raise with its error line."""
    result = import_layers.run_measured(
        [sys.executable, str(MANAGE), *args], env=env, timeout=timeout
    )
    if not result.ok:
        raise SystemExit(f"manage.py {' '.join(args[:2])} failed: {result.error()}")
    return result


def geopool_env(url, media_root):
    """Environment for geopool child processes and ``django_setup``."""
    return dict(
        os.environ,
        DATABASE_URL=url,
        GEOPOOL_MEDIA_ROOT=str(media_root),
        DJANGO_SETTINGS_MODULE="geopool.settings",
        LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"),
    )


def database_prepare(url, env, fresh=False):
    """Create (or with ``fresh`` recreate) the database; migrate; load the pack.

    ``load_pack_layers`` leaves a layer whose active generation already comes
    from the same file alone, so this is quick on a second run; the roads
    layer, whose active generation is the benchmark's own, is left alone too.
    """
    try:
        database = import_layers.database_ensure(url, fresh=fresh)
    except psycopg.Error as exc:
        raise SystemExit(
            f"cannot prepare {redacted(url)}: {last_line(str(exc))}"
        ) from exc
    log("manage.py migrate")
    manage(["migrate", "--noinput"], env)
    log("manage.py load_jurisdiction packs/hatay")
    manage(["load_jurisdiction", "packs/hatay"], env)
    with psycopg.connect(url) as conn:
        loaded = conn.execute(
            "SELECT count(*) FROM boundaries_generation g JOIN boundaries_layer l "
            "ON l.id = g.layer_id WHERE l.code = 'districts' AND g.is_active"
        ).fetchone()[0]
    if not loaded:
        log("manage.py load_pack_layers packs/hatay --commit")
        manage(["load_pack_layers", "packs/hatay", "--commit"], env)
    return database


def django_setup(env):
    """Set up Django in this process against the benchmark database."""
    for key in ("DATABASE_URL", "GEOPOOL_MEDIA_ROOT", "DJANGO_SETTINGS_MODULE"):
        os.environ[key] = env[key]
    os.environ.setdefault("LOG_LEVEL", env["LOG_LEVEL"])
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# -- what the database holds ----------------------------------------------------


@dataclass
class World:
    """The districts, bodies and categories the workload is built on."""

    district_codes: list  # official codes, layer order
    district_names: list
    district_geoms: np.ndarray  # shapely, WGS 84
    district_body: dict  # district code -> body code
    body_short: dict  # body code -> short name
    categories: list  # active category codes
    towns: np.ndarray  # (k, 2) lon/lat of the district seats
    union: object  # prepared union of the districts, WGS 84


def active_generation(conn, layer):
    """(id, number) of the active generation of ``layer``, or None."""
    return conn.execute(
        "SELECT g.id, g.number FROM boundaries_generation g JOIN boundaries_layer l "
        "ON l.id = g.layer_id WHERE l.code = %s AND g.is_active",
        [layer],
    ).fetchone()


def layer_features(conn, generation_id):
    """[(code, name, attributes, shapely geometry)] of one generation."""
    rows = conn.execute(
        "SELECT code, name, attributes, ST_AsBinary(geometry) FROM boundaries_feature "
        "WHERE generation_id = %s ORDER BY code, name, id",
        [generation_id],
    ).fetchall()
    geoms = shapely.from_wkb([bytes(r[3]) for r in rows])
    return [(r[0], r[1], r[2], g) for r, g in zip(rows, geoms, strict=True)]


def world_read(url):
    with psycopg.connect(url) as conn:
        generation = active_generation(conn, "districts")
        if generation is None:
            raise SystemExit("the districts layer has no active generation")
        districts = layer_features(conn, generation[0])
        bodies = conn.execute(
            "SELECT code, short_name, kind, district_code, is_active FROM geopool_body "
            "ORDER BY code"
        ).fetchall()
        categories = [
            r[0]
            for r in conn.execute(
                "SELECT code FROM geopool_category WHERE is_active ORDER BY code"
            )
        ]
    district_body = {}
    for code, _short, kind, district_code, active in bodies:
        if kind == "district" and active and district_code:
            district_body.setdefault(district_code, code)
    geoms = np.asarray([d[3] for d in districts], dtype=object)
    shapely.prepare(geoms)
    union = shapely.union_all(geoms)
    shapely.prepare(union)
    return World(
        district_codes=[d[0] for d in districts],
        district_names=[d[1] for d in districts],
        district_geoms=geoms,
        district_body=district_body,
        body_short={code: short or code for code, short, *_ in bodies},
        categories=categories,
        towns=_towns(geoms, union),
        union=union,
    )


def _towns(district_geoms, union):
    """The district seats (OSM admin centres of the pack's samples) as lon/lat.

    A district without one in the file (or a missing file) gets a point on
    its surface instead.
    """
    data_dir = Path(os.environ.get("GEOPOOL_DATA_DIR", ROOT.parent / "shared" / "data"))
    path = data_dir / "hatay" / "hatay_admin_centres_osm.geojson"
    seats = []
    if path.exists():
        for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
            props = feature["properties"]
            if props.get("role") == "admin_centre" and props.get("of_admin_level") == 6:
                seats.append(feature["geometry"]["coordinates"][:2])
    seats = np.asarray(seats, dtype=float).reshape(-1, 2)
    points = []
    for geom in district_geoms:
        inside = (
            shapely.contains_xy(geom, seats[:, 0], seats[:, 1]) if len(seats) else []
        )
        if np.any(inside):
            points.append(seats[np.flatnonzero(inside)[0]])
        else:
            surface = shapely.point_on_surface(geom)
            points.append([surface.x, surface.y])
    return np.asarray(points)


# -- generated points -------------------------------------------------------------


_TO_METRIC = Transformer.from_crs(4326, METRIC_EPSG, always_xy=True)
_TO_WGS = Transformer.from_crs(METRIC_EPSG, 4326, always_xy=True)


def _inside(world, lon, lat):
    return shapely.contains_xy(world.union, lon, lat)


def points_uniform(rng, world, n):
    """``n`` uniform random (lon, lat) inside the districts."""
    west, south, east, north = shapely.bounds(world.union)
    lons, lats = [], []
    have = 0
    while have < n:
        lon = rng.uniform(west, east, 2 * (n - have) + 100)
        lat = rng.uniform(south, north, 2 * (n - have) + 100)
        keep = _inside(world, lon, lat)
        lons.append(lon[keep])
        lats.append(lat[keep])
        have += int(keep.sum())
    return np.concatenate(lons)[:n], np.concatenate(lats)[:n]


def points_towns(rng, world, n, sigma_m, margin=None):
    """``n`` points normally spread (sigma metres) around the district seats."""
    tx, ty = _TO_METRIC.transform(world.towns[:, 0], world.towns[:, 1])
    shape = margin if margin is not None else world.union
    lons, lats = [], []
    have = 0
    while have < n:
        m = 2 * (n - have) + 100
        town = rng.integers(0, len(tx), m)
        x = tx[town] + rng.normal(0, sigma_m, m)
        y = ty[town] + rng.normal(0, sigma_m, m)
        lon, lat = _TO_WGS.transform(x, y)
        keep = shapely.contains_xy(shape, lon, lat)
        lons.append(lon[keep])
        lats.append(lat[keep])
        have += int(keep.sum())
    return np.concatenate(lons)[:n], np.concatenate(lats)[:n]


def _grouped_cumsum(values, first, owner):
    total = np.cumsum(values)
    return total - (total[first] - values[first])[owner]


def _random_lines(rng, x0, y0):
    """Short polylines (2-6 vertices, 50-500 m) from metric start points."""
    n = len(x0)
    vertices = rng.integers(2, 7, n)
    step = rng.uniform(50, 500, n) / (vertices - 1)
    owner = np.repeat(np.arange(n), vertices)
    first = np.cumsum(vertices) - vertices
    is_first = np.zeros(owner.size, dtype=bool)
    is_first[first] = True
    heading = rng.uniform(0, 2 * np.pi, n)[owner] + _grouped_cumsum(
        np.where(is_first, 0.0, rng.normal(0, 0.3, owner.size)), first, owner
    )
    length = np.where(is_first, 0.0, step[owner])
    x = x0[owner] + _grouped_cumsum(length * np.cos(heading), first, owner)
    y = y0[owner] + _grouped_cumsum(length * np.sin(heading), first, owner)
    return shapely.linestrings(x, y, indices=owner)


def _to_wgs(geoms):
    def project(xy):
        return np.column_stack(_TO_WGS.transform(xy[:, 0], xy[:, 1]))

    return shapely.transform(geoms, project)


def _to_metric(geoms):
    def project(xy):
        return np.column_stack(_TO_METRIC.transform(xy[:, 0], xy[:, 1]))

    return shapely.transform(geoms, project)


# -- the road layer -----------------------------------------------------------------


def roads_file_name(n, seed):
    return f"bench_roads_{n}_seed{seed}_v{ROADS_VERSION}.gpkg"


def roads_generate(world, n, seed):
    """The demo roads plus generated segments up to ``n``, as plain columns.

    Returns a dict of lists/arrays (name, code, class, ref, owner, geometry
    in WGS 84).
    """
    demo = json.loads((PACK / "demo" / "roads.geojson").read_text(encoding="utf-8"))
    rows = {k: [] for k in ("name", "code", "class", "ref", "owner")}
    geoms = []
    for feature in demo["features"]:
        props = feature["properties"]
        for key in rows:
            rows[key].append(props.get(key) or "")
        geoms.append(shapely.geometry.shape(feature["geometry"]))
    m = n - len(geoms)
    if m < FRONTAGE_PAIRS * 2:
        raise SystemExit(f"--roads {n} is too small (at least {FRONTAGE_PAIRS * 2})")
    rng = np.random.default_rng([seed, n, 1])
    # Start points at least 600 m inside the districts, so that a segment
    # (at most 500 m) touches the province.
    metric_union = _to_metric(world.union)
    inner = _to_wgs(metric_union.buffer(-600))
    shapely.prepare(inner)
    singles = m - 2 * FRONTAGE_PAIRS
    n_town = int(singles * TOWN_SHARE_ROADS)
    lon_t, lat_t = points_towns(rng, world, n_town, TOWN_SIGMA_ROADS_M, inner)
    lon_u, lat_u = _uniform_in(rng, inner, singles - n_town)
    lon = np.concatenate([lon_t, lon_u])
    lat = np.concatenate([lat_t, lat_u])
    x0, y0 = _TO_METRIC.transform(lon, lat)
    lines = _random_lines(rng, np.asarray(x0), np.asarray(y0))
    owner_kind = rng.choice(
        3, singles, p=(KGM_SHARE, HBB_SHARE, 1 - KGM_SHARE - HBB_SHARE)
    )
    district_code = _district_of(world, lon, lat)

    # Frontage pairs: a KGM segment and, 6-20 m to one side, a street of HBB
    # or of the district, where the nearest-owner and tie rules decide.
    lon_f, lat_f = points_towns(rng, world, FRONTAGE_PAIRS, TOWN_SIGMA_ROADS_M, inner)
    fx, fy = _TO_METRIC.transform(lon_f, lat_f)
    highways = _random_lines(rng, np.asarray(fx), np.asarray(fy))
    gap = rng.uniform(6, 20, FRONTAGE_PAIRS) * rng.choice([-1, 1], FRONTAGE_PAIRS)
    beside = np.asarray(
        [shapely.offset_curve(h, g) for h, g in zip(highways, gap, strict=True)]
    )
    companion_hbb = rng.random(FRONTAGE_PAIRS) < 0.4
    frontage_district = _district_of(world, lon_f, lat_f)

    number = rng.integers(1, 3000, m)
    street = rng.integers(0, len(STREETS), m)
    kgm_ref = rng.choice(KGM_REFS, m, p=KGM_REF_WEIGHTS).tolist()
    other_class = rng.random(m) < OTHER_CLASS_SHARE
    other_names = rng.choice(("residential", "service", "track"), m).tolist()
    serial = len(geoms)

    def add(k, geom, owner, cls, ref, district):
        nonlocal serial
        serial += 1
        label = world.body_short.get(world.district_body.get(district, ""), "Hatay")
        if owner == "KGM":
            name = f"{ref} devlet yolu kesimi {number[k]}"
        else:
            name = f"{STREETS[street[k]]} {number[k]} {label}"
        rows["name"].append(name)
        rows["code"].append(f"SYN-YOL-{serial:07d}")
        rows["class"].append(cls)
        rows["ref"].append(ref)
        rows["owner"].append(owner)
        geoms.append(geom)

    wgs_lines = _to_wgs(lines)
    for k in range(singles):
        district = district_code[k]
        if owner_kind[k] == 0:
            ref = kgm_ref[k]
            cls = "motorway" if ref == "O-53" else "state_highway"
            add(k, wgs_lines[k], "KGM", cls, ref, district)
        elif owner_kind[k] == 1:
            add(k, wgs_lines[k], "HBB", "hbb_arterial", "", district)
        else:
            owner = world.district_body.get(district, "HBB")
            cls = other_names[k] if other_class[k] else "district_street"
            add(k, wgs_lines[k], owner, cls, "", district)
    wgs_highways, wgs_beside = _to_wgs(highways), _to_wgs(beside)
    for j in range(FRONTAGE_PAIRS):
        k = singles + j
        district = frontage_district[j]
        ref = kgm_ref[k]
        cls = "motorway" if ref == "O-53" else "state_highway"
        add(k, wgs_highways[j], "KGM", cls, ref, district)
        if companion_hbb[j]:
            add(k, wgs_beside[j], "HBB", "hbb_arterial", "", district)
        else:
            owner = world.district_body.get(district, "HBB")
            add(k, wgs_beside[j], owner, "district_street", "", district)
    rows["geometry"] = np.asarray(geoms, dtype=object)
    return rows


def _uniform_in(rng, shape, n):
    west, south, east, north = shapely.bounds(shape)
    lons, lats = [], []
    have = 0
    while have < n:
        lon = rng.uniform(west, east, 2 * (n - have) + 100)
        lat = rng.uniform(south, north, 2 * (n - have) + 100)
        keep = shapely.contains_xy(shape, lon, lat)
        lons.append(lon[keep])
        lats.append(lat[keep])
        have += int(keep.sum())
    return np.concatenate(lons)[:n], np.concatenate(lats)[:n]


def _district_of(world, lon, lat):
    """The code of the district covering each point ('' where none)."""
    codes = np.full(len(lon), "", dtype=object)
    for code, geom in zip(world.district_codes, world.district_geoms, strict=True):
        hit = shapely.contains_xy(geom, lon, lat) & (codes == "")
        codes[hit] = code
    return codes


def roads_write(rows, path):
    import geopandas as gpd

    frame = gpd.GeoDataFrame(
        {k: rows[k] for k in ("name", "code", "class", "ref", "owner")},
        geometry=list(rows["geometry"]),
        crs="EPSG:4326",
    )
    pyogrio.write_dataframe(frame, path, layer="roads", driver="GPKG")


def roads_ensure(url, env, world, n, seed, folder, reload=False):
    """Make the benchmark's road generation the active one; return its facts.

    Reused when the active generation was loaded from this module's file for
    the same size, seed and generator version; else the roads are generated
    and imported with ``manage.py import_layer --commit --activate`` (its
    wall time is returned, for orientation: it is setup, not measured).
    """
    name = roads_file_name(n, seed)
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT g.id, g.number, g.source_file, g.feature_count "
            "FROM boundaries_generation g JOIN boundaries_layer l ON l.id = g.layer_id "
            "WHERE l.code = 'roads' AND g.is_active"
        ).fetchone()
    if row and row[2] == name and row[3] == n and not reload:
        log(f"roads: reusing active generation {row[1]} ({n:,} features, {name})")
        return {"generation": row[1], "features": n, "file": name, "import_s": None}
    log(f"roads: generating {n:,} segments (seed {seed})")
    rows = roads_generate(world, n, seed)
    path = folder / name
    roads_write(rows, path)
    log(f"roads: importing {path.name} through manage.py import_layer")
    cmd = ["import_layer", str(path), "--layer", "roads"]
    cmd += ["--name-field", "name", "--code-field", "code"]
    for attribute in ("class", "ref", "owner"):
        cmd += ["--map", f"{attribute}={attribute}"]
    cmd += ["--commit", "--activate"]
    result = manage(cmd, env)
    log(f"roads: {last_line(result.stdout)} ({result.wall_s:.1f} s)")
    with psycopg.connect(url) as conn:
        generation = active_generation(conn, "roads")
    return {
        "generation": generation[1],
        "features": n,
        "file": name,
        "import_s": round(result.wall_s, 2),
    }


# -- targeted and mixed points ---------------------------------------------------------

ROAD_CATEGORIES = (
    "YOL-BAKIM",
    "KAR",
    "YOL-YENI",
    "YAGMUR",
    "ZABITA-ISGAL",
    "AYD-SOKAK",
)
PARK_CATEGORIES = ("PARK", "AGAC", "AYD-PARK", "ZABITA-ISGAL", "GURULTU", "KACAK-YAPI")
CONTAINER_CATEGORIES = ("KONTEYNER-KENT", "COP", "TEMIZLIK", "MOLOZ")
TOWN_SHARE_POINTS = 0.65
TOWN_SIGMA_POINTS_M = 3_000
TARGETED_SHARE = 0.03


@dataclass
class Points:
    lon: np.ndarray
    lat: np.ndarray
    category: np.ndarray  # object array of category codes
    targeted: np.ndarray  # bool: placed at set distances from a feature

    def __len__(self):
        return len(self.lon)


def points_generate(url, world, n, seed, targeted_share=TARGETED_SHARE):
    """``n`` request points with categories, shuffled; see the module docstring."""
    rng = np.random.default_rng([seed, n, 2])
    n_targeted = int(round(n * targeted_share))
    n_town = int((n - n_targeted) * TOWN_SHARE_POINTS)
    n_uniform = n - n_targeted - n_town
    lon_t, lat_t = points_towns(rng, world, n_town, TOWN_SIGMA_POINTS_M)
    lon_u, lat_u = points_uniform(rng, world, n_uniform)
    cats = np.asarray(world.categories, dtype=object)
    category = cats[rng.integers(0, len(cats), n_town + n_uniform)]
    lon_g, lat_g, cat_g = _targeted(url, rng, world, n_targeted)
    lon = np.concatenate([lon_t, lon_u, lon_g])
    lat = np.concatenate([lat_t, lat_u, lat_g])
    category = np.concatenate([category, cat_g])
    targeted = np.zeros(n, dtype=bool)
    targeted[n_town + n_uniform :] = True
    order = rng.permutation(n)
    return Points(lon[order], lat[order], category[order], targeted[order])


def _targeted(url, rng, world, n):
    """Points at chosen distances from roads, frontage pairs, parks, containers."""
    if n == 0:
        empty = np.empty(0)
        return empty, empty, np.empty(0, dtype=object)
    with psycopg.connect(url) as conn:
        by_layer = {}
        for layer in ("roads", "parks", "container_cities"):
            generation = active_generation(conn, layer)
            by_layer[layer] = layer_features(conn, generation[0]) if generation else []
    roads = by_layer["roads"]
    road_geoms = _to_metric(np.asarray([r[3] for r in roads], dtype=object))
    frontage = [
        i
        for i in range(len(roads) - 1)
        if roads[i][2].get("owner") == "KGM"
        and roads[i + 1][2].get("owner") != "KGM"
        and roads[i][0].startswith("SYN-")
        and roads[i + 1][0] == f"SYN-YOL-{int(roads[i][0][8:]) + 1:07d}"
        and shapely.distance(road_geoms[i], road_geoms[i + 1]) < 25
    ]
    polygons = {
        layer: _to_metric(np.asarray([f[3] for f in by_layer[layer]], dtype=object))
        for layer in ("parks", "container_cities")
    }
    shares = {"road": 0.55, "frontage": 0.2, "parks": 0.17, "container_cities": 0.08}
    xs, ys, cs = [], [], []
    cats = np.asarray(world.categories, dtype=object)
    for kind, share in shares.items():
        m = int(round(n * share))
        if kind == "road":
            x, y = _near_lines(rng, road_geoms, m)
            pool = ROAD_CATEGORIES
        elif kind == "frontage" and frontage:
            x, y = _between_pairs(rng, road_geoms, np.asarray(frontage), m)
            pool = ROAD_CATEGORIES
        elif kind in polygons and len(polygons[kind]):
            x, y = _near_edges(rng, polygons[kind], m)
            pool = PARK_CATEGORIES if kind == "parks" else CONTAINER_CATEGORIES
        else:
            x, y = _near_lines(rng, road_geoms, m)
            pool = ROAD_CATEGORIES
        own = np.asarray([c for c in pool if c in world.categories], dtype=object)
        category = np.where(
            rng.random(m) < 0.8,
            own[rng.integers(0, len(own), m)],
            cats[rng.integers(0, len(cats), m)],
        )
        xs.append(x)
        ys.append(y)
        cs.append(category)
    x, y, category = np.concatenate(xs), np.concatenate(ys), np.concatenate(cs)
    lon, lat = _TO_WGS.transform(x, y)
    keep = _inside(world, lon, lat)
    lon, lat, category = lon[keep], lat[keep], category[keep]
    if len(lon) < n:  # the few that fell offshore: top up around the seats
        extra_lon, extra_lat = points_towns(rng, world, n - len(lon), 300)
        lon = np.concatenate([lon, extra_lon])
        lat = np.concatenate([lat, extra_lat])
        category = np.concatenate(
            [category, cats[rng.integers(0, len(cats), n - len(category))]]
        )
    return lon[:n], lat[:n], category[:n]


def _distances(rng, m, thresholds=(15.0, 25.0), spread=0.6, far=32.0):
    """Half near the rule distances (within ``spread`` m), half uniform 0-far."""
    near = rng.random(m) < 0.5
    at = rng.choice(thresholds, m) + rng.uniform(-spread, spread, m)
    return np.where(near, at, rng.uniform(0, far, m))


def _near_lines(rng, lines, m):
    pick = rng.integers(0, len(lines), m)
    fraction = rng.random(m)
    base = shapely.line_interpolate_point(lines[pick], fraction, normalized=True)
    angle = rng.uniform(0, 2 * np.pi, m)
    d = _distances(rng, m)
    return (
        shapely.get_x(base) + d * np.cos(angle),
        shapely.get_y(base) + d * np.sin(angle),
    )


def _between_pairs(rng, lines, frontage, m):
    """Points on the segment joining a highway and its frontage street."""
    pick = frontage[rng.integers(0, len(frontage), m)]
    fraction = rng.uniform(0.1, 0.9, m)
    a = shapely.line_interpolate_point(lines[pick], fraction, normalized=True)
    b = shapely.line_interpolate_point(lines[pick + 1], fraction, normalized=True)
    t = rng.uniform(0, 1, m)
    ax, ay, bx, by = (
        shapely.get_x(a),
        shapely.get_y(a),
        shapely.get_x(b),
        shapely.get_y(b),
    )
    return ax + t * (bx - ax), ay + t * (by - ay)


def _near_edges(rng, polygons, m):
    rings = shapely.boundary(polygons)
    pick = rng.integers(0, len(rings), m)
    base = shapely.line_interpolate_point(rings[pick], rng.random(m), normalized=True)
    angle = rng.uniform(0, 2 * np.pi, m)
    near = rng.random(m) < 0.5
    d = np.where(near, 5 + rng.uniform(-0.6, 0.6, m), rng.uniform(0, 25, m))
    return (
        shapely.get_x(base) + d * np.cos(angle),
        shapely.get_y(base) + d * np.sin(angle),
    )


# -- the report ---------------------------------------------------------------------


def software(url):
    """Versions of what the measured paths run on."""
    import django

    import pyproj

    with psycopg.connect(url) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
        postgis = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
    geos = shapely.geos_version_string
    return {
        "django": django.get_version(),
        "psycopg": psycopg.__version__,
        "libpq": psycopg.pq.version(),
        "numpy": np.__version__,
        "shapely": shapely.__version__,
        "geos": geos,
        "pyproj": pyproj.__version__,
        "proj": pyproj.proj_version_str,
        "postgresql": server,
        "postgis": postgis,
    }


def header_lines(title, script, meta):
    """The machine and software lines every result file starts with."""
    m, s = meta["machine"], meta["software"]
    return [
        f"# {title}",
        "",
        f"Generated by `benchmarks/{script}`; machine-specific. Compare the sides "
        "of one run, never against another machine's figures.",
        "",
        f"- date: {m['date']}",
        f"- machine: {m['nproc']} cores ({m['cpu']}), {m['memory']}, "
        f"Linux {m['kernel']}",
        f"- code: {m['git_branch']} at {m['git_commit']}, "
        f"{import_layers._dirty(m['git_dirty'])}",
        f"- software: Python {m['python']}, Django {s['django']}, psycopg "
        f"{s['psycopg']} (libpq {s['libpq']}), numpy {s['numpy']}, shapely "
        f"{s['shapely']} (GEOS {s['geos']}), pyproj {s['pyproj']} (PROJ "
        f"{s['proj']}), PostgreSQL {s['postgresql']}, PostGIS {s['postgis']}",
        f"- database: {meta['database_url']}",
    ] + _load_line(meta)


def load_average():
    """The 1-minute load average: other work on a shared machine shows here."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def _load_line(meta):
    load = meta.get("load_average")
    if not load:
        return []
    return [
        f"- load average (1 min) at the start and the end of the run: "
        f"{load['start']} and {load['end']} on {meta['machine']['nproc']} cores"
    ]


def write_json(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(data, indent=2, ensure_ascii=False, default=_json_default) + "\n",
        encoding="utf-8",
    )


def _json_default(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value)


def pack_settings():
    meta = yaml.safe_load((PACK / "pack.yaml").read_text(encoding="utf-8"))
    return meta["settings"]


def pack_rules():
    with (PACK / "rules.csv").open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def git_subprocess(*args):
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
