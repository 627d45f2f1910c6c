"""Checks on a new generation before it may go live.

Every check is SQL on the stored draft (dry runs store it too, inside a
transaction that is rolled back), so the planner sees exactly what would be
activated. Each problem has a severity: ``error`` blocks activation,
``warning`` is shown and may be accepted, ``info`` describes a change.

Boundary layers (districts, neighbourhoods) are meant to tile the
jurisdiction, so they also get the tiling checks: overlaps between
neighbours and gaps between them (area in m² and a location), and slivers
(tiny parts). Every layer is checked for features outside the province
(the active district generation; tested while streaming, see
``pipeline``) and, against its own active generation,
for changes in count, area and codes. A district code of the active
generation missing from the new one is an error: the district would
vanish from routing.
"""

from dataclasses import asdict, dataclass

from django.db import connection

ERROR, WARNING, INFO = "error", "warning", "info"
# Area of a boundary feature changing by more than this share is listed.
AREA_CHANGE_SHARE = 0.01
LISTED_MAX = 100


@dataclass
class Problem:
    severity: str
    kind: str
    message: str
    features: list
    area_m2: float | None = None
    lon: float | None = None
    lat: float | None = None

    def as_dict(self):
        return asdict(self)


def _rows(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _duplicate_codes(gen):
    rows = _rows(
        """
        SELECT code, count(*), array_agg(name ORDER BY name)
        FROM boundaries_feature WHERE generation_id = %s AND code <> ''
        GROUP BY code HAVING count(*) > 1 ORDER BY code
        """,
        [gen],
    )
    return [
        Problem(
            ERROR,
            "duplicate_code",
            f"code {code} is used by {n} features ({', '.join(names)}); codes must "
            "be unique within a layer",
            list(names),
        )
        for code, n, names in rows
    ]


def _empty_codes(gen, severity):
    rows = _rows(
        """
        SELECT count(*), (array_agg(name ORDER BY name))[1:10]
        FROM boundaries_feature WHERE generation_id = %s AND code = ''
        """,
        [gen],
    )
    count, names = rows[0]
    if not count:
        return []
    why = (
        "routing finds each district's municipality by its code"
        if severity == ERROR
        else "features without a code cannot be told apart across generations"
    )
    return [
        Problem(
            severity,
            "empty_code",
            f"{count} features have no code ({', '.join(n or '?' for n in names)}); "
            f"{why}",
            list(names),
        )
    ]


def _overlaps(gen, min_m2):
    rows = _rows(
        """
        WITH pairs AS (
            SELECT a.name AS a, b.name AS b,
                   ST_CollectionExtract(ST_Intersection(a.geometry, b.geometry), 3)
                       AS shared
            FROM boundaries_feature a
            JOIN boundaries_feature b
              ON b.generation_id = a.generation_id AND a.id < b.id
             AND ST_Intersects(a.geometry, b.geometry)
             AND ST_Relate(a.geometry, b.geometry, '2********')
            WHERE a.generation_id = %s
        )
        SELECT a, b, ST_Area(shared::geography),
               ST_X(ST_PointOnSurface(shared)), ST_Y(ST_PointOnSurface(shared))
        FROM pairs WHERE NOT ST_IsEmpty(shared)
          AND ST_Area(shared::geography) >= %s
        ORDER BY 3 DESC LIMIT %s
        """,
        [gen, min_m2, LISTED_MAX],
    )
    return [
        Problem(
            WARNING,
            "overlap",
            f"{a} and {b} overlap by {area:,.0f} m² near {lat:.5f}, {lon:.5f}",
            [a, b],
            round(area, 1),
            lon,
            lat,
        )
        for a, b, area, lon, lat in rows
    ]


def _gaps(gen, min_m2):
    rows = _rows(
        """
        WITH u AS (
            SELECT (ST_Dump(ST_Union(geometry))).geom AS g
            FROM boundaries_feature WHERE generation_id = %s
        ), holes AS (
            SELECT ST_MakePolygon(ST_InteriorRingN(g, n)) AS hole
            FROM u, generate_series(1, ST_NumInteriorRings(g)) AS n
        )
        SELECT ST_Area(hole::geography), ST_X(ST_PointOnSurface(hole)),
               ST_Y(ST_PointOnSurface(hole))
        FROM holes WHERE ST_Area(hole::geography) >= %s
        ORDER BY 1 DESC LIMIT %s
        """,
        [gen, min_m2, LISTED_MAX],
    )
    return [
        Problem(
            WARNING,
            "gap",
            f"a gap of {area:,.0f} m² between features near {lat:.5f}, {lon:.5f}",
            [],
            round(area, 1),
            lon,
            lat,
        )
        for area, lon, lat in rows
    ]


def _slivers(gen, max_m2):
    rows = _rows(
        """
        SELECT f.name, ST_Area(d.geom::geography),
               ST_X(ST_PointOnSurface(d.geom)), ST_Y(ST_PointOnSurface(d.geom))
        FROM boundaries_feature f, ST_Dump(f.geometry) d
        WHERE f.generation_id = %s AND ST_Area(d.geom::geography) < %s
        ORDER BY 2 LIMIT %s
        """,
        [gen, max_m2, LISTED_MAX],
    )
    return [
        Problem(
            WARNING,
            "sliver",
            f"{name} has a sliver of {area:,.1f} m² near {lat:.5f}, {lon:.5f}",
            [name],
            round(area, 1),
            lon,
            lat,
        )
        for name, area, lon, lat in rows
    ]


def _outside(listed, count):
    problems = [
        Problem(
            ERROR,
            "outside",
            f"{name or 'a feature'} lies outside the province (near {lat:.5f}, "
            f"{lon:.5f}); check the file's CRS",
            [name],
            None,
            lon,
            lat,
        )
        for name, lon, lat in listed
    ]
    if count > len(listed):
        problems.append(
            Problem(
                ERROR,
                "outside",
                f"{count - len(listed)} more features lie outside the province",
                [],
            )
        )
    return problems


def _differences(gen, active, is_polygon):
    """How ``gen`` differs from ``active`` code by code, in one statement.

    Returns ``{kind: (rows, total)}`` for the kinds ``gone`` (features of the
    active generation whose code this one lacks), ``new`` (the reverse) and,
    for polygons, ``area`` (same code, area changed by more than
    AREA_CHANGE_SHARE); each lists at most LISTED_MAX ``(code, name, old
    area, new area)`` in code order. Features without a code cannot be
    matched across generations and take no part.

    A FULL JOIN is always planned as a hash or merge join. Inner and anti
    joins were not: a generation written in this very transaction is in no
    statistics, so the planner took it for a row or two and scanned the other
    generation once per feature (100,000 roads against 100,000 were still
    running after minutes).
    """
    area = "ST_Area(geometry::geography)" if is_polygon else "NULL::float8"
    rows = _rows(
        f"""
        WITH n AS (SELECT code, name, {area} AS a FROM boundaries_feature
                   WHERE generation_id = %(gen)s AND code <> ''),
             o AS (SELECT code, name, {area} AS a FROM boundaries_feature
                   WHERE generation_id = %(active)s AND code <> ''),
             d AS (
                SELECT CASE WHEN o.code IS NULL THEN 'new'
                            WHEN n.code IS NULL THEN 'gone' ELSE 'area' END AS kind,
                       coalesce(n.code, o.code) AS code,
                       coalesce(n.name, o.name) AS name, o.a AS old, n.a AS now
                FROM n FULL JOIN o ON o.code = n.code
                WHERE n.code IS NULL OR o.code IS NULL
                   OR (o.a > 0 AND abs(n.a - o.a) / o.a > %(share)s)
             ),
             r AS (
                SELECT d.*, row_number() OVER (PARTITION BY kind ORDER BY code) AS k,
                       count(*) OVER (PARTITION BY kind) AS total
                FROM d
             )
        SELECT kind, code, name, old, now, total FROM r WHERE k <= %(max)s
        ORDER BY kind, code
        """,
        {"gen": gen, "active": active, "share": AREA_CHANGE_SHARE, "max": LISTED_MAX},
    )
    found = {kind: ([], 0) for kind in ("gone", "new", "area")}
    for kind, code, name, old, now, total in rows:
        found[kind][0].append((code, name, old, now))
        found[kind] = (found[kind][0], total)
    return found


def _against_active(gen, active, is_polygon, gone_severity=WARNING):
    """Changes against the active generation; a code that disappears is
    ``gone_severity``: an error for the district layer, where a missing
    district would leave its requests with no owner (unless ``--force``)."""
    problems = []
    area = "ST_Area(geometry::geography)" if is_polygon else "0"
    ((count_new, area_new, count_old, area_old),) = _rows(
        f"""
        SELECT count(*) FILTER (WHERE generation_id = %(gen)s),
               coalesce(sum({area}) FILTER (WHERE generation_id = %(gen)s), 0),
               count(*) FILTER (WHERE generation_id = %(active)s),
               coalesce(sum({area}) FILTER (WHERE generation_id = %(active)s), 0)
        FROM boundaries_feature WHERE generation_id IN (%(gen)s, %(active)s)
        """,
        {"gen": gen, "active": active},
    )
    text = f"{count_new} features ({count_old} in the active generation)"
    if is_polygon and area_old:
        change = (area_new - area_old) / area_old
        text += f", total area {area_new / 1e6:,.2f} km² ({change:+.2%})"
    problems.append(Problem(INFO, "count_change", text, []))

    differences = _differences(gen, active, is_polygon)
    gone, gone_count = differences["gone"]
    problems += [
        Problem(
            gone_severity,
            "missing_code",
            f"code {code} ({name}) is in the active generation but not in this one",
            [name],
        )
        for code, name, _, _ in gone
    ]
    if gone_count > len(gone):
        problems.append(
            Problem(
                gone_severity,
                "missing_code",
                f"{gone_count - len(gone)} more codes of the active generation are "
                "not in this one",
                [],
            )
        )
    new, new_count = differences["new"]
    problems += [
        Problem(INFO, "new_code", f"new code {code} ({name})", [name])
        for code, name, _, _ in new
    ]
    if new_count > len(new):
        problems.append(
            Problem(INFO, "new_code", f"{new_count - len(new)} more new codes", [])
        )
    problems += [
        Problem(
            INFO,
            "area_change",
            f"{name} ({code}): area {old / 1e6:,.2f} → {now / 1e6:,.2f} km² "
            f"({(now - old) / old:+.1%})",
            [name],
            round(now - old, 1),
        )
        for code, name, old, now in differences["area"][0]
    ]
    return problems


def checks_run(generation, settings, outside=(), outside_count=0, codes_repeat=True):
    """Return the problems of ``generation`` (a list of Problem).

    ``outside`` lists ``(name, lon, lat)`` of features the import found
    outside the province (tested in process while streaming, which is far
    cheaper than a spatial join afterwards); ``outside_count`` counts them.
    ``codes_repeat=False`` says the import saw every code only once, so
    there are no repeated codes to look for.
    """
    layer = generation.layer
    gen = generation.pk
    is_polygon = layer.geometry_kind == "polygon"
    problems = _duplicate_codes(gen) if codes_repeat else []
    if layer.code == settings.get("district_layer"):
        problems += _empty_codes(gen, ERROR)
    elif layer.is_boundary:
        problems += _empty_codes(gen, WARNING)
    if layer.is_boundary and is_polygon:
        problems += _overlaps(gen, float(settings.get("overlap_min_m2", 1)))
        problems += _gaps(gen, float(settings.get("overlap_min_m2", 1)))
        problems += _slivers(gen, float(settings.get("sliver_max_m2", 500)))
    problems += _outside(list(outside), outside_count)
    active = layer.generations.filter(is_active=True).exclude(pk=gen).first()
    if active is not None:
        is_districts = layer.code == settings.get("district_layer")
        problems += _against_active(
            gen, active.pk, is_polygon, ERROR if is_districts else WARNING
        )
    return problems


def has_errors(problems):
    return any(p["severity"] == ERROR for p in problems)
