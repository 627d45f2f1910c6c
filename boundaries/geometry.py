"""Geometry helpers shared by import and lookup."""

import math
import re

import shapely
from shapely.errors import GEOSException
from shapely.geometry import MultiLineString, MultiPolygon, Polygon

# GEOS's validity reasons that no repair can mend.
_NO_NUMBER = "Invalid Coordinate"
_TOO_FEW = "Too few points"


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
        if reason.startswith(_NO_NUMBER):
            return None, _no_number(reason)
        try:
            geometry = shapely.make_valid(geometry)
        except GEOSException as exc:
            return None, f"{reason}; it cannot be repaired ({exc})"
    polygons = _polygons_of(geometry)
    if not polygons:
        if reason and reason.startswith(_TOO_FEW):
            reason = (
                "a ring has too few distinct points to enclose an area (at "
                f"{_where(reason)})"
            )
        return None, reason or "no area"
    return MultiPolygon(polygons), reason


def repair_linear(geometry):
    """Return ``(geometry, reason)`` for an invalid line or point.

    A vertex without a number (NaN, infinity) cannot be placed: the feature
    gives ``(None, reason)``. So does a line of zero length (all its points
    the same), which no road or pipe is; a multi-line keeps its parts of
    some length.

    >>> from shapely.geometry import LineString
    >>> fixed, reason = repair_linear(LineString([(1, 2), (1, 2)]))
    >>> fixed, reason[:47]
    (None, 'the line has zero length: all its points are at')
    >>> fixed, reason = repair_linear(
    ...     MultiLineString([[(0, 0), (1, 1)], [(5, 5), (5, 5)]])
    ... )
    >>> fixed.wkt, reason
    ('MULTILINESTRING ((0 0, 1 1))', '1 part of zero length dropped (at 5 5)')
    """
    reason = shapely.is_valid_reason(geometry)
    if reason.startswith(_NO_NUMBER):
        return None, _no_number(reason)
    where = _where(reason)
    if isinstance(geometry, MultiLineString) and reason.startswith(_TOO_FEW):
        parts = [p for p in geometry.geoms if p.is_valid]
        dropped = len(geometry.geoms) - len(parts)
        if parts:
            s = "" if dropped == 1 else "s"
            return MultiLineString(parts), (
                f"{dropped} part{s} of zero length dropped (at {where})"
            )
    if reason.startswith(_TOO_FEW):
        return None, (
            f"the line has zero length: all its points are at {where}; a line "
            "needs two distinct points"
        )
    return None, reason


def _where(reason):
    """The place in a GEOS validity reason: ``"x y"`` of ``"...[x y]"``."""
    return reason.partition("[")[2].rstrip("]") or "?"


def _no_number(reason):
    return (
        f"a vertex has no number for a coordinate (NaN or infinite: {_where(reason)})"
        "; the feature cannot be placed"
    )


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
