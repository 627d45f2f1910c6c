"""Importing historic requests from another system's CSV export.

``history_import(path, commit=False)`` reads a CSV with the columns
``service_code, lat, long, description, requested_datetime, status,
closed_datetime, recorded_owner, external_id`` (and optionally
``address_string``), keeps what the old system recorded, and stores today's
decision beside it:

- the request keeps its recorded owner (``owner_body``, and the code in
  ``recorded_owner``), its status and times (``requested_at``,
  ``closed_at``); its channel is ``history`` and it carries no contact data.
  Closed history never reaches an inbox or the triage queue;
- a current ``Decision`` holds what today's rules say, made by the bulk
  path (``routing_rules.services.bulk.route_points`` with ``keep_owner``),
  so simulations can compare the two.

The file is streamed in chunks (``CHUNK`` rows): each is checked column by
column (``checks``) and written with COPY (``writing``) while the next is
read; once every row is in, all of them are routed from memory (the
points and categories the chunks held; in a thread while the database
builds the table's indexes, when the import holds the table) and their
decisions stored by COPY; all in one transaction. Bad rows are skipped and
listed with their line and reason (a point outside the service area is
found by that pass and its row removed again); ``strict`` stops at the
first and writes nothing. A row whose ``external_id`` an earlier import
stored is skipped as ``ALREADY_IMPORTED``, so re-running an import is safe.
Without ``commit`` nothing is written: the rows are checked and routed in
memory by the same engine, so the summary says what would be written,
including today's owners and the points outside the service area.

Committing imports run one at a time: each holds an advisory lock
(``IMPORT_LOCK``) until it commits or rolls back, and one that finds it
taken says so (``waiting``) and waits; it then skips the rows the other
stored as already imported, so two runs of one file write it once.

Example: a ``COP`` row at lat 36.2021, long 36.1603 (inside Antakya) with
``recorded_owner`` HBB is stored owned by HBB, and its decision names
Antakya Belediyesi; ``summary.changed`` counts it.
"""

import csv
import gc
import logging
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from geopool import locks
from geopool.services.history.checks import Lookups, chunk_check
from geopool.services.history.errors import (
    ALREADY_IMPORTED,
    DUPLICATE,
    BadRow,
    HistoryError,
    MissingColumns,
    NotUtf8,
)
from geopool.services.history.indexes import indexes_rebuilt, rebuild_wanted
from geopool.services.history.reading import (
    OPTIONAL,
    REQUIRED,
    Utf8Lines,
    header_read,
    records,
)
from geopool.services.history.writing import (
    REFUSED_POINTS,
    TABLE,
    history_stored,
    ids_new,
    requests_copy,
    requests_delete,
    stored_external_ids,
    stored_history_ids,
    tracking_codes_stored,
    tracking_codes_unused,
)
from geopool.tracking import tracking_codes_new
from geopool.web.staffmap.pyramid import counts_add, counts_of_points
from routing_rules.context import live_context
from routing_rules.engine import route
from routing_rules.services.bulk import BulkResult, DecisionStore, route_points

logger = logging.getLogger(__name__)

__all__ = [
    "ALREADY_IMPORTED",
    "CHUNK",
    "IMPORT_LOCK",
    "OPTIONAL",
    "REQUIRED",
    "WAITING",
    "BadRow",
    "HistoryError",
    "HistorySummary",
    "MissingColumns",
    "NotUtf8",
    "history_import",
]

CHUNK = 50_000
# The advisory lock a committing import holds (any number no other part of
# geopool takes; ``pg_locks`` shows it as classid 0, objid this, objsubid 1).
IMPORT_LOCK = 0x4859_5354
WAITING = (
    "another history import (server process {pid}) is writing; waiting for "
    "it to end, then the rows it stored are skipped as already imported"
)
DECISIONS = "routing_rules_decision"
SWAPPED_HINT = "; with lat and long swapped it would lie in the service area"


@dataclass
class HistorySummary:
    """What an import did (or, in a dry run, would do)."""

    path: str
    committed: bool
    read: int = 0  # data rows read
    written: int = 0  # requests stored (in a dry run: that would be)
    skipped: list = field(default_factory=list)  # [(line, reason)], by line
    without_location: int = 0
    routed: int = 0  # today's decisions stored
    triage: int = 0  # of which today's rules leave to the coordinator
    changed: int = 0  # of which today's owner is not the recorded one
    owners: dict = field(default_factory=dict)  # today's owner code -> count
    # parse: reading and checking (in a thread, beside the database work);
    # lookup: external_ids already stored; copy: writing the requests;
    # route: today's decisions (in a thread beside the index builds when
    # the import holds the table); decisions: storing them.
    seconds: dict = field(
        default_factory=lambda: dict.fromkeys(
            ("parse", "lookup", "copy", "route", "decisions"), 0.0
        )
    )

    @property
    def errors(self):
        """The skipped rows that are bad (not merely already imported)."""
        return [(line, why) for line, why in self.skipped if why != ALREADY_IMPORTED]

    @property
    def already_imported(self):
        return len(self.skipped) - len(self.errors)


def history_import(
    path, *, commit=False, strict=False, progress=False, chunk=CHUNK, waiting=None
):
    """Import the history CSV at ``path``; return a ``HistorySummary``.

    Parameters
    ----------
    commit : write; otherwise a dry run: everything but the writing (the
        rows are checked and routed in memory), so the summary is the same
    strict : stop at the first bad row (``BadRow``), writing nothing
    progress : show a progress bar on stderr
    chunk : rows read, checked, written and routed at a time
    waiting : called with ``WAITING``'s text when another import is writing
        and this one waits for it (it is logged too)

    Raises
    ------
    HistoryError (NotUtf8, MissingColumns, BadRow), RoutingError
    """
    path = Path(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise HistoryError(f"cannot read {path}: {exc.strerror}") from exc
    run = _Run(path, commit, strict)
    routing = None
    try:
        with (
            _collector_paused(),
            _threads_switch_often(),
            handle,
            transaction.atomic(),
            _constraints_immediate(commit),
        ):
            if commit:
                _imports_serialised(waiting)
            with _indexes_for(path, commit, run, progress):
                lines = Utf8Lines(handle, path.name)
                reader = csv.reader(lines)
                positions, width = header_read(reader, path.name)
                chunks = _checked(
                    records(reader, width, chunk, path.name, lines), positions, run
                )
                # Closed on an error too, so that the error starts on its own
                # line.
                with tqdm(
                    total=path.stat().st_size,
                    unit="B",
                    unit_scale=True,
                    desc=f"import {path.name}",
                    disable=not progress,
                    mininterval=0.5,
                ) as bar:
                    for checked, malformed, count in _ahead(chunks):
                        run.chunk(checked, malformed, count)
                        bar.update(lines.offset - bar.n)
                        # As text: tqdm writes a number as 3e+4.
                        bar.set_postfix(
                            written=f"{run.summary.written:,}",
                            skipped=f"{len(run.skipped):,}",
                        )
                if commit:
                    # Beside the index builds when the import holds the table.
                    routing = run.routing_started(progress)
            if routing is not None:
                run.routing_finished(routing)
    finally:
        if routing is not None:
            routing.stop()
    summary = run.summary
    logger.debug(
        "history %s stages (s): %s",
        path.name,
        ", ".join(f"{k} {v:.2f}" for k, v in summary.seconds.items()),
    )
    summary.skipped = sorted(run.skipped)
    logger.info(
        "history %s%s: %d rows read, %d %s, %d bad, %d already imported; "
        "today's rules give %d to another owner, %d to triage",
        path.name,
        "" if commit else " (dry run)",
        summary.read,
        summary.written,
        "written" if commit else "would be written",
        len(summary.errors),
        summary.already_imported,
        summary.changed,
        summary.triage,
    )
    return summary


def _imports_serialised(waiting):
    """Take ``IMPORT_LOCK`` for the transaction, waiting for its holder."""
    if locks.try_hold(IMPORT_LOCK):
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(pid) FROM pg_locks WHERE locktype = 'advisory' AND "
            "classid = 0 AND objid = %s AND objsubid = 1 AND granted",
            [IMPORT_LOCK],
        )
        text = WAITING.format(pid=cursor.fetchone()[0] or "?")
        logger.info("history: %s", text)
    if waiting is not None:
        waiting(text)
    locks.hold(IMPORT_LOCK)


@contextmanager
def _constraints_immediate(wanted):
    """Check foreign keys as each COPY ends rather than all at commit.

    The server then queues one chunk's checks at a time, not millions. Django
    creates every foreign key deferred, so that is what is set back.
    """
    if not wanted:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    yield
    # Not after an error: the transaction is rolled back (and may be aborted).
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextmanager
def _collector_paused():
    """Pause the cyclic garbage collector during the import.

    Every chunk makes hundreds of thousands of rows, strings and tuples,
    none of them in cycles: the collector would scan them again and again
    (a tenth of a large import's time) and free nothing. Memory is freed as
    always by reference counting; one collection runs at the end.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
            gc.collect()


# How long a thread may hold the interpreter while another waits for it
# (seconds; Python's default is 5 ms).
SWITCH_INTERVAL = 0.0005


@contextmanager
def _threads_switch_often():
    """Let the import's threads take turns at the interpreter more often.

    The main thread hands each chunk to the database and waits; the reading
    thread checks the next chunk meanwhile, and psycopg's writer thread
    sends the rows. Each time the database answers, the main thread waits
    up to Python's switch interval for the reader to let go: 5 ms, many
    times a chunk, which left the database idle between statements. With
    0.5 ms a million rows went in 2–3 s sooner on a 2-core machine.
    """
    before = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


@contextmanager
def _indexes_for(path, commit, run, progress=False):
    """Build the request table's indexes once, after a large import.

    Only when the file has more lines than the table has rows
    (``indexes.rebuild_wanted``): the table is then locked for the whole
    import (``indexes``), its unique indexes go too (the import holds every
    tracking code and external id it must not repeat), and the heat map's
    bin counts are made once at the end too (``_map_bins_at_end``).
    """
    if not commit:
        yield
        return
    incoming = _lines_count(path) - 1
    with connection.cursor() as cursor:
        wanted = rebuild_wanted(cursor, TABLE, incoming)
        if wanted and rebuild_wanted(cursor, DECISIONS, incoming):
            # Its indexes may be rebuilt at the end (``_decision_indexes``):
            # locked now, before the requests, so that a reader holding the
            # decisions and waiting for the requests cannot deadlock with it.
            cursor.execute(f"LOCK TABLE {DECISIONS} IN ACCESS EXCLUSIVE MODE")
            run.decisions_locked = True
    if not wanted:
        yield
        return
    seconds = run.summary.seconds
    with (
        connection.cursor() as cursor,
        indexes_rebuilt(cursor, TABLE, seconds, uniques=True, progress=progress),
        _map_bins_at_end(cursor, run, seconds),
    ):
        run.table_locked = True
        yield


# The triggers that keep the heat map's bin counts as rows are written and
# deleted (migration geopool 0013).
MAP_BIN_TRIGGERS = ("geopool_mapbin_inserted", "geopool_mapbin_deleted")


@contextmanager
def _map_bins_at_end(cursor, run, seconds):
    """Count the import's rows into the heat map's bins once, from memory.

    The triggers would count each chunk's rows as it is copied, a row per
    bin and chunk; this import holds the table alone (``indexes_rebuilt``
    locked it), so they are off meanwhile, and the rows' bins are counted
    with their routing, in Python (``_Routing``, with
    ``pyramid.counts_of_points``), and added with their decisions. Turning
    the triggers off and on is part of the import's transaction: a failed
    import rolls it back with the rows.
    """
    for name in MAP_BIN_TRIGGERS:
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {name}")
    yield
    for name in MAP_BIN_TRIGGERS:
        cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {name}")


def _lines_count(path):
    """The physical lines of the file (a record may span several)."""
    count = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            count += block.count(b"\n")
    return count


def _checked(chunks, positions, run):
    """Check each chunk of records: ``(Checked, malformed, rows read)``."""
    started = perf_counter()
    for rows, numbers, malformed in chunks:
        checked = chunk_check(rows, numbers, positions, run.lookups)
        # Work for the main thread done here, beside the database's: the
        # external ids' hashes (``_Run._fresh``) and tracking codes to try.
        checked.columns["external_hash"] = list(
            map(hash, checked.columns.get("external_id", ()))
        )
        checked.columns["tracking_code"] = tracking_codes_new(len(checked))
        run.summary.seconds["parse"] += perf_counter() - started
        yield checked, malformed, len(rows) + len(malformed)
        started = perf_counter()


def _ahead(iterator):
    """Yield from ``iterator`` while a thread computes the next item.

    Reading and checking a chunk touch no database, so they overlap the
    server's work on the chunk before (psycopg releases the GIL while it
    waits). Errors raised in the thread are raised here.
    """
    end = object()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="history") as pool:
        pending = pool.submit(next, iterator, end)
        while (item := pending.result()) is not end:
            pending = pool.submit(next, iterator, end)
            yield item


class _Run:
    """State of one import across its chunks."""

    def __init__(self, path, commit, strict):
        self.summary = HistorySummary(path=str(path), committed=commit)
        self.skipped = []
        self.commit, self.strict = commit, strict
        self.context = live_context()
        self.at = timezone.now()
        self.lookups = Lookups(
            categories={
                code: (c.id, c.is_emergency)
                for code, c in self.context.categories.items()
            },
            bodies={code: b.id for code, b in self.context.bodies.items()},
            zone=ZoneInfo(settings.TIME_ZONE),
            now=self.at,
        )
        # external_id hashes of the rows kept so far (sorted, per chunk) and
        # their lines: a repeat in a later chunk is found without keeping
        # every id (two ids sharing a 64-bit hash: ~n**2 / 2**65, 3e-6 for
        # ten million rows).
        self.seen = []
        # Whether earlier imports stored rows: asked in the import's
        # transaction, at the first chunk (after any lock is taken).
        self.stored = None
        # Whether the import holds the table alone (``_indexes_for``), and
        # then every tracking code the table holds.
        self.table_locked = False
        # Whether it holds the decision table alone too (``_indexes_for``).
        self.decisions_locked = False
        self.codes = None
        # Then also the external ids earlier history imports stored.
        self.stored_ids = None
        # The rows written and not routed yet (``_Written``, in order).
        self.pending = []
        self.located = 0

    def chunk(self, checked, malformed, count):
        started = perf_counter()
        self.summary.read += count
        bad = malformed + checked.bad
        with connection.cursor() as cursor:
            checked = self._fresh(cursor, checked, bad)
            self.summary.seconds["lookup"] += perf_counter() - started
            if len(checked):
                kept = (self._write if self.commit else self._preview)(
                    cursor, checked, bad
                )
                self._remember(checked, kept)
        self.skipped += bad
        errors = [(line, why) for line, why in bad if why != ALREADY_IMPORTED]
        if self.strict and errors:
            raise BadRow(*min(errors))

    def _fresh(self, cursor, checked, bad):
        """Drop rows whose external_id came earlier in the file or is stored."""
        if not len(checked):  # every row of the chunk was refused
            return checked
        external_ids = checked.columns["external_id"]
        hashes = np.asarray(checked.columns["external_hash"], dtype=np.int64)
        first = np.zeros(len(hashes), dtype=np.int64)
        for seen, lines in self.seen:
            at = np.searchsorted(seen, hashes).clip(max=len(seen) - 1)
            found = (seen[at] == hashes) & (first == 0)
            first[found] = lines[at[found]]
        # Rows this import wrote are in ``seen``; only earlier imports' rows
        # need the table, and with none the query is left out.
        if self.stored is None:
            self.stored = history_stored(cursor)
            if self.stored and self.table_locked:
                # Fewer rows than the file brings: their ids fit in memory,
                # and the table's index of them is dropped meanwhile.
                self.stored_ids = stored_history_ids(cursor)
        if not self.stored:
            stored = ()
        elif self.stored_ids is not None:
            stored = {e for e in external_ids if e in self.stored_ids}
        else:
            stored = stored_external_ids(cursor, external_ids)
        if not stored and not first.any():
            return checked
        keep = []
        for i, external_id in enumerate(external_ids):
            if first[i]:
                why = DUPLICATE.format(external_id=external_id, line=first[i])
            elif external_id in stored:
                why = ALREADY_IMPORTED
            else:
                keep.append(i)
                continue
            bad.append((checked.lines[i], why))
        return checked.subset(keep)

    def _remember(self, checked, kept):
        """Add the kept rows' external_id hashes to ``seen``.

        ``seen`` holds sorted runs whose sizes halve from the first to the
        last, merging the last two while the newer is as large: a file of n
        rows is searched in about log2(n / CHUNK) runs.
        """
        if not kept:
            return
        hashes = np.asarray(checked.columns["external_hash"], dtype=np.int64)[kept]
        lines = np.asarray(checked.lines, dtype=np.int64)[kept]
        self.seen.append((hashes, lines))
        while len(self.seen) > 1 and len(self.seen[-1][0]) >= len(self.seen[-2][0]):
            newer, older = self.seen.pop(), self.seen.pop()
            self.seen.append(
                tuple(np.concatenate(p) for p in zip(older, newer, strict=True))
            )
        hashes, lines = self.seen[-1]
        order = np.argsort(hashes, kind="stable")
        self.seen[-1] = (hashes[order], lines[order])

    def _write(self, cursor, checked, bad):
        """COPY the rows; return the positions kept (all: routed at the end)."""
        started = perf_counter()
        ids = ids_new(cursor, len(checked), table_locked=self.table_locked)
        if self.table_locked and self.codes is None:
            # Fewer rows than the file brings: their codes fit in memory.
            self.codes = tracking_codes_stored(cursor)
        codes = tracking_codes_unused(
            cursor, checked.columns["tracking_code"], known=self.codes
        )
        self.located += requests_copy(cursor, checked, ids, codes, self.at)
        self.pending.append(
            _Written(
                ids=ids,
                lines=checked.lines,
                lon=checked.lon,
                lat=checked.lat,
                codes=checked.columns["service_code"],
                owners=checked.columns["owner"],
            )
        )
        self.summary.written += len(ids)
        self.summary.seconds["copy"] += perf_counter() - started
        if self.strict:
            # The first bad row may be one routing refuses: route each chunk
            # before the next, so that the import stops at the first.
            routing = self.routing_started(progress=False)
            bad += self._decisions_stored(routing)
        return list(range(len(ids)))

    def routing_started(self, progress):
        """Route the rows written and not routed yet, from memory.

        While the import holds the table alone (``table_locked``) the
        routing, Python's work, runs in a thread while the database builds
        the table's indexes (``_indexes_for``); otherwise here. Either way
        ``routing_finished`` stores the decisions.
        """
        pending, self.pending = self.pending, []
        routing = _Routing(self, pending, progress)
        if self.table_locked:
            # A thread reads no layer from the database: it would have a
            # connection of its own, outside the import's transaction.
            for layer in self.context.generations:
                self.context.index(layer)
            routing.start()
        else:
            routing.run()
        return routing

    def routing_finished(self, routing):
        """Store today's decisions of ``routing``'s rows.

        Rows whose point lies outside the service area are removed again and
        listed as bad with their lines (``strict``: the import stops).
        """
        refused = self._decisions_stored(routing)
        self.skipped += refused
        if self.strict and refused:
            raise BadRow(*min(refused))
        self.summary.without_location = self.summary.written - self.located

    def _decisions_stored(self, routing):
        """Store the decisions ``routing`` made (waiting for it); return the
        ``(line, reason)`` of the rows it refused, removed again."""
        routing.wait()
        summary, result = self.summary, routing.result
        started = perf_counter()
        refused = []
        with connection.cursor() as cursor, self._decision_indexes(cursor, routing):
            DecisionStore(cursor, keep_owner=True, fresh=True).add_all(routing.decided)
            if routing.bins is not None:
                begun = perf_counter()
                counts_add(cursor, routing.bins)
                summary.seconds["map_bins"] = (
                    summary.seconds.get("map_bins", 0.0)
                    + routing.bins_seconds
                    + perf_counter()
                    - begun
                )
            if result.refused:
                line_of = {
                    pk: line
                    for written in routing.written
                    for pk, line in zip(written.ids, written.lines, strict=True)
                    if pk in result.refused
                }
                refused = self._refuse_stored(cursor, result.refused, line_of)
                requests_delete(cursor, result.refused)
                summary.written -= len(refused)
                self.located -= len(refused)
        summary.routed += result.routed
        summary.triage += result.triage
        summary.changed += routing.changed
        for code, count in result.owners.items():
            summary.owners[code] = summary.owners.get(code, 0) + count
        summary.seconds["route"] += routing.seconds
        summary.seconds["decisions"] += perf_counter() - started
        return refused

    @contextmanager
    def _decision_indexes(self, cursor, routing):
        """Build the decision table's indexes after its rows, when the
        import brings more decisions than it holds (as ``_indexes_for``)."""
        incoming = routing.result.routed
        if not (self.decisions_locked and rebuild_wanted(cursor, DECISIONS, incoming)):
            yield
            return
        seconds = {}
        with indexes_rebuilt(cursor, DECISIONS, seconds, uniques=True):
            yield
        self.summary.seconds["decision_indexes"] = seconds["build"]

    def _refuse_stored(self, cursor, refused, line_of):
        """(line, reason) of written rows outside the service area, with the
        hint when swapping lat and long would place them."""
        cursor.execute(REFUSED_POINTS, [list(refused)])
        found = cursor.fetchall()
        swapped = route(
            self.context,
            np.asarray([lat for _, _, _, lat in found], dtype=float),
            np.asarray([lon for _, _, lon, _ in found], dtype=float),
            [code for _, code, _, _ in found],
        )
        return [
            (line_of[pk], refused[pk] + ("" if other.error else SWAPPED_HINT))
            for (pk, *_), other in zip(found, swapped, strict=True)
        ]

    def _preview(self, cursor, checked, bad):
        """Route in memory as ``_write`` would; return the positions kept."""
        summary = self.summary
        started = perf_counter()
        decided = route(
            self.context,
            checked.lon,
            checked.lat,
            checked.columns["service_code"],
            self.at,
        )
        refused, kept = {}, []
        owners = summary.owners
        recorded = checked.columns["owner_code"]
        for i, routed in enumerate(decided):
            if routed.error:
                refused[i] = routed.error
                continue
            kept.append(i)
            owners[routed.owner_body] = owners.get(routed.owner_body, 0) + 1
            summary.triage += routed.needs_triage
            summary.changed += routed.owner_body != recorded[i]
        if refused:
            self._refuse(checked, refused, bad)
        summary.routed += len(kept)
        summary.written += len(kept)
        summary.without_location += int(np.isnan(checked.lon[kept]).sum())
        summary.seconds["route"] += perf_counter() - started
        return kept

    def _refuse(self, checked, refused, bad):
        """List rows outside the service area; hint when swapping would fit."""
        positions = sorted(refused)
        codes = [checked.columns["service_code"][i] for i in positions]
        swapped = route(
            self.context, checked.lat[positions], checked.lon[positions], codes
        )
        for i, other in zip(positions, swapped, strict=True):
            hint = "" if other.error else SWAPPED_HINT
            bad.append((checked.lines[i], refused[i] + hint))


@dataclass(slots=True)
class _Written:
    """A chunk's rows as written, for routing them from memory."""

    ids: list  # request ids, ascending
    lines: list  # the file's line of each row
    lon: np.ndarray
    lat: np.ndarray
    codes: list  # category codes
    owners: list  # the recorded owner's body id


class _Routing:
    """Today's decisions of written rows, made from memory (no database).

    ``start`` routes in a thread, ``run`` here; ``wait`` returns when done
    (raising what the routing raised), ``stop`` ends the thread early (after
    an error elsewhere). ``decided``: one batch (``route_points``) per
    chunk; ``changed``: how many rows today's rules give to another owner
    than the recorded one.
    """

    def __init__(self, state, written, progress):
        self.state, self.written, self.progress = state, written, progress
        self.result = BulkResult()
        self.decided = []
        self.changed = 0
        self.seconds = 0.0
        # The rows' heat-map bins, when the triggers are off (or None).
        self.bins, self.bins_seconds = None, 0.0
        self._stopping = threading.Event()
        self._pool = self._future = None

    def run(self):
        started = perf_counter()
        state, result = self.state, self.result
        with tqdm(
            total=sum(len(w.ids) for w in self.written),
            desc="route",
            unit="req",
            disable=not self.progress,
            mininterval=0.5,
        ) as bar:
            for written in self.written:
                if self._stopping.is_set():
                    return
                refused = len(result.refused)
                decided = route_points(
                    state.context,
                    written.ids,
                    written.lon,
                    written.lat,
                    written.codes,
                    state.at,
                    True,
                    result,
                )
                owners = written.owners
                if len(result.refused) > refused:
                    owners = [
                        owner
                        for pk, owner in zip(written.ids, owners, strict=True)
                        if pk not in result.refused
                    ]
                self.changed += sum(
                    entry.body_id != owner
                    for entry, owner in zip(decided.shared, owners, strict=True)
                )
                self.decided.append(decided)
                bar.update(len(written.ids))
        if state.table_locked and self.written:
            # The triggers are off (``_map_bins_at_end``).
            begun = perf_counter()
            self.bins = counts_of_points(
                np.concatenate([w.lon for w in self.written]),
                np.concatenate([w.lat for w in self.written]),
            )
            self.bins_seconds = perf_counter() - begun
        self.seconds = perf_counter() - started

    def start(self):
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="route")
        self._future = self._pool.submit(self.run)

    def wait(self):
        if self._future is not None:
            future, self._future = self._future, None
            try:
                future.result()
            finally:
                self._pool.shutdown()

    def stop(self):
        self._stopping.set()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
