"""Geometry helpers shared by import and lookup."""

import math
import re

import shapely
from shapely.geometry import MultiPolygon, Polygon


def repair_polygonal(geometry):
    """Return ``(multipolygon, reason)``: ``geometry`` made valid, polygons only.

    ``reason`` is None for a geometry that was valid already, else the GEOS
    explanation of what was wrong (e.g. ``"Self-intersection[1 1]"``). Lines
    and points that ``make_valid`` produces from a collapsed ring are
    dropped; an area that vanishes entirely gives ``(None, reason)``.

    >>> bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    >>> fixed, reason = repair_polygonal(bowtie)
    >>> reason, fixed.geom_type, len(fixed.geoms), round(fixed.area, 3)
    ('Self-intersection[1 1]', 'MultiPolygon', 2, 2.0)
    """
    reason = None
    if not geometry.is_valid:
        reason = shapely.is_valid_reason(geometry)
        geometry = shapely.make_valid(geometry)
    polygons = _polygons_of(geometry)
    if not polygons:
        return None, reason or "no area"
    return MultiPolygon(polygons), reason


def _polygons_of(geometry):
    if isinstance(geometry, Polygon):
        return [geometry] if not geometry.is_empty else []
    if isinstance(geometry, MultiPolygon):
        return [p for p in geometry.geoms if not p.is_empty]
    if hasattr(geometry, "geoms"):
        return [p for g in geometry.geoms for p in _polygons_of(g)]
    return []


_DECIMAL_ZERO = re.compile(r"^[+-]?[0-9]+\.0+$")
# Beyond this a float no longer holds every integer exactly.
_EXACT_FLOAT = 2**53


def normalize_code(value):
    """Return an official code as text in one normal form.

    DBF and spreadsheet sources turn codes into numbers: the number ``1131.0``
    and the text ``"1131.0"`` are the code ``"1131"``. Text codes are kept as
    they are (trimmed): ``"01"`` and ``"0031"`` keep their leading zeros.

    >>> normalize_code(1131.0), normalize_code("1131.0"), normalize_code(" 31-A ")
    ('1131', '1131', '31-A')
    >>> normalize_code("0031"), normalize_code(7), normalize_code(None)
    ('0031', '7', '')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < _EXACT_FLOAT:
            return str(int(value))
        return repr(value)
    text = str(value).replace("\x00", "").strip()
    if _DECIMAL_ZERO.match(text):
        return text.split(".", 1)[0]
    return text
