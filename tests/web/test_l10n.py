"""Counts and dates in the active language's format."""

from datetime import UTC, datetime

from django.utils import translation

from geopool.web.l10n import count_text, datetime_text


def test_counts_are_grouped_with_dots_in_turkish():
    with translation.override("tr"):
        assert [count_text(n) for n in (0, 999, 1234, 1234567)] == [
            "0",
            "999",
            "1.234",
            "1.234.567",
        ]


def test_dates_read_day_month_name_year_in_local_time():
    moment = datetime(2026, 12, 3, 11, 5, tzinfo=UTC)

    with translation.override("tr"):
        assert datetime_text(moment) == "3 Aralık 2026 14:05"
    with translation.override("en"):
        assert datetime_text(moment) == "3 December 2026 14:05"
