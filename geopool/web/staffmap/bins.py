"""Heat-map bins and markers for the viewport, aggregated in PostGIS.

The browser sends its viewport (``bbox=west,south,east,north`` in degrees)
and zoom level. Up to ``MARKER_LIMIT`` requests in view come back as
individual markers (clustered in the browser); beyond that, as counts per
square bin of the Web Mercator grid (EPSG:3857) whose side is ``CELL_PX``
screen pixels at that zoom: 38 km at zoom 7, 76 m at zoom 16. The grid is
anchored at the projection's origin, so each bin splits into four at the
next zoom and a bin's index names the same ground at every request.

A bin is ``[di, dj, n]``: its column and row relative to ``origin`` (the
lowest column and row in the answer) and its request count. The bytes grow
with the bins on screen, which the viewport and the zoom bound
(``MAX_GRID_CELLS``), never with the number of requests behind them.

Example: with ``size_m`` 1222.99 and ``origin`` [3277, 3557], the bin
``[2, 5, 40]`` covers x 3279 × 1222.99 … 3280 × 1222.99 m and holds 40
requests.

Points are projected with the spherical Mercator formulas, which is what
``ST_Transform(…, 3857)`` computes for points, without a PROJ call per row
(locations are stored in WGS 84, ``geopool.spatial``): PostgreSQL stores
each request's projected ``web_x`` and ``web_y`` as it writes the row. A point Web
Mercator cannot draw (latitude beyond ±85.05°, an empty or non-finite
point) is *unmappable*: it never reaches a bin, and the summary beside
the map counts and lists it with the requests that have no location.
"""

import math
from dataclasses import dataclass

from django.contrib.gis.geos import Polygon
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from geopool.spatial import STORAGE_SRID

EARTH_RADIUS_M = 6378137.0
# Metres per pixel at zoom 0 on the equator (256-pixel tiles).
METRES_PER_PX_Z0 = 2 * math.pi * EARTH_RADIUS_M / 256
CELL_PX = 32
MIN_ZOOM, MAX_ZOOM = 0, 20
MARKER_LIMIT = 2000
# The most bins a viewport may span: a 4K screen at CELL_PX is ~8,100.
MAX_GRID_CELLS = 12_000
MERCATOR_MAX_LAT = 85.05112878
COORD_DECIMALS = 5

BBOX_ERROR = _(
    "bbox must be four numbers west,south,east,north in degrees (WGS 84), "
    "west < east within -180…180 and south < north within -85.05…85.05; "
    "got %(value)s."
)
ZOOM_ERROR = _("zoom must be a whole number from %(min)s to %(max)s; got %(value)s.")
VIEW_TOO_LARGE = _(
    "The viewport spans %(cells)s bins at zoom %(zoom)s, more than %(max)s; "
    "send the zoom level the map shows for this viewport."
)
CELL_ERROR = _(
    "cell must be two whole numbers i,j (a bin's column and row, within the "
    "map at that zoom); got %(value)s."
)


class ViewError(ValueError):
    """The viewport, zoom or cell a client sent cannot be binned."""


@dataclass(frozen=True)
class Viewport:
    west: float
    south: float
    east: float
    north: float
    zoom: int

    @property
    def cell_m(self):
        """The side of a bin at this zoom, in Web Mercator metres."""
        return METRES_PER_PX_Z0 / 2**self.zoom * CELL_PX

    def envelope(self):
        return Polygon.from_bbox((self.west, self.south, self.east, self.north))

    def grid_cells(self):
        """How many bins the viewport spans at its zoom."""
        width = mercator_x(self.east) - mercator_x(self.west)
        height = mercator_y(self.north) - mercator_y(self.south)
        size = self.cell_m
        return (math.floor(width / size) + 2) * (math.floor(height / size) + 2)


def mercator_x(lon):
    return EARTH_RADIUS_M * math.radians(lon)


def mercator_y(lat):
    return EARTH_RADIUS_M * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def viewport_parse(bbox, zoom):
    """Return the ``Viewport`` of query parameters ``bbox`` and ``zoom``.

    >>> viewport_parse("35.8,35.8,36.7,37.1", "9").zoom
    9
    >>> viewport_parse("36,36,35,37", "9")  # west of east
    Traceback (most recent call last):
    ...
    geopool.web.staffmap.bins.ViewError: ...
    """
    try:
        west, south, east, north = (float(v) for v in (bbox or "").split(","))
    except ValueError:
        raise ViewError(BBOX_ERROR % {"value": bbox or _("nothing")}) from None
    finite = all(math.isfinite(v) for v in (west, south, east, north))
    if not (
        finite
        and -180 <= west < east <= 180
        and -MERCATOR_MAX_LAT <= south < north <= MERCATOR_MAX_LAT
    ):
        raise ViewError(BBOX_ERROR % {"value": bbox})
    try:
        level = int(zoom)
    except (TypeError, ValueError):
        level = None
    if level is None or not MIN_ZOOM <= level <= MAX_ZOOM:
        raise ViewError(
            ZOOM_ERROR
            % {"min": MIN_ZOOM, "max": MAX_ZOOM, "value": zoom or _("nothing")}
        )
    view = Viewport(west, south, east, north, level)
    cells = view.grid_cells()
    if cells > MAX_GRID_CELLS:
        raise ViewError(
            VIEW_TOO_LARGE % {"cells": cells, "zoom": level, "max": MAX_GRID_CELLS}
        )
    return view


def cell_parse(value):
    """Return ``(i, j)`` of query parameter ``cell`` (``"3279,3562"``)."""
    try:
        i, j = (int(v) for v in (value or "").split(","))
    except ValueError:
        raise ViewError(CELL_ERROR % {"value": value or _("nothing")}) from None
    # No map has a bin beyond 2**31 (zoom 20 has 2**20 · 8 per side); a
    # longer number is refused here, before any arithmetic on it.
    if not all(abs(v) < 2**31 for v in (i, j)):
        raise ViewError(CELL_ERROR % {"value": value[:40]})
    return i, j


# The bin of a point, in SQL: ``{t}`` is the request table (or a subquery
# of its rows), the parameter the bin size in metres. ``web_x`` and
# ``web_y`` are the point's Web Mercator metres, which PostgreSQL stores
# with each request (migration geopool 0012) by the formulas of
# ``mercator_x`` and ``mercator_y``.
CELL_I_SQL = "floor({t}.web_x / %s)::bigint"
CELL_J_SQL = "floor({t}.web_y / %s)::bigint"


# A request the map can draw: PostgreSQL stored Web Mercator metres for it
# (none for a point beyond ±85.05° or ±180°, an empty or non-finite one).
DRAWN = RawSQL(
    '"geopool_servicerequest"."web_x" IS NOT NULL', [], output_field=BooleanField()
)
# The Web Mercator square's half side, in metres.
MERCATOR_MAX_M = math.pi * EARTH_RADIUS_M


def in_view(requests, view):
    """``requests`` the map draws inside ``view`` (the GiST index serves it).

    The bounding-box test compares rounded boxes and lets a point a hair
    beyond the Mercator square through; only drawn points are kept.
    """
    envelope = view.envelope()
    envelope.srid = STORAGE_SRID
    return requests.filter(DRAWN, location__bboverlaps=envelope)


def in_cell(requests, zoom, i, j):
    """``requests`` whose point lies in bin ``(i, j)`` at ``zoom``."""
    size = METRES_PER_PX_Z0 / 2**zoom * CELL_PX
    if not all(-MERCATOR_MAX_M <= v * size <= MERCATOR_MAX_M for v in (i, j + 1)):
        raise ViewError(CELL_ERROR % {"value": f"{i},{j}"})
    west = math.degrees(i * size / EARTH_RADIUS_M)
    east = math.degrees((i + 1) * size / EARTH_RADIUS_M)
    south = _lat_of_y(j * size)
    north = _lat_of_y((j + 1) * size)
    # The envelope, a little wider, lets the index find the candidates; the
    # bin formula then keeps exactly the points binned there.
    margin = 1e-9
    envelope = Polygon.from_bbox(
        (west - margin, south - margin, east + margin, north + margin)
    )
    envelope.srid = STORAGE_SRID
    cell_sql = f"({CELL_I_SQL} = %s AND {CELL_J_SQL} = %s)".format(
        t='"geopool_servicerequest"'
    )
    return requests.filter(DRAWN, location__bboverlaps=envelope).extra(
        where=[cell_sql], params=[size, i, size, j]
    )


def _lat_of_y(y):
    return math.degrees(2 * math.atan(math.exp(y / EARTH_RADIUS_M)) - math.pi / 2)


def markers_or_bins(requests, view, every_request=False):
    """The JSON-ready answer for ``view``: markers when few, else bins.

    ``every_request``: ``requests`` are all the requests there are (no
    filter, a user who sees all), so the bins come from the stored counts
    (``pyramid``).
    """
    from geopool.web.staffmap import pyramid  # which imports this module

    visible = in_view(requests.filter(location__isnull=False), view)
    # One statement decides and, in the heavy case, answers: the bins' total
    # is the number of requests in view.
    if every_request and pyramid.covers(view):
        binned = pyramid.bins_count(visible, view)
    else:
        binned = bins_count(visible, view)
    if binned["total"] <= MARKER_LIMIT:
        return {"mode": "markers", "zoom": view.zoom, **markers_list(visible)}
    return {"mode": "bins", "zoom": view.zoom, **binned}


def bins_count(requests, view):
    """Requests per bin of ``view``'s grid: ``{"size_m", "origin", "bins", …}``."""
    size = view.cell_m
    inner, params = points_sql(requests)
    cell_i = CELL_I_SQL.format(t="q")
    cell_j = CELL_J_SQL.format(t="q")
    sql = f"""
        SELECT {cell_i} AS i, {cell_j} AS j, count(*) AS n
        FROM ({inner}) q
        GROUP BY 1, 2
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [size, size, *params])
        rows = cursor.fetchall()
    return bins_answer(rows, size)


def points_sql(requests):
    """``(sql, params)`` selecting the stored ``web_x``, ``web_y`` of ``requests``."""
    return (
        requests.extra(
            select={
                "web_x": '"geopool_servicerequest"."web_x"',
                "web_y": '"geopool_servicerequest"."web_y"',
            }
        )
        .values("web_x", "web_y")
        .query.sql_with_params()
    )


def bins_answer(rows, size):
    """The answer of ``(i, j, n)`` rows for bins of side ``size`` metres."""
    if not rows:
        return {"size_m": size, "origin": [0, 0], "bins": [], "total": 0, "max": 0}
    i0 = min(r[0] for r in rows)
    j0 = min(r[1] for r in rows)
    return {
        "size_m": size,
        "origin": [i0, j0],
        "bins": [[i - i0, j - j0, n] for i, j, n in rows],
        "total": sum(r[2] for r in rows),
        "max": max(r[2] for r in rows),
    }


def markers_list(requests):
    """The requests as compact markers, with the labels they refer to.

    A marker is ``[lat, lon, tracking_code, category, status, urgent]``,
    ``category`` and ``status`` indexes into ``categories`` and
    ``statuses`` (names are sent once, not once per marker).
    """
    from geopool.models import Status

    rows = requests.values_list(
        "location", "tracking_code", "category__name", "status", "is_urgent"
    ).order_by("-requested_at", "-id")[:MARKER_LIMIT]
    categories, category_index = [], {}
    statuses = [str(label) for _value, label in Status.choices]
    status_index = {value: n for n, (value, _label) in enumerate(Status.choices)}
    closed = sorted(status_index[s] for s in Status.closed_values())
    markers = []
    for location, code, category, status, urgent in rows:
        if category not in category_index:
            category_index[category] = len(categories)
            categories.append(category)
        markers.append(
            [
                round(location.y, COORD_DECIMALS),
                round(location.x, COORD_DECIMALS),
                code,
                category_index[category],
                status_index[status],
                1 if urgent else 0,
            ]
        )
    return {
        "markers": markers,
        "categories": categories,
        "statuses": statuses,
        "closed_statuses": closed,
        "total": len(markers),
    }
