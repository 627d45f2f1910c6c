"""Parsing query and form parameters with messages that name the field."""

import math


class ParameterError(ValueError):
    def __init__(self, field, message):
        self.field = field
        super().__init__(message)


def coordinate(params, name, low, high, required=True):
    """Read a decimal-degree coordinate ``name`` from ``params``.

    A decimal comma (``36,2``) is refused with a hint rather than read as
    something else; so are ``NaN``, infinities and values out of range.
    """
    raw = (params.get(name) or "").strip()
    if not raw:
        if required:
            raise ParameterError(name, f"{name} is required (decimal degrees, WGS 84)")
        return None
    if "," in raw:
        raise ParameterError(
            name,
            f"{name}={raw!r} uses a decimal comma; write decimal degrees with a "
            f"point, e.g. {raw.replace(',', '.')}",
        )
    try:
        value = float(raw)
    except ValueError:
        raise ParameterError(
            name, f"{name}={raw!r} is not a number; expected decimal degrees"
        ) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise ParameterError(
            name, f"{name}={raw!r} is out of range; expected {low} to {high}"
        )
    return value
