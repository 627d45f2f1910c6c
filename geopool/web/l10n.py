"""Numbers and dates as staff read them, in the active language's format.

In Turkish a count is grouped with dots (``1.234``) and a date reads
``3 Aralık 2026 14:05``. These helpers are for text shown to people only:
numbers going into JavaScript or GeoJSON stay plain JSON numbers.
"""

from django.utils import formats, timezone

DATETIME_FORMAT = "j F Y H:i"


def count_text(value):
    """Return ``value`` grouped by thousands (Turkish: ``1.234``)."""
    return formats.number_format(value, decimal_pos=0, force_grouping=True)


def datetime_text(value):
    """Return ``value`` in local time, e.g. ``3 Aralık 2026 14:05``."""
    return formats.date_format(timezone.localtime(value), DATETIME_FORMAT)
