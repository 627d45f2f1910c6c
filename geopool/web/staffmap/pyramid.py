"""Heat-map bins of every request from the stored counts (migration geopool 0013).

When a map shows every request (a user who sees all of them, no filter),
its bins are read from ``geopool_mapbin``: request counts per bin at the
stored zoom levels, which PostgreSQL keeps as requests are written. The
answer is exactly what counting the requests in view gives
(``bins.bins_count``), bin for bin:

- the bins of the coarsest stored level at or above the map's zoom that lie
  wholly inside the viewport give their counts, rolled up to the map's
  zoom (a bin of level L is bin ``(i >> (L - z), j >> (L - z))`` at zoom z,
  as the grid splits each bin into four per level);
- the band between those bins and the viewport's edge is covered by the
  bins of the next stored levels wholly inside it, each finer one filling
  the band the coarser left;
- what is left, a band less than one bin of the finest level (306 m) wide
  along the viewport's edge, is counted from the requests themselves, as
  the bins there hold only the requests inside the viewport.

At zoom 15 and more (a few streets) the requests in view are counted.

A province at a million requests thus reads a few thousand stored rows and
the requests in a thin band, instead of every request.
"""

import math
from dataclasses import dataclass

import numpy as np
from django.contrib.gis.geos import Polygon
from django.db import connection

from geopool.spatial import STORAGE_SRID
from geopool.web.staffmap import bins

# The stored levels, as migration geopool 0013 created them.
LEVELS = (6, 8, 10, 12, 14)
# A stored bin counts as inside the viewport only this far within it
# (metres): the viewport's Mercator edges are computed here, the requests'
# coordinates by PostgreSQL, and the two may differ in the last digits.
INSIDE_MARGIN_M = 1.0
# The band counted from the requests reaches this far into the stored bins
# (degrees, about 10 cm); the bin conditions keep the two apart.
BAND_MARGIN_DEG = 1e-6


@dataclass(frozen=True)
class Block:
    """Bins ``i0 … i1`` × ``j0 … j1`` of a stored level (inclusive)."""

    level: int
    i0: int
    i1: int
    j0: int
    j1: int

    def at(self, level):
        """The same ground in the bins of finer ``level``."""
        k = level - self.level
        return Block(
            level,
            self.i0 << k,
            ((self.i1 + 1) << k) - 1,
            self.j0 << k,
            ((self.j1 + 1) << k) - 1,
        )

    def ring_around(self, inner):
        """This block without ``inner`` (same level, inside it): up to 4 blocks."""
        parts = [
            Block(self.level, self.i0, inner.i0 - 1, self.j0, self.j1),
            Block(self.level, inner.i1 + 1, self.i1, self.j0, self.j1),
            Block(self.level, inner.i0, inner.i1, self.j0, inner.j0 - 1),
            Block(self.level, inner.i0, inner.i1, inner.j1 + 1, self.j1),
        ]
        return [p for p in parts if p.i0 <= p.i1 and p.j0 <= p.j1]


def size_m(level):
    return bins.METRES_PER_PX_Z0 / 2**level * bins.CELL_PX


def counts_of_points(lons, lats):
    """``{(level, i, j): n}``: the stored bins' counts of the points ``lons``,
    ``lats`` (degrees; NaN for none), as the triggers would count them.

    For a writer that had the triggers off and holds the points in memory
    (a large history import). ``bins.mercator_x`` and ``mercator_y`` take
    the IEEE steps PostgreSQL takes for the stored ``web_x``, ``web_y``
    (migration geopool 0012): the same constants (``math.radians``
    multiplies by PostgreSQL's RADIANS_PER_DEGREE), the C library's tangent
    and logarithm, which PostgreSQL calls too; then ``floor`` as in 0013. So
    each point falls in the bin PostgreSQL gives it (a test compares them).
    """
    lons = np.asarray(lons, dtype=float)
    lats = np.asarray(lats, dtype=float)
    limit = float(bins.MERCATOR_MAX_LAT)
    # NaN compares false: a point without a location is not drawn.
    drawn = (lons >= -180) & (lons <= 180) & (lats >= -limit) & (lats <= limit)
    x = np.array([bins.mercator_x(lon) for lon in lons[drawn].tolist()], dtype=float)
    y = np.array([bins.mercator_y(lat) for lat in lats[drawn].tolist()], dtype=float)
    finest = LEVELS[-1]
    i = np.floor(x / size_m(finest)).astype(np.int64)
    j = np.floor(y / size_m(finest)).astype(np.int64)
    counts = {}
    n = np.ones(len(i), dtype=np.int64)
    below = finest
    for level in reversed(LEVELS):
        # The finest level's bins from the points, each coarser one rolled
        # up from the level below (``>>`` of a bin floors as ``_add`` does).
        i, j, n = _summed(i >> (below - level), j >> (below - level), n)
        below = level
        counts.update(
            ((level, a, b), c)
            for a, b, c in zip(i.tolist(), j.tolist(), n.tolist(), strict=True)
        )
    return counts


def _summed(i, j, n):
    """The distinct bins ``(i, j)`` with the sum of their ``n``."""
    if not len(i):
        return i, j, n
    low_i, low_j = i.min(), j.min()
    width = int(j.max() - low_j) + 1
    keys, where = np.unique((i - low_i) * width + (j - low_j), return_inverse=True)
    sums = np.bincount(where, weights=n, minlength=len(keys)).astype(np.int64)
    return keys // width + low_i, keys % width + low_j, sums


def counts_add(cursor, counts):
    """Add ``counts`` (``counts_of_points``) to the stored bins."""
    if not counts:
        return
    raw = getattr(cursor, "cursor", cursor)  # psycopg's, under Django's
    # As COPY text at once: write_row formats each row in Python.
    text = "".join(f"{level}\t{i}\t{j}\t{n}\n" for (level, i, j), n in counts.items())
    with raw.copy("COPY geopool_mapbin (level, i, j, n) FROM STDIN") as copy:
        copy.write(text)


def covers(view):
    """Whether stored levels serve ``view``'s zoom."""
    return view.zoom <= LEVELS[-1]


def _inside(view, level):
    """The bins of ``level`` wholly inside ``view``, or None."""
    size = size_m(level)
    x0 = bins.mercator_x(view.west) + INSIDE_MARGIN_M
    x1 = bins.mercator_x(view.east) - INSIDE_MARGIN_M
    y0 = bins.mercator_y(view.south) + INSIDE_MARGIN_M
    y1 = bins.mercator_y(view.north) - INSIDE_MARGIN_M
    block = Block(
        level,
        math.ceil(x0 / size),
        math.floor(x1 / size) - 1,
        math.ceil(y0 / size),
        math.floor(y1 / size) - 1,
    )
    return block if block.i0 <= block.i1 and block.j0 <= block.j1 else None


def stored_blocks(view):
    """The stored blocks that tile the viewport's inside, and the finest one.

    Returns ``(blocks, covered)``: disjoint blocks, and the block of the
    finest level they cover together (None when no stored bin fits).
    """
    blocks, covered = [], None
    for level in (lv for lv in LEVELS if lv >= view.zoom):
        inside = _inside(view, level)
        if inside is None:
            continue
        if covered is None:
            blocks.append(inside)
        else:
            blocks.extend(inside.ring_around(covered.at(level)))
        covered = inside
    return blocks, covered


def _lon(x):
    return math.degrees(x / bins.EARTH_RADIUS_M)


def _lat(y):
    return math.degrees(2 * math.atan(math.exp(y / bins.EARTH_RADIUS_M)) - math.pi / 2)


def _bands(view, covered):
    """The viewport outside ``covered``: (envelope, bin condition, params)."""
    size = size_m(covered.level)
    x0, x1 = _lon(covered.i0 * size), _lon((covered.i1 + 1) * size)
    y0, y1 = _lat(covered.j0 * size), _lat((covered.j1 + 1) * size)
    m = BAND_MARGIN_DEG
    i = bins.CELL_I_SQL.format(t='"geopool_servicerequest"')
    j = bins.CELL_J_SQL.format(t='"geopool_servicerequest"')
    c = covered
    return [
        ((view.west, view.south, x0 + m, view.north), f"{i} < %s", [size, c.i0]),
        ((x1 - m, view.south, view.east, view.north), f"{i} > %s", [size, c.i1]),
        (
            (x0 - m, view.south, x1 + m, y0 + m),
            f"{i} BETWEEN %s AND %s AND {j} < %s",
            [size, c.i0, c.i1, size, c.j0],
        ),
        (
            (x0 - m, y1 - m, x1 + m, view.north),
            f"{i} BETWEEN %s AND %s AND {j} > %s",
            [size, c.i0, c.i1, size, c.j1],
        ),
    ]


def bins_count(requests, view):
    """As ``bins.bins_count`` for ``requests``, every request in ``view``.

    Call only when ``requests`` are all the requests the map can draw in
    ``view`` (``bins.in_view`` of every request): the stored counts know no
    filter.
    """
    blocks, covered = stored_blocks(view)
    if covered is None:
        return bins.bins_count(requests, view)
    zoom_size = view.cell_m
    parts, params = [], []
    # One SELECT per block, so that each is planned for its own ranges: a
    # band along a side spans few columns or few rows (two indexes).
    for b in blocks:
        parts.append(
            "SELECT i >> %s AS i, j >> %s AS j, n::bigint AS n FROM geopool_mapbin"
            " WHERE level = %s AND i BETWEEN %s AND %s AND j BETWEEN %s AND %s"
        )
        shift = b.level - view.zoom
        params += [shift, shift, b.level, b.i0, b.i1, b.j0, b.j1]
    for box, condition, band_params in _bands(view, covered):
        envelope = Polygon.from_bbox(box)
        envelope.srid = STORAGE_SRID
        inner, inner_params = bins.points_sql(
            requests.order_by()
            .filter(location__bboverlaps=envelope)
            .extra(where=[condition], params=band_params)
        )
        parts.append(
            f"SELECT {bins.CELL_I_SQL.format(t='q')} AS i, "
            f"{bins.CELL_J_SQL.format(t='q')} AS j, 1::bigint AS n "
            f"FROM ({inner}) q"
        )
        params += [zoom_size, zoom_size, *inner_params]
    sql = (
        "SELECT i, j, sum(n)::bigint FROM ("
        + " UNION ALL ".join(parts)
        + ") t GROUP BY 1, 2 HAVING sum(n) > 0"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return bins.bins_answer(rows, view.cell_m)
