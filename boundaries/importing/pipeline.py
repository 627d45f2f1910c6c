"""Streaming a source into a generation: read, reproject, repair, COPY.

Features are read in Arrow batches (pyogrio), so memory stays flat however
large the file is; each batch is reprojected once to the storage SRID with
x = easting/longitude whatever the axis order of the source CRS
(``always_xy``), checked and repaired with vectorised shapely calls, turned
into COPY text a whole column at a time (Arrow compute), and written with
PostgreSQL's COPY, one statement per batch, from a worker thread that the
next batches wait for in a short queue. Subdivided parts for lookups are
built in SQL after the load (PERFORMANCE.md: COPY ~200k rows/s against ~4k
for the ORM; LayerMapping is not the path for large layers).
"""

import logging
import queue
import struct
import threading
import unicodedata
import warnings
from dataclasses import dataclass

import numpy as np
import orjson
import pyarrow
import pyarrow.compute as pc
from django.db import connection
from tqdm import tqdm

import pyogrio
import shapely
from pyproj import CRS, Transformer

from boundaries.errors import ImportRefused
from boundaries.geometry import normalize_code, repair_linear, repair_polygonal
from boundaries.models import GeometryKind
from geopool.spatial import STORAGE_SRID, SUBDIVIDE_MAX_VERTICES

logger = logging.getLogger(__name__)

BATCH_SIZE = 10_000
# A batch whose geometries take more WKB bytes than this is cut into pieces,
# so that a COPY block (the WKB about twice over, as hex) stays small however
# detailed the features are.
BATCH_BYTES = 16 << 20
# Batches prepared and waiting for the COPY thread (see _BatchCopier).
AHEAD_BATCHES = 2
COPY_FEATURES = (
    "COPY boundaries_feature "
    "(generation_id, name, code, attributes, geometry, is_subdivided) FROM STDIN"
)
# shapely type ids: 0 Point, 1 LineString, 3 Polygon, 4 MultiPoint,
# 5 MultiLineString, 6 MultiPolygon.
KIND_TYPE_IDS = {
    GeometryKind.POINT: {0, 4},
    GeometryKind.LINE: {1, 5},
    GeometryKind.POLYGON: {3, 6},
}
TYPE_NAMES = {0: "point", 1: "line", 3: "polygon", 4: "point", 5: "line", 6: "polygon"}
LISTED_MAX = 200  # repaired/skipped features listed one by one in a report
# What GEOS says of a geometry it cannot build, and what the report says:
# the problem, and the repair where ``from_wkb(on_invalid="fix")`` made one.
UNBUILDABLE = (
    (
        "do not form a closed linestring",
        "a ring of the polygon is not closed (its last point is not its first)",
        "closed by repeating its first point",
    ),
    (
        "must contain 0 or >1 elements",
        "the line has a single point; a line needs at least two",
        "",
    ),
    (
        "Invalid number of points in LinearRing",
        "a ring of the polygon has fewer than 4 points (3 corners and the first again)",
        "",
    ),
)

# Each batch's columns pass through a few short-lived Arrow arrays. Arrow's
# default allocator (mimalloc) kept their memory: about 30 MB more at the
# peak of a 100,000-line import than the C allocator, at the same speed.
pyarrow.set_memory_pool(pyarrow.system_memory_pool())


def _reprojector(crs):
    if CRS.from_user_input(crs).equals(CRS.from_epsg(STORAGE_SRID)):
        return None
    transformer = Transformer.from_crs(crs, STORAGE_SRID, always_xy=True)

    def reproject(coords):
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return reproject


NAME_MAX = 300  # boundaries.Feature.name
CODE_MAX = 100  # boundaries.Feature.code


def _text(value):
    if value is None:
        return ""
    text = str(value)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    # NUL cannot be stored in PostgreSQL text; it is never meant in a name.
    return text.replace("\x00", "").strip()


def _check_lengths(number, label, code):
    for what, text, limit in (("name", label, NAME_MAX), ("code", code, CODE_MAX)):
        if len(text) > limit:
            raise ImportRefused(
                f"feature {number}: its {what} is {len(text)} characters long "
                f"({text[:40]}…); at most {limit} fit. Map the right field, or "
                "shorten it in the file"
            )


def _jsonable(value):
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return normalize_code(value) if value == value else None
    return str(value)


def _listed(report_list, item):
    report_list.append(item) if len(report_list) < LISTED_MAX else None


def province_prepared(generation_id):
    """The union of a generation's features, prepared for fast tests, or None."""
    if generation_id is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_AsBinary(geometry) FROM boundaries_feature "
            "WHERE generation_id = %s",
            [generation_id],
        )
        parts = shapely.from_wkb([bytes(row[0]) for row in cursor.fetchall()])
    if len(parts) == 0:
        return None
    province = shapely.union_all(parts)
    shapely.prepare(province)
    return province


def features_copy(
    source, crs, mapping, kind, generation_id, report, progress=False, province=None
):
    """Stream ``source`` into ``generation_id``; fill ``report``; return the count.

    With ``province`` (a prepared geometry), features that do not touch it
    are counted in ``report.outside_count`` and listed in ``report.outside``.
    ``report.codes_repeat`` tells whether two features may share a code (False
    when the stream saw none, so the check needs no query).
    """
    name_field = mapping.get("name", "")
    code_field = mapping.get("code", "")
    attributes = mapping.get("attributes", {})
    columns = sorted({name_field, code_field, *attributes.values()} - {""})
    reproject = _reprojector(crs)
    allowed = KIND_TYPE_IDS[kind]
    written = z_dropped = large = 0
    index = 0
    codes = _CodeTally()

    # Closed on an error too, so that the error starts on its own line.
    bar = tqdm(
        total=source.feature_count or None,
        desc=f"import {source.path.name}",
        unit="feat",
        disable=not progress,
    )
    with (
        bar,
        pyogrio.open_arrow(
            source.gdal_path,
            layer=source.layer or None,
            encoding=source.encoding or None,
            columns=columns,
            batch_size=BATCH_SIZE,
            use_pyarrow=True,
        ) as (meta, reader),
        connection.cursor() as wrapper,
    ):
        geometry_name = meta.get("geometry_name") or "wkb_geometry"
        with _BatchCopier(wrapper.cursor, COPY_FEATURES) as copy:
            for values, geometries, notes in _batches(
                reader, source, columns, geometry_name
            ):
                batch = _prepare_batch(
                    geometries,
                    notes,
                    values,
                    mapping,
                    kind,
                    allowed,
                    index,
                    reproject,
                    report,
                    province,
                )
                z_dropped += batch.z_count
                if batch.count:
                    copy.write(_copy_block(generation_id, batch))
                    if code_field:
                        codes.add(batch.codes)
                    large += batch.large_count
                written += batch.count
                index += len(geometries)
                bar.update(len(geometries))
    if z_dropped:
        report.warnings.append(
            f"{z_dropped} features had Z or M values; they were dropped (geopool "
            "stores 2D geometries)"
        )
    report.codes_repeat = codes.may_repeat()
    if large:
        _subdivide(generation_id)
    return written


def _is_text(array):
    return pyarrow.types.is_string(array.type) or pyarrow.types.is_large_string(
        array.type
    )


def _clean_text(column):
    """A batch column with its text cleaned in one vectorised pass.

    Text is NFC-normalised, stripped of NUL (PostgreSQL text cannot hold it)
    and trimmed (of what ``str.strip`` trims); other columns are as read.
    """
    if pyarrow.types.is_large_string(column.type):
        column = column.cast(pyarrow.string())  # a batch holds far below 2 GB
    if _is_text(column):
        column = pc.utf8_normalize(column, "NFC")
        column = pc.replace_substring(column, "\x00", "")
        column = pc.utf8_trim_whitespace(column)
    return column


def _batches(reader, source, columns, geometry_name):
    """Yield ``(arrays by column, geometries, notes)`` a batch at a time.

    Reading and decoding failures become a clear refusal.
    """
    try:
        for whole in reader:
            for batch in _pieces(whole, geometry_name):
                values = {c: _clean_text(batch.column(c)) for c in columns}
                wkb = batch.column(geometry_name).to_numpy(zero_copy_only=False)
                yield values, *_decode(wkb)
    except (UnicodeDecodeError, pyarrow.ArrowInvalid) as exc:
        if isinstance(exc, pyarrow.ArrowInvalid) and "utf8" not in str(exc).lower():
            raise ImportRefused(
                f"{source.path.name}: reading stopped: {str(exc).splitlines()[0]}"
            ) from exc
        raise ImportRefused(
            f"{source.path.name}: its text is not valid "
            f"{source.encoding or 'UTF-8'}; a GeoJSON must be UTF-8, a "
            "shapefile's encoding can be given with --encoding"
        ) from exc
    except (OSError, RuntimeError, pyarrow.ArrowException) as exc:
        # pyogrio's errors are RuntimeErrors; GDAL reports some as I/O errors.
        raise ImportRefused(
            f"{source.path.name}: reading stopped: {str(exc).splitlines()[0]}"
        ) from exc


def _decode(wkb):
    """``(geometries, notes)`` of a batch's WKB (an array of bytes or None).

    GEOS refuses to build some geometries that files hold and GDAL passes
    on with a warning: a ring whose last point is not its first, a line of
    one point. An unclosed ring is closed (``on_invalid="fix"``) and
    ``notes[i]`` is ``(geometry, reason)``; what cannot be built is None with
    ``notes[i] = (None, reason)``.
    """
    try:
        return shapely.from_wkb(wkb), {}
    except shapely.errors.GEOSException:
        pass
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        geometries = shapely.from_wkb(wkb, on_invalid="ignore")
    notes = {}
    for i in np.flatnonzero(shapely.is_missing(geometries)):
        if wkb[i] is None:
            continue
        try:
            shapely.from_wkb(wkb[i])
            said = "unknown problem"
        except shapely.errors.GEOSException as exc:
            said = str(exc).removeprefix("IllegalArgumentException: ")
        problem, repair = next(
            ((p, r) for key, p, r in UNBUILDABLE if key in said),
            (f"its geometry cannot be built: {said}", ""),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            fixed = shapely.from_wkb(wkb[i], on_invalid="fix")
        if fixed is not None and not fixed.is_empty and repair:
            geometries[i] = fixed
            notes[int(i)] = (fixed, f"{problem}; {repair}")
        else:
            notes[int(i)] = (None, problem)
    return geometries, notes


def _pieces(batch, geometry_name):
    """``batch`` cut into runs of rows with at most BATCH_BYTES of WKB each
    (a single larger feature makes a piece of its own)."""
    wkb = batch.column(geometry_name)
    if wkb.nbytes <= BATCH_BYTES:
        yield batch
        return
    ends = np.cumsum(pc.fill_null(pc.binary_length(wkb), 0).to_numpy())
    start = 0
    while start < len(ends):
        base = ends[start - 1] if start else 0
        stop = int(np.searchsorted(ends, base + BATCH_BYTES, side="right"))
        stop = max(stop, start + 1)
        yield batch.slice(start, stop - start)
        start = stop


# -- one batch, column by column ------------------------------------------------
#
# What used to be a Python loop over the features (a dict and a JSON text per
# feature) is done on whole Arrow columns; only the features a report lists
# (skipped, repaired, outside) and columns of unusual types are handled one
# value at a time, with the same functions as before (``_text``,
# ``normalize_code``, ``_jsonable``).


@dataclass
class _Batch:
    """The rows of one batch, ready for COPY (Arrow text arrays)."""

    names: pyarrow.Array
    codes: pyarrow.Array
    attributes: pyarrow.Array
    geometries: pyarrow.Array  # hex EWKB
    large: np.ndarray  # bool: stored subdivided as well
    z_count: int

    @property
    def count(self):
        return len(self.names)

    @property
    def large_count(self):
        return int(np.count_nonzero(self.large))


def _labels(column, n):
    """Feature names: text as cleaned, anything else through ``_text``."""
    if column is None:
        return pyarrow.array([""] * n, pyarrow.string())
    if _is_text(column):
        return pc.fill_null(column, "")
    return pyarrow.array([_text(v) for v in column.to_pylist()], pyarrow.string())


_DECIMAL_ZERO = r"^([+-]?[0-9]+)\.0+$"  # as boundaries.geometry.normalize_code


def _codes(column, n):
    """``normalize_code`` of each value: vectorised for text and integers."""
    if column is None:
        return pyarrow.array([""] * n, pyarrow.string())
    if _is_text(column):
        return pc.replace_substring_regex(
            pc.fill_null(column, ""), _DECIMAL_ZERO, r"\1"
        )
    if pyarrow.types.is_integer(column.type):
        return pc.fill_null(pc.cast(column, pyarrow.string()), "")
    return pyarrow.array(
        [normalize_code(v) for v in column.to_pylist()], pyarrow.string()
    )


def _json_values(column):
    """The JSON text of ``_jsonable`` of each value of ``column``."""
    kind = column.type
    if pyarrow.types.is_null(kind):
        return pyarrow.array(["null"] * len(column), pyarrow.string())
    if pyarrow.types.is_integer(kind):
        return pc.fill_null(pc.cast(column, pyarrow.string()), "null")
    if pyarrow.types.is_boolean(kind):
        return pc.fill_null(pc.if_else(column, "true", "false"), "null")
    if (
        _is_text(column)
        and not pc.any(pc.match_substring_regex(column, r"[\x00-\x1f]")).as_py()
    ):
        # Without control characters only the backslash and the quote need
        # escaping; other characters stand for themselves in JSON.
        text = pc.replace_substring(column, "\\", "\\\\")
        text = pc.replace_substring(text, '"', '\\"')
        return pc.fill_null(pc.binary_join_element_wise('"', text, '"', ""), "null")
    return pyarrow.array(
        [orjson.dumps(_jsonable(v)).decode() for v in column.to_pylist()],
        pyarrow.string(),
    )


def _attributes_json(values, attributes, n):
    """One JSON object per row: ``{attribute: value}`` as ``_jsonable`` gives it."""
    if not attributes:
        return pyarrow.array(["{}"] * n, pyarrow.string())
    parts = []
    for position, (key, field) in enumerate(attributes.items()):
        lead = "{" if position == 0 else ", "
        parts += [f"{lead}{orjson.dumps(key).decode()}: ", _json_values(values[field])]
    return pc.binary_join_element_wise(*parts, "}", "")


_HEX_DIGITS = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)


def _hex(wkb):
    """WKB bytes (an array of ``bytes``) as upper-case hex, an Arrow text array."""
    binary = pyarrow.array(wkb, pyarrow.binary())
    offsets = np.frombuffer(binary.buffers()[1], dtype=np.int32)
    offsets = offsets[binary.offset : binary.offset + len(binary) + 1]
    data = np.frombuffer(binary.buffers()[2], dtype=np.uint8)
    data = data[offsets[0] : offsets[-1]]
    if 2 * data.size > np.iinfo(np.int32).max:
        # Only a single feature of over 1 GB (pieces are cut smaller), more
        # than PostgreSQL stores in one value.
        raise ImportRefused("a feature of the file is too large to store (over 1 GB)")
    digits = np.empty(2 * data.size, dtype=np.uint8)
    digits[0::2] = _HEX_DIGITS[data >> 4]
    digits[1::2] = _HEX_DIGITS[data & 15]
    return pyarrow.StringArray.from_buffers(
        len(binary),
        pyarrow.py_buffer((2 * (offsets - offsets[0])).astype(np.int32)),
        pyarrow.py_buffer(digits),
    )


def _hex_ewkb(geometries, srid=STORAGE_SRID):
    """Hex EWKB of ``geometries`` with ``srid``, as an Arrow text array.

    Little-endian WKB has the type in bytes 1-4, its high byte last; EWKB
    sets the SRID flag (0x20) in that byte and puts the SRID after it.
    Splicing both into the hex text costs far less than giving each
    geometry its SRID first (``shapely.set_srid`` copies every geometry).
    """
    if not len(geometries):
        return pyarrow.array([], pyarrow.string())
    hexes = _hex(shapely.to_wkb(geometries, byte_order=1))
    if not pc.all(pc.equal(pc.utf8_slice_codeunits(hexes, 8, 10), "00")).as_py():
        # Flags already in the high byte (Z, M): let GEOS write it.
        with_srid = shapely.set_srid(geometries, srid)
        return _hex(shapely.to_wkb(with_srid, byte_order=1, include_srid=True))
    return pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(hexes, 0, 8),
        "20" + struct.pack("<I", srid).hex().upper(),
        pc.utf8_slice_codeunits(hexes, 10),
        "",
    )


_COPY_SPECIAL = r"[\\\t\n\r]"
_COPY_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))


def _copy_text(array):
    """Text as COPY's text format reads it: backslash, tab, newline, CR escaped."""
    if not pc.any(pc.match_substring_regex(array, _COPY_SPECIAL)).as_py():
        return array
    for plain, escaped in _COPY_ESCAPES:
        array = pc.replace_substring(array, plain, escaped)
    return array


def _copy_block(generation_id, batch):
    """The COPY text of a batch's rows, in one buffer."""
    lines = pc.binary_join_element_wise(
        str(generation_id),
        _copy_text(batch.names),
        _copy_text(batch.codes),
        _copy_text(batch.attributes),
        batch.geometries,
        pc.if_else(pyarrow.array(batch.large), "t\n", "f\n"),
        "\t",
    )
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
    offsets = offsets[lines.offset : lines.offset + len(lines) + 1]
    return memoryview(lines.buffers()[2])[offsets[0] : offsets[-1]]


class _CodeTally:
    """Whether two features of the stream may share a code, in 8 bytes each.

    Equal codes have equal hashes, so distinct hashes prove the codes
    distinct; a shared hash only means the exact check must look.
    """

    def __init__(self):
        self._hashes = []

    def add(self, codes):
        texts = pc.filter(codes, pc.not_equal(codes, "")).to_pylist()
        self._hashes.append(np.fromiter(map(hash, texts), np.int64, len(texts)))

    def may_repeat(self):
        if not self._hashes:
            return False
        hashes = np.sort(np.concatenate(self._hashes))
        return bool(np.any(hashes[1:] == hashes[:-1]))


def _prepare_batch(
    geometries,
    notes,
    values,
    mapping,
    kind,
    allowed,
    start,
    reproject,
    report,
    province,
):
    """The rows of one batch to store; the skipped and repaired are listed.

    ``notes`` are ``_decode``'s: features whose geometry GEOS could not
    build as read, by index in the batch.
    """
    name_field = mapping.get("name", "")
    code_field = mapping.get("code", "")
    attributes = mapping.get("attributes", {})
    n = len(geometries)

    empty = shapely.is_missing(geometries) | shapely.is_empty(geometries)
    has_z = shapely.has_z(geometries)
    if hasattr(shapely, "has_m"):
        has_z |= shapely.has_m(geometries)
    z_count = int(np.count_nonzero(has_z & ~empty))
    if z_count:
        geometries = shapely.force_2d(geometries)

    types = shapely.get_type_id(geometries)
    wrong = ~empty & ~np.isin(types, list(allowed))
    if wrong.any():
        at = int(np.argmax(wrong))
        found = TYPE_NAMES.get(int(types[at]), "geometry collection")
        raise ImportRefused(
            f"feature {start + at + 1} is a {geometries[at].geom_type} ({found}), but "
            f"the layer holds {kind} features; choose the right layer or file",
            found=found,
            expected=kind,
        )
    if reproject is not None:
        geometries = geometries.copy()
        geometries[~empty] = shapely.transform(geometries[~empty], reproject)

    labels = _labels(values.get(name_field), n)
    # Unbuildable geometries are None (so ``empty``) unless they were mended.
    broken = np.zeros(n, dtype=bool)
    mended = np.zeros(n, dtype=bool)
    for i, (geometry, _) in notes.items():
        (broken if geometry is None else mended)[i] = True
    keep = ~empty
    invalid = ~empty & ~shapely.is_valid(geometries)
    if kind == GeometryKind.POLYGON:
        # Polygons are stored as multipolygons (the invalid ones are repaired
        # into multipolygons below).
        single = ~empty & ~invalid & (types == 3)
        if single.any():
            geometries[single] = shapely.multipolygons(
                geometries[single], indices=np.arange(np.count_nonzero(single))
            )
    repair = repair_polygonal if kind == GeometryKind.POLYGON else repair_linear

    # Features listed one by one, in file order as the report shows them.
    for i in np.flatnonzero(empty | invalid | mended):
        number = start + int(i) + 1
        label = labels[int(i)].as_py()
        if broken[i]:
            report.skipped_count += 1
            _listed(
                report.skipped,
                {"feature": number, "name": label, "reason": notes[int(i)][1]},
            )
            continue
        if empty[i]:
            report.skipped_count += 1
            _listed(
                report.skipped,
                {
                    "feature": number,
                    "name": label,
                    "reason": (
                        "no geometry"
                        if geometries[i] is None
                        else "empty geometry: it has no coordinates"
                    ),
                    "attributes": {
                        c: _jsonable(values[c][int(i)].as_py()) for c in values
                    },
                },
            )
            continue
        reasons = [notes[int(i)][1]] if mended[i] else []
        if invalid[i]:
            geometry, reason = repair(geometries[i])
            reasons.append(reason)
            if geometry is None:
                keep[i] = False
                report.skipped_count += 1
                _listed(
                    report.skipped,
                    {"feature": number, "name": label, "reason": "; ".join(reasons)},
                )
                continue
            geometries[i] = geometry
        report.repaired_count += 1
        _listed(
            report.repaired,
            {"feature": number, "name": label, "reason": "; ".join(reasons)},
        )

    rows = np.flatnonzero(keep)
    if len(rows) < n:
        take = pyarrow.array(rows, pyarrow.int64())
        labels = labels.take(take)
        values = {field: column.take(take) for field, column in values.items()}
        geometries = geometries[rows]
    codes = _codes(values[code_field] if code_field else None, len(rows))
    _check_all_lengths(labels, codes, rows, start)
    attrs = _attributes_json(values, attributes, len(rows))

    if province is not None and len(geometries):
        outside = ~shapely.intersects(province, geometries)
        for at in np.flatnonzero(outside):
            report.outside_count += 1
            if len(report.outside) < LISTED_MAX:
                point = shapely.point_on_surface(geometries[at])
                report.outside.append((labels[int(at)].as_py(), point.x, point.y))
    return _Batch(
        names=labels,
        codes=codes,
        attributes=attrs,
        geometries=_hex_ewkb(geometries),
        large=shapely.get_num_coordinates(geometries) > SUBDIVIDE_MAX_VERTICES,
        z_count=z_count,
    )


def _check_all_lengths(labels, codes, rows, start):
    """Refuse the first feature whose name or code is too long to store."""
    too_long = pc.or_(
        pc.greater(pc.utf8_length(labels), NAME_MAX),
        pc.greater(pc.utf8_length(codes), CODE_MAX),
    )
    if pc.any(too_long).as_py():
        at = int(np.argmax(too_long.to_numpy(zero_copy_only=False)))
        _check_lengths(start + int(rows[at]) + 1, labels[at].as_py(), codes[at].as_py())


def _subdivide(generation_id):
    """Store the parts of the large features (see ``boundaries.models``)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO boundaries_featurepart (feature_id, generation_id, geometry)
            SELECT id, generation_id, ST_Subdivide(geometry, %(max)s)
            FROM boundaries_feature
            WHERE generation_id = %(g)s AND is_subdivided
            """,
            {"g": generation_id, "max": SUBDIVIDE_MAX_VERTICES},
        )


class _BatchCopier:
    """Runs one COPY per batch in a worker thread, at most AHEAD_BATCHES behind.

    The server parses and indexes a batch, and checks its foreign key at
    the end of its COPY, while the import prepares the next batches. (In a
    single COPY the foreign keys of all rows are checked at its end, after
    the last row arrived: a third of the server's work, done while the
    import only waits.) The queue is short so that memory does not follow
    the file's size when the server is the slower side.
    """

    def __init__(self, cursor, statement, ahead=AHEAD_BATCHES):
        self._cursor = cursor
        self._statement = statement
        self._blocks = queue.Queue(maxsize=ahead)
        self._worker = None
        self._error = None

    def _run(self):
        try:
            while (block := self._blocks.get()) is not None:
                with self._cursor.copy(self._statement) as copy:
                    copy.write(block)
        except BaseException as exc:  # raised again in the main thread
            self._error = exc
            # Keep taking blocks so that neither write() nor leaving the
            # block waits on a full queue.
            while self._blocks.get() is not None:
                pass

    def write(self, block):
        if self._worker is None:
            self._worker = threading.Thread(
                target=self._run, name="feature-copy", daemon=True
            )
            self._worker.start()
        if self._error is not None:
            raise self._error
        self._blocks.put(block)

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, traceback):
        if self._worker is not None:
            self._blocks.put(None)
            self._worker.join()
            self._worker = None
        if self._error is not None and exc is None:
            raise self._error
