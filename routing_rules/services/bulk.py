"""Routing many stored requests at once and storing their decisions by COPY.

``route_stored(request_ids, ...)`` is the bulk path behind re-routing
after a layer or rule change and the bulk benchmark; a history import,
which holds its rows' points in memory, routes them with ``route_points``
and stores the decisions with ``DecisionStore`` itself. Requests are
read in batches, routed by ``routing_rules.engine.route`` (the same code as
a single decision) and their decisions written with one COPY per batch;
the previous current decision of each request is retired first, so the
append-only history stays intact.

The writes are pipelined on the one connection, inside the one
transaction: a batch's COPY is left open, its rows sent from a worker
thread, while the next batch is routed in Python, so the server parses and
indexes one batch while the next is decided. Everything the next batch
needs from the database (its points, the layers of the rules) is read
before the COPY opens.

``keep_owner=True`` (history imports) stores today's decision beside the
request without touching its recorded owner, status or inbox; such a
decision carries the flag ``owner_kept`` and never makes its body an owner
of the request (``geopool.visibility``). Otherwise the requests' owner
fields follow the new decisions.

Example: ``route_stored(ids, keep_owner=True, progress=True)`` stores one
current decision for each of the requests ``ids`` beside its recorded
owner, so a simulation can compare recorded owners with today's rules.
"""

import gc
import logging
import sys
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import orjson
import psycopg
from django.db import connection, transaction
from django.utils import timezone
from psycopg.copy import QueuedLibpqWriter
from tqdm import tqdm

from routing_rules.context import live_context
from routing_rules.models import SHAPE_DIGEST_SQL

logger = logging.getLogger(__name__)

BATCH = 50_000

# The ids of a batch are sorted and distinct, and the points are read by
# their id range. When the batch is every id of its range (requests stored
# together, as an import stores them) the range is all the server needs.
# When the batch fills at least half of its range, the list is tested as a
# hash while the range is walked once ("+ 0" keeps it out of the index
# condition, which would descend the index once per id); otherwise each id
# is looked up in the index. Read in binary: the server sends the
# coordinates as they are stored instead of printing every float as text.
# Category ids become codes in Python (a few dozen categories), which spares
# the server a join probe per request.
_READ = """
    SELECT r.id, r.category_id, ST_X(r.location), ST_Y(r.location)
    FROM geopool_servicerequest r
    WHERE r.id BETWEEN %s AND %s {ids}
    ORDER BY r.id
"""
_READ_RANGE = _READ.format(ids="")
_READ_DENSE = _READ.format(ids="AND r.id + 0 = ANY(%s::bigint[])")
_READ_SPARSE = _READ.format(ids="AND r.id = ANY(%s::bigint[])")
_CATEGORIES = "SELECT id, code FROM geopool_category"

_RETIRE = """
    UPDATE routing_rules_decision SET is_current = false
    WHERE request_id BETWEEN %s AND %s AND request_id = ANY(%s::bigint[])
      AND is_current
"""


# Whether any request in a batch's id range has a current decision: when
# none has (a first routing), there is nothing to retire.
_ANY_CURRENT = """
    SELECT EXISTS (SELECT FROM routing_rules_decision
                   WHERE request_id BETWEEN %s AND %s AND is_current)
"""


def _id_array(ids):
    """Sorted ids as range and list parameters (the list as array text)."""
    return [ids[0], ids[-1], "{" + ",".join(map(str, ids)) + "}"]


# The flag of a decision stored beside a request whose owner it did not set.
OWNER_KEPT = "owner_kept"

_COLUMNS = (
    "request_id, decided_at, owner_body_id, owner_department_id, rule_id, "
    "rule_code, rule_set_version, candidates, flags, shape_id, is_current"
)

# Shapes new to this call: COPYed beside the table, stored where their
# digest is new, and read back with their ids (``n``: their position).
_SHAPES_TEMP = (
    "CREATE TEMP TABLE IF NOT EXISTS _bulk_shape (n integer, generations jsonb, "
    "trace jsonb, explanation_tr text, explanation_en text) ON COMMIT DROP"
)
_SHAPE_DIGEST = SHAPE_DIGEST_SQL.format(
    g="b.generations", t="b.trace", tr="b.explanation_tr", en="b.explanation_en"
)
_SHAPES_STORE = f"""
    INSERT INTO routing_rules_decisionshape
        (digest, generations, trace, explanation_tr, explanation_en)
    SELECT {_SHAPE_DIGEST}, b.generations, b.trace, b.explanation_tr,
           b.explanation_en
    FROM _bulk_shape b
    ON CONFLICT (digest) DO NOTHING
"""
_SHAPES_READ = f"""
    SELECT b.n, s.id FROM _bulk_shape b
    JOIN routing_rules_decisionshape s ON s.digest = {_SHAPE_DIGEST}
"""

_OWNERS = """
    UPDATE geopool_servicerequest r
    SET owner_body_id = o.owner_body_id, owner_department_id = o.owner_department_id,
        needs_triage = o.needs_triage, is_urgent = o.is_urgent, updated_at = now()
    FROM _bulk_owner o WHERE r.id = o.id
"""


_NULL = "\\N"


def _text(value):
    """A value in COPY's text format (backslash, tab and newlines escaped).

    ``str.replace`` behind an ``in`` test: ``str.translate`` with a dict maps
    non-ASCII text (every Turkish explanation) character by character.
    """
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if "\t" in value:
        value = value.replace("\t", "\\t")
    if "\n" in value:
        value = value.replace("\n", "\\n")
    if "\r" in value:
        value = value.replace("\r", "\\r")
    return value


def _shapes_store(cursor, new_shapes):
    """Store the shapes ``{key: n}`` that are new; returns {key: shape id}."""
    keys = list(new_shapes)
    cursor.execute(_SHAPES_TEMP)
    cursor.execute("TRUNCATE _bulk_shape")
    with cursor.copy("COPY _bulk_shape FROM STDIN") as copy:
        for start in range(0, len(keys), 5000):
            copy.write(
                "".join(
                    f"{new_shapes[key]}\t{_text(key[0])}\t{_text(key[1])}\t"
                    f"{_text(key[2])}\t{_text(key[3])}\n"
                    for key in keys[start : start + 5000]
                )
            )
    cursor.execute(_SHAPES_STORE)
    cursor.execute(_SHAPES_READ)
    found = dict(cursor.fetchall())
    return {key: found[n] for key, n in new_shapes.items()}


@dataclass
class BulkResult:
    routed: int = 0
    triage: int = 0
    # request id -> message, for points outside the service area
    refused: dict = field(default_factory=dict)
    # owner body code -> count
    owners: dict = field(default_factory=dict)


def route_stored(
    request_ids,
    context=None,
    at=None,
    keep_owner=False,
    progress=False,
    batch=BATCH,
    fresh=False,
):
    """Route the stored requests ``request_ids`` and store their decisions.

    ``fresh=True`` says the requests were just written and have no decision
    yet (a history import), so none is retired first. Runs in the caller's
    transaction (or one of its own). Returns BulkResult.
    """
    context = context or live_context()
    at = at or timezone.now()
    ids = np.unique(np.asarray(list(request_ids), dtype=np.int64))
    result = BulkResult()
    bar = tqdm(
        total=len(ids), desc="route", unit="req", disable=not progress, mininterval=0.5
    )
    # Hundreds of thousands of small objects per batch: the cyclic garbage
    # collector would rescan them again and again (none of them form cycles).
    collecting = gc.isenabled()
    gc.disable()
    chunks = [
        ids[start : start + batch].tolist() for start in range(0, len(ids), batch)
    ]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if len(chunks) > 1:
                # Routing runs while a COPY holds the connection: no layer
                # may be read from the database then.
                for layer in context.generations:
                    context.index(layer)
            cursor.execute(_CATEGORIES)
            category_codes = dict(cursor.fetchall())
            store = DecisionStore(cursor, keep_owner=keep_owner, fresh=fresh)
            try:
                rows = _points_read(cursor, chunks[0]) if chunks else []
                for k, chunk in enumerate(chunks):
                    decided = _route_rows(
                        context, rows, category_codes, at, keep_owner, result
                    )
                    # The next batch's points are read before this batch's
                    # COPY holds the connection.
                    after = chunks[k + 1] if k + 1 < len(chunks) else None
                    rows = store.add(
                        decided,
                        before_copy=after and partial(_points_read, cursor, after),
                    )
                    bar.update(len(chunk))
                store.close()
            except BaseException:
                store.abort(*sys.exc_info())
                raise
    finally:
        if collecting:
            gc.enable()
    bar.close()
    logger.info(
        "routed %d requests in bulk (%d to triage, %d outside the service area)",
        result.routed,
        result.triage,
        len(result.refused),
    )
    return result


class DecisionStore:
    """Stores batches of decisions (``route_points``) through ``cursor``.

    ``add`` stores a batch's new shapes, retires the requests' current
    decisions (unless ``fresh``: they have none), sets their owners (unless
    ``keep_owner``), then opens the batch's COPY and leaves it open: its
    rows go to the server from psycopg's worker thread while the caller
    prepares the next batch, which must not use the connection until the
    next ``add`` or ``close``. ``abort`` ends an open COPY after an error.
    """

    def __init__(self, cursor, keep_owner=False, fresh=False):
        self._cursor, self._keep_owner, self._fresh = cursor, keep_owner, fresh
        self._shapes = {}  # (generations, trace, tr, en) as text -> shape id
        self._writer = _DecisionCopy(cursor)

    def add(self, decided, before_copy=None):
        """Store ``decided``; returns what ``before_copy()``, called just
        before the COPY opens, returns (None without it)."""
        cursor = self._cursor
        self._writer.close()  # the previous batch's rows are in
        lines, owners = _rows_stored(cursor, decided, self._shapes, self._keep_owner)
        if not self._fresh and lines:
            _retire(cursor, decided.ids)
        if owners:
            _owners_update(cursor, owners)
        found = before_copy() if before_copy is not None else None
        self._writer.open(lines)
        return found

    def add_all(self, batches):
        """Store ``batches`` at once: every new shape of them first, then
        all their rows in one COPY, formatted while the server takes them.

        For decisions all made before any is stored (a history import): the
        connection then has nothing else to do meanwhile.
        """
        cursor = self._cursor
        self._writer.close()
        _shapes_known(cursor, [e for d in batches for e in d.distinct], self._shapes)
        for decided in batches:
            if not self._fresh and decided.ids:
                _retire(cursor, decided.ids)
            if not self._keep_owner and decided.ids:
                _owners_update(cursor, _owner_rows(decided))
        raw = self._writer.raw
        with raw.copy(_DecisionCopy.SQL, writer=QueuedLibpqWriter(raw)) as copy:
            for decided in batches:
                lines = _lines(decided)
                for start in range(0, len(lines), 5000):
                    copy.write("\n".join(lines[start : start + 5000]) + "\n")

    def close(self):
        self._writer.close()

    def abort(self, kind, error, trace):
        self._writer.abort(kind, error, trace)


class _DecisionCopy:
    """One batch's COPY of decision rows, left open while the next is routed.

    The rows go to the server from psycopg's worker thread; ``close`` waits
    until the server has taken them all (and raises what it refused).
    """

    SQL = f"COPY routing_rules_decision ({_COLUMNS}) FROM STDIN"

    def __init__(self, cursor):
        self.raw = getattr(cursor, "cursor", cursor)  # psycopg's, under Django's
        self._open = None

    def open(self, lines):
        if not lines:
            return
        self._open = self.raw.copy(self.SQL, writer=QueuedLibpqWriter(self.raw))
        copy = self._open.__enter__()
        for start in range(0, len(lines), 5000):
            copy.write("\n".join(lines[start : start + 5000]) + "\n")

    def close(self):
        if self._open is not None:
            context, self._open = self._open, None
            context.__exit__(None, None, None)

    def abort(self, kind, error, trace):
        """End an open COPY after ``error``, so the server drops its rows."""
        if self._open is not None:
            context, self._open = self._open, None
            context.__exit__(kind, error, trace)


def _points_read(cursor, chunk):
    """(id, category id, lon, lat) of the requests ``chunk``, by id."""
    span = chunk[-1] - chunk[0] + 1
    if span == len(chunk):
        sql, params = _READ_RANGE, [chunk[0], chunk[-1]]
    else:
        sql = _READ_DENSE if span <= 2 * len(chunk) else _READ_SPARSE
        params = _id_array(chunk)
    raw = getattr(cursor, "cursor", cursor)  # psycopg's, under Django's
    # Django's cursors bind on the client, which returns text only; this one
    # is on the same connection, so in the same transaction.
    with psycopg.Cursor(raw.connection) as binary:
        binary.execute(sql, params, binary=True)
        return binary.fetchall()


def _retire(cursor, ids):
    """Mark the current decisions of the requests ``ids`` as no longer current."""
    cursor.execute(_ANY_CURRENT, [ids[0], ids[-1]])
    if cursor.fetchone()[0]:
        cursor.execute(_RETIRE, _id_array(ids))


@dataclass(slots=True)
class _Shared:
    """What the decision rows of many requests share: all but the request id.

    Most requests of a batch lie inside one district and match the same rule
    with the same candidates: their rows differ only in the request id, so
    the row is formatted once per distinct decision.
    """

    head: str  # owner, rule, candidates and flags columns, COPY text
    shape_key: tuple  # (generations, trace, tr, en) as text
    body: str  # the owner's code
    body_id: int
    department_id: int | None
    triage: bool
    urgent: bool
    count: int = 0
    tail: str = ""  # head, shape id and is_current, once the shape has an id


@dataclass
class _Decided:
    """A batch's decisions, before their new shapes have ids."""

    ids: list  # request ids, one per row
    shared: list  # the row's _Shared, one per row
    distinct: list  # the distinct _Shared of the batch


def _route_rows(context, rows, category_codes, at, keep_owner, result):
    """Route the points ``rows`` (id, category id, lon, lat); no database access."""
    lons = np.array([np.nan if r[2] is None else r[2] for r in rows], dtype=float)
    lats = np.array([np.nan if r[3] is None else r[3] for r in rows], dtype=float)
    categories = [category_codes[r[1]] for r in rows]
    return route_points(
        context, [r[0] for r in rows], lons, lats, categories, at, keep_owner, result
    )


def route_points(context, ids, lons, lats, categories, at, keep_owner, result):
    """Route the requests ``ids`` at the points ``lons``, ``lats`` (degrees,
    NaN for none) with the category codes ``categories``, held in memory.

    No database access: the context's layers must be read already
    (``context.index``). Adds to ``result`` (a ``BulkResult``); returns the
    batch's decisions for ``DecisionStore.add``.
    """
    from routing_rules.engine import route

    decided = route(context, lons, lats, categories, at)
    # Objects the engine shares (the generations of a category, the
    # candidates of points that only name their district) are told apart by
    # identity: every ``Routed`` of the batch is alive until the end of it.
    memo = {}
    kept, shared = [], []
    for request, routed in zip(ids, decided, strict=True):
        if routed.error:
            result.refused[request] = routed.error
            continue
        key = (
            routed.owner_body,
            routed.owner_department,
            routed.rule_id,
            routed.rule_code,
            id(routed.candidates),
            id(routed.generations),
            tuple(routed.flags),
            orjson.dumps(routed.trace),
            routed.explanation_tr,
            routed.explanation_en,
        )
        entry = memo.get(key)
        if entry is None:
            entry = memo[key] = _shared_new(context, at, routed, key[7], keep_owner)
        entry.count += 1
        kept.append(request)
        shared.append(entry)
    ids = kept
    distinct = list(memo.values())
    counts = result.owners
    for entry in distinct:
        counts[entry.body] = counts.get(entry.body, 0) + entry.count
        result.triage += entry.count if entry.triage else 0
    result.routed += len(ids)
    return _Decided(ids, shared, distinct)


def _shared_new(context, at, routed, trace, keep_owner):
    body = context.bodies[routed.owner_body]
    department = context.departments.get(routed.owner_department)
    version = context.rule_set_version
    flags = routed.flags
    if keep_owner:
        flags = [*flags, OWNER_KEPT]
    head = "\t".join(
        (
            at.isoformat(),
            str(body.id),
            str(department.id) if department else _NULL,
            _NULL if routed.rule_id is None else str(routed.rule_id),
            _text(routed.rule_code),
            _NULL if version is None else str(version),
            _text(orjson.dumps(routed.candidates).decode()),
            "{" + ",".join(flags) + "}",
        )
    )
    return _Shared(
        head=head,
        shape_key=(
            orjson.dumps(routed.generations).decode(),
            trace.decode(),
            routed.explanation_tr,
            routed.explanation_en,
        ),
        body=routed.owner_body,
        body_id=body.id,
        department_id=department.id if department else None,
        triage="triage" in routed.flags,
        urgent="urgent" in routed.flags,
    )


def _rows_stored(cursor, decided, shapes, keep_owner):
    """Store the batch's new shapes; returns its COPY lines and owner rows."""
    _shapes_known(cursor, decided.distinct, shapes)
    return _lines(decided), [] if keep_owner else _owner_rows(decided)


def _shapes_known(cursor, entries, shapes):
    """Store the shapes of ``entries`` (``_Shared``) not in ``shapes`` yet,
    adding their ids to it; give each entry the tail of its rows."""
    new_shapes = {}
    for entry in entries:
        if entry.shape_key not in shapes and entry.shape_key not in new_shapes:
            new_shapes[entry.shape_key] = len(new_shapes)
    if new_shapes:
        shapes.update(_shapes_store(cursor, new_shapes))
    for entry in entries:
        entry.tail = f"{entry.head}\t{shapes[entry.shape_key]}\tt"


def _lines(decided):
    """The batch's COPY lines (its shapes known: ``_shapes_known``)."""
    return [
        f"{request}\t{entry.tail}"
        for request, entry in zip(decided.ids, decided.shared, strict=True)
    ]


def _owner_rows(decided):
    return [
        (request, e.body_id, e.department_id, e.triage, e.urgent)
        for request, e in zip(decided.ids, decided.shared, strict=True)
    ]


def _owners_update(cursor, owners):
    """Set the requests' owner fields from their new decisions."""
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS _bulk_owner (id bigint PRIMARY KEY, "
        "owner_body_id bigint, owner_department_id bigint, needs_triage "
        "boolean, is_urgent boolean) ON COMMIT DROP"
    )
    cursor.execute("TRUNCATE _bulk_owner")
    with cursor.copy("COPY _bulk_owner FROM STDIN") as copy:
        for values in owners:
            copy.write_row(values)
    cursor.execute(_OWNERS)
