"""Writing history rows: ids and tracking codes drawn per chunk, then COPY.

Ids come from the table's own sequence before the COPY, so the rows need
not be read back to learn them; tracking codes are drawn in bulk and checked
against the table (and each other) with one query per draw. Locations go in
as hex EWKB built with numpy for the whole chunk at once.
"""

import re
from itertools import repeat

import numpy as np
from psycopg.copy import QueuedLibpqWriter

from geopool.models import Channel, LocationSource, Status
from geopool.spatial import STORAGE_SRID
from geopool.tracking import tracking_codes_new

TABLE = "geopool_servicerequest"
_COLUMNS = (
    "id, tracking_code, category_id, description, public_description, channel, "
    "location, location_source, address_string, status, is_urgent, "
    "owner_body_id, needs_triage, external_id, is_sample, requested_at, "
    "updated_at, closed_at, resolved_at, recorded_owner"
)
# The statuses of a request that was done, not turned away: the old
# system's closing time is then when it was resolved (the district figures'
# time to resolve reads ``resolved_at``).
_RESOLVED = {Status.RESOLVED.value, Status.CLOSED.value}
# The sequence is named once: pg_get_serial_sequence in the select list
# would be evaluated again for every id (eight times the time of nextval).
_IDS = (
    f"SELECT nextval(s) FROM CAST(pg_get_serial_sequence('{TABLE}', 'id') AS "
    "regclass) s, generate_series(1, %s)"
)
_TAKEN = f"SELECT tracking_code FROM {TABLE} WHERE tracking_code = ANY(%s)"
# Served by the partial unique index external_id_unique_in_history.
_STORED = f"""
    SELECT external_id, id FROM {TABLE}
    WHERE channel = %s AND external_id <> '' AND external_id = ANY(%s)
"""
_ANY_STORED = f"""
    SELECT EXISTS (SELECT FROM {TABLE} WHERE channel = %s AND external_id <> '')
"""
# The category and point of rows refused after they were written.
REFUSED_POINTS = f"""
    SELECT r.id, c.code, ST_X(r.location), ST_Y(r.location)
    FROM {TABLE} r JOIN geopool_category c ON c.id = r.category_id
    WHERE r.id = ANY(%s) ORDER BY r.id
"""
# Tracking codes are redrawn at most this often for one chunk (a clash is
# about 1 in 3,400 per million stored codes).
_DRAWS = 10


# A block of ids at once: the sequence moves past the block in one step. Only
# while the table is locked against writers (a large import, ``indexes``):
# nothing else then draws from its sequence.
_ID_BLOCK = (
    f"SELECT setval(s, nextval(s) + %s - 1) FROM CAST("
    f"pg_get_serial_sequence('{TABLE}', 'id') AS regclass) s"
)


def ids_new(cursor, count, table_locked=False):
    """``count`` new ids from the table's sequence, ascending.

    ``table_locked``: the import holds the table alone, so the ids are
    taken as one block (a nextval per row costs 5 µs).
    """
    if table_locked:
        cursor.execute(_ID_BLOCK, [count])
        (last,) = cursor.fetchone()
        return list(range(last - count + 1, last + 1))
    cursor.execute(_IDS, [count])
    return sorted(row[0] for row in cursor.fetchall())


def tracking_codes_unused(cursor, drawn, known=None):
    """The codes ``drawn`` (fresh ones in place of any that a request has or
    that repeat), so that no request has them and they differ.

    ``known``: every code the table holds, as a set, kept up to date here
    (an import that holds the table alone); otherwise the table is asked.
    """
    codes = list(drawn)
    count = len(codes)
    check = list(range(count))
    for _ in range(_DRAWS):
        if known is None:
            cursor.execute(_TAKEN, [[codes[i] for i in check]])
            taken = {row[0] for row in cursor.fetchall()}
        else:
            taken = known
        redraw = {i for i in check if codes[i] in taken}
        seen = set()
        for i, code in enumerate(codes):
            if code in seen:
                redraw.add(i)
            seen.add(code)
        if not redraw:
            if known is not None:
                known.update(codes)
            return codes
        check = sorted(redraw)
        for i, code in zip(check, tracking_codes_new(len(check)), strict=True):
            codes[i] = code
    raise RuntimeError(f"could not draw {count} free tracking codes in {_DRAWS} tries")


def history_stored(cursor):
    """True when an earlier import stored a row with an external_id."""
    cursor.execute(_ANY_STORED, [Channel.HISTORY])
    return cursor.fetchone()[0]


def stored_external_ids(cursor, external_ids):
    """{external_id: request id} of those already stored by a history import."""
    cursor.execute(_STORED, [Channel.HISTORY, external_ids])
    return dict(cursor.fetchall())


def stored_history_ids(cursor):
    """Every external_id a history import stored, as a set."""
    cursor.execute(
        f"SELECT external_id FROM {TABLE} WHERE channel = %s AND external_id <> ''",
        [Channel.HISTORY],
    )
    return {row[0] for row in cursor.fetchall()}


def tracking_codes_stored(cursor):
    """Every tracking code the table holds, as a set."""
    cursor.execute(f"SELECT tracking_code FROM {TABLE}")
    return {row[0] for row in cursor.fetchall()}


def requests_copy(cursor, checked, ids, codes, now):
    """COPY the rows of ``checked`` as requests with ``ids`` and ``codes``.

    The COPY text is built column by column (``_copy_lines``): each value of
    a column goes through the same C-level conversion at once, instead of
    psycopg formatting every field of every row in Python.
    """
    columns = checked.columns
    n = len(ids)
    located = ~(np.isnan(checked.lon) | np.isnan(checked.lat))
    locations = np.full(n, _NULL, dtype=object)
    locations[located] = _points_ewkb(checked.lon[located], checked.lat[located])
    sources = np.where(located, LocationSource.GIVEN.value, "").tolist()
    category_ids = [c[0] for c in columns["category"]]
    closed = [_NULL if t is None else t for t in columns["closed"]]
    urgent = [_BOOLEAN[c[1]] for c in columns["category"]]
    lines = _copy_lines(
        map(str, ids),
        codes,
        map(str, category_ids),
        _escaped(columns["description"]),
        repeat(""),
        repeat(Channel.HISTORY.value),
        locations.tolist(),
        sources,
        _escaped(columns["address"]),
        _escaped(columns["status"]),
        urgent,
        map(str, columns["owner"]),
        repeat(_BOOLEAN[False]),
        _escaped(columns["external_id"]),
        repeat(_BOOLEAN[False]),
        columns["requested"],  # ISO times as checks wrote them: no escapes
        repeat(now.isoformat()),
        closed,
        [
            t if status in _RESOLVED else _NULL
            for t, status in zip(closed, columns["status"], strict=True)
        ],
        _escaped(columns["owner_code"]),
    )
    raw = getattr(cursor, "cursor", cursor)  # psycopg's, under Django's wrapper
    # The queued writer sends each block from a worker thread, so the server
    # parses and indexes rows while the next ones are joined.
    with raw.copy(
        f"COPY {TABLE} ({_COLUMNS}) FROM STDIN", writer=QueuedLibpqWriter(raw)
    ) as copy:
        for start in range(0, n, _COPY_BLOCK):
            copy.write("\n".join(lines[start : start + _COPY_BLOCK]) + "\n")
    return int(located.sum())


# COPY's text format: a row is its values joined by tabs, ending in a
# newline; NULL is \N; a backslash, tab, newline or carriage return inside a
# value is written as an escape.
_NULL = "\\N"
_BOOLEAN = {True: "t", False: "f"}
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_SPECIAL = re.compile("[\\\\\t\n\r]")
# Rows per write to the server.
_COPY_BLOCK = 5_000


def _escaped(values):
    """The text values as COPY text (most need nothing: one search tells)."""
    if not _SPECIAL.search("".join(values)):
        return values
    return [value.translate(_ESCAPES) for value in values]


def _copy_lines(*columns):
    """One COPY text line per row of ``columns`` (iterables of text)."""
    return list(map("\t".join, zip(*columns, strict=False)))


# Hex EWKB of a point with an SRID, little-endian: byte order 1, the type
# (1, a point) with the flag saying an SRID follows, the SRID, x, y.
_EWKB_POINT = np.dtype(
    [("order", "u1"), ("type", "<u4"), ("srid", "<u4"), ("x", "<f8"), ("y", "<f8")]
)
_EWKB_TYPE = 0x20000001


def _points_ewkb(x, y):
    """Hex EWKB of the points ``x``, ``y`` in the storage SRID, as text."""
    points = np.empty(len(x), dtype=_EWKB_POINT)
    points["order"], points["type"], points["srid"] = 1, _EWKB_TYPE, STORAGE_SRID
    points["x"], points["y"] = x, y
    width = 2 * _EWKB_POINT.itemsize
    text = points.tobytes().hex().upper()
    return [text[i : i + width] for i in range(0, len(text), width)]


def requests_delete(cursor, ids):
    """Remove rows this import wrote and then refused (no decision refers)."""
    cursor.execute(f"DELETE FROM {TABLE} WHERE id = ANY(%s)", [list(ids)])
