"""Streaming a source into a generation: read, reproject, repair, COPY.

Features are read in Arrow batches (pyogrio), so memory stays flat however
large the file is; each batch is reprojected once to the storage SRID with
x = easting/longitude whatever the axis order of the source CRS
(``always_xy``), checked and repaired with vectorised shapely calls, and
written with PostgreSQL's COPY. Subdivided parts for lookups are built in
SQL after the load (PERFORMANCE.md: COPY ~200k rows/s against ~4k for the
ORM; LayerMapping is not the path for large layers).
"""

import logging
import unicodedata

import numpy as np
import orjson
import pyarrow
import pyarrow.compute as pc
from django.db import connection
from psycopg.copy import QueuedLibpqWriter
from tqdm import tqdm

import pyogrio
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import MultiPolygon

from boundaries.errors import ImportRefused
from boundaries.geometry import normalize_code, repair_polygonal
from boundaries.models import GeometryKind
from geopool.spatial import STORAGE_SRID, SUBDIVIDE_MAX_VERTICES

logger = logging.getLogger(__name__)

BATCH_SIZE = 10_000
# shapely type ids: 0 Point, 1 LineString, 3 Polygon, 4 MultiPoint,
# 5 MultiLineString, 6 MultiPolygon.
KIND_TYPE_IDS = {
    GeometryKind.POINT: {0, 4},
    GeometryKind.LINE: {1, 5},
    GeometryKind.POLYGON: {3, 6},
}
TYPE_NAMES = {0: "point", 1: "line", 3: "polygon", 4: "point", 5: "line", 6: "polygon"}
LISTED_MAX = 200  # repaired/skipped features listed one by one in a report


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
    """
    name_field = mapping.get("name", "")
    code_field = mapping.get("code", "")
    attributes = mapping.get("attributes", {})
    columns = sorted({name_field, code_field, *attributes.values()} - {""})
    reproject = _reprojector(crs)
    allowed = KIND_TYPE_IDS[kind]
    written = z_dropped = 0
    index = 0

    bar = tqdm(
        total=source.feature_count or None,
        desc=f"import {source.path.name}",
        unit="feat",
        disable=not progress,
    )
    with (
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
        # The queued writer sends each block from a worker thread, so the
        # server parses and indexes one batch while Python prepares the next.
        with wrapper.cursor.copy(
            "COPY boundaries_feature "
            "(generation_id, name, code, attributes, geometry, is_subdivided) "
            "FROM STDIN",
            writer=QueuedLibpqWriter(wrapper.cursor),
        ) as copy:
            for values, geometries in _batches(reader, source, columns, geometry_name):
                rows, z = _prepare_batch(
                    geometries,
                    values,
                    mapping,
                    kind,
                    allowed,
                    index,
                    reproject,
                    report,
                    province,
                )
                z_dropped += z
                for name, code, attrs, geometry, large in rows:
                    copy.write_row((generation_id, name, code, attrs, geometry, large))
                written += len(rows)
                index += len(geometries)
                bar.update(len(geometries))
    bar.close()
    if z_dropped:
        report.warnings.append(
            f"{z_dropped} features had Z or M values; they were dropped (geopool "
            "stores 2D geometries)"
        )
    _subdivide(generation_id)
    return written


def _column_values(column):
    """A batch column as Python values, text cleaned in one vectorised pass.

    Text is NFC-normalised, stripped of NUL (PostgreSQL text cannot hold it)
    and trimmed; a text code like "1131.0" loses its ".0" as
    ``normalize_code`` would do.
    """
    if pyarrow.types.is_string(column.type) or pyarrow.types.is_large_string(
        column.type
    ):
        column = pc.utf8_normalize(column, "NFC")
        column = pc.replace_substring(column, "\x00", "")
        column = pc.utf8_trim_whitespace(column)
    return column.to_pylist()


def _batches(reader, source, columns, geometry_name):
    """Yield ``(values by column, geometries)`` a batch at a time.

    Reading and decoding failures become a clear refusal.
    """
    try:
        for batch in reader:
            values = {c: _column_values(batch.column(c)) for c in columns}
            wkb = batch.column(geometry_name).to_numpy(zero_copy_only=False)
            yield values, shapely.from_wkb(wkb)
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


def _prepare_batch(
    geometries, values, mapping, kind, allowed, start, reproject, report, province
):
    name_field = mapping.get("name", "")
    code_field = mapping.get("code", "")
    attributes = mapping.get("attributes", {})

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

    if kind == GeometryKind.POLYGON:
        invalid = ~empty & ~shapely.is_valid(geometries)
    else:
        invalid = np.zeros(len(geometries), dtype=bool)

    rows, kept = [], []
    for i, geometry in enumerate(geometries):
        number = start + i + 1
        label = values[name_field][i] if name_field else ""
        if not isinstance(label, str):
            label = _text(label)
        if empty[i]:
            report.skipped_count += 1
            _listed(
                report.skipped,
                {
                    "feature": number,
                    "name": label,
                    "reason": "no geometry" if geometry is None else "empty geometry",
                    "attributes": {c: _jsonable(values[c][i]) for c in values},
                },
            )
            continue
        if kind == GeometryKind.POLYGON:
            if invalid[i]:
                geometry, reason = repair_polygonal(geometry)
                if geometry is None:
                    report.skipped_count += 1
                    _listed(
                        report.skipped,
                        {"feature": number, "name": label, "reason": reason},
                    )
                    continue
                report.repaired_count += 1
                _listed(
                    report.repaired,
                    {"feature": number, "name": label, "reason": reason},
                )
            elif types[i] == 3:
                geometry = MultiPolygon([geometry])
        attrs = {key: _jsonable(values[field][i]) for key, field in attributes.items()}
        code = normalize_code(values[code_field][i]) if code_field else ""
        _check_lengths(number, label, code)
        rows.append((label, code, orjson.dumps(attrs).decode()))
        kept.append(geometry)

    kept = shapely.set_srid(np.array(kept, dtype=object), STORAGE_SRID)
    if province is not None and len(kept):
        outside = ~shapely.intersects(province, kept)
        for at in np.flatnonzero(outside):
            report.outside_count += 1
            if len(report.outside) < LISTED_MAX:
                point = shapely.point_on_surface(kept[at])
                report.outside.append((rows[at][0], point.x, point.y))
    hexes = shapely.to_wkb(kept, hex=True, include_srid=True)
    large = shapely.get_num_coordinates(kept) > SUBDIVIDE_MAX_VERTICES
    return [
        (*row, wkb, bool(big)) for row, wkb, big in zip(rows, hexes, large, strict=True)
    ], z_count


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
