"""Typed coordinates on staff pages: one parsing for every form.

Staff type degrees as Turkish writes numbers, with a decimal comma
(``36,2021``), or with a point; both are read. The fields come in the order
Turkish users say them, latitude then longitude ("enlem, boylam"), and a
refusal names the field and gives an example of that field, never the
other's. Machine-facing parameters (Open311, ``/api/``) keep refusing a
comma (``geopool.api.params``); the console's own JSON endpoint reads it
like the form it serves.
"""

import math

from django import forms
from django.utils.translation import gettext_lazy as _

from geopool.api.params import DECIMAL_DEGREES

DECIMAL = {"class": "form-control", "inputmode": "decimal", "autocomplete": "off"}
# Examples in central Antakya's latitude and longitude band are numbers, not
# places: any pair in range would do.
LAT_EXAMPLE, LON_EXAMPLE = "36.2021", "36.1603"

NOT_DEGREES = _(
    "“%(value)s” is not a number of degrees; write it like %(example)s (a "
    "decimal comma, %(comma)s, is fine too)."
)
OUT_OF_RANGE = _("%(name)s must lie between %(low)s and %(high)s degrees.")


def degrees_read(text):
    """``text`` as decimal degrees (a decimal comma or point), or ValueError."""
    text = (text or "").strip().replace(" ", "")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    if not DECIMAL_DEGREES.match(text):
        raise ValueError(text)
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


class CoordinateField(forms.Field):
    """Decimal degrees, with a decimal point or a decimal comma; optional."""

    widget = forms.TextInput(attrs=DECIMAL)

    def __init__(self, *, low, high, example, **kwargs):
        self.low, self.high, self.example = low, high, example
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        text = (value or "").strip()
        if not text:
            return None
        try:
            number = degrees_read(text)
        except ValueError:
            raise forms.ValidationError(
                NOT_DEGREES,
                code="invalid",
                params={
                    "value": text,
                    "example": self.example,
                    "comma": self.example.replace(".", ","),
                },
            ) from None
        if not self.low <= number <= self.high:
            raise forms.ValidationError(
                OUT_OF_RANGE,
                code="range",
                params={"name": self.label, "low": self.low, "high": self.high},
            )
        return number


def latitude_field(label=None, **kwargs):
    return CoordinateField(
        low=-90,
        high=90,
        example=LAT_EXAMPLE,
        label=label or _("Latitude (°N)"),
        **kwargs,
    )


def longitude_field(label=None, **kwargs):
    return CoordinateField(
        low=-180,
        high=180,
        example=LON_EXAMPLE,
        label=label or _("Longitude (°E)"),
        **kwargs,
    )
