"""Parsing query and form parameters with messages that name the field."""

import math
import re

# ASCII decimal degrees only: float() would also take "٣٦.٢", "３６.２" and
# "3_6.2", which no client means to send.
_DECIMAL = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
# What people type (no exponent): 36.2021, -0.5, 36.
DECIMAL_DEGREES = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")


class ParameterError(ValueError):
    def __init__(self, field, message):
        self.field = field
        super().__init__(message)


def coordinate(params, name, low, high, required=True, decimal_comma=False):
    """Read a decimal-degree coordinate ``name`` from ``params``.

    A decimal comma (``36,2``) is refused with a hint rather than read as
    something else, unless ``decimal_comma`` (endpoints behind a staff form,
    where people type Turkish numbers) reads one comma as the point; ``NaN``,
    infinities and values out of range are refused.
    """
    values = params.getlist(name) if hasattr(params, "getlist") else [params.get(name)]
    if len(values) > 1:
        raise ParameterError(name, f"{name} is given {len(values)} times; give it once")
    raw = (values[0] if values else "") or ""
    raw = raw.strip()
    if not raw:
        if required:
            raise ParameterError(name, f"{name} is required (decimal degrees, WGS 84)")
        return None
    if decimal_comma and raw.count(",") == 1 and "." not in raw:
        raw = raw.replace(",", ".")
    if "," in raw:
        raise ParameterError(
            name,
            f"{name}={shorten(raw)!r} uses a decimal comma; write decimal degrees "
            f"with a point, e.g. {shorten(raw).replace(',', '.')}",
        )
    if not _DECIMAL.match(raw):
        raise ParameterError(
            name, f"{name}={shorten(raw)!r} is not a number; expected decimal degrees"
        )
    value = float(raw)
    if not math.isfinite(value) or not low <= value <= high:
        raise ParameterError(
            name, f"{name}={shorten(raw)!r} is out of range; expected {low} to {high}"
        )
    return value


_INTEGER = re.compile(r"^[+-]?[0-9]+$")
# No parameter needs more characters than this to say a number; a longer one
# is refused before Python converts it (int() refuses over 4,300 digits).
MAX_NUMBER_LENGTH = 40
SHOWN_LENGTH = 40


def shorten(raw, length=SHOWN_LENGTH):
    """``raw`` as echoed in a message: cut to ``length`` characters."""
    return raw if len(raw) <= length else raw[:length] + "…"


def number(params, name, low, high, default=None, integer=False):
    """Read a plain number ``name`` from ``params`` (``default`` when absent).

    ``integer`` refuses decimals. Out-of-range values, decimal commas and
    anything that is not a number are refused with the range expected.
    """
    values = params.getlist(name) if hasattr(params, "getlist") else [params.get(name)]
    if len(values) > 1:
        raise ParameterError(name, f"{name} is given {len(values)} times; give it once")
    raw = ((values[0] if values else "") or "").strip()
    shown = shorten(raw)
    kind = "a whole number" if integer else "a number"
    expected = f"expected {kind} from {low} to {high}"
    if not raw:
        if default is None:
            raise ParameterError(name, f"{name} is required; {expected}")
        return default
    if "," in raw and not integer:
        raise ParameterError(
            name,
            f"{name}={shown!r} uses a decimal comma; write it with a point, e.g. "
            f"{shown.replace(',', '.')}",
        )
    if len(raw) > MAX_NUMBER_LENGTH or not (_INTEGER if integer else _DECIMAL).match(
        raw
    ):
        raise ParameterError(name, f"{name}={shown!r} is not {kind}; {expected}")
    value = int(raw) if integer else float(raw)
    if not math.isfinite(value) or not low <= value <= high:
        raise ParameterError(name, f"{name}={shown!r} is out of range; {expected}")
    return value
