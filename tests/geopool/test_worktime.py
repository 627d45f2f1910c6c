"""Working time on the Turkish calendar (no database)."""

import datetime as dt

import pytest

from geopool.worktime import (
    ISTANBUL,
    WorkingCalendar,
    WorkingHours,
    parse_duration,
)

OFFICE = WorkingHours.parse("08:00-12:00,13:00-17:00")


def at(*args):
    return dt.datetime(*args, tzinfo=ISTANBUL)


def test_sixteen_working_hours_over_a_weekend():
    calendar = WorkingCalendar()
    assert calendar.add(at(2026, 10, 23, 16, 0), 16 * 60, OFFICE) == at(
        2026, 10, 27, 16, 0
    )


def test_sixteen_working_hours_over_the_republic_day_eve_and_holiday():
    calendar = WorkingCalendar()
    assert calendar.day_off(dt.date(2026, 10, 28)).half
    assert calendar.day_off(dt.date(2026, 10, 29)).name == "Cumhuriyet Bayramı"
    assert calendar.add(at(2026, 10, 27, 16, 0), 16 * 60, OFFICE) == at(
        2026, 11, 2, 11, 0
    )


def test_a_request_made_at_night_starts_counting_next_morning():
    calendar = WorkingCalendar()
    assert calendar.add(at(2026, 12, 1, 22, 30), 30, OFFICE) == at(2026, 12, 2, 8, 30)


def test_pack_adds_administrative_leave_and_corrects_a_library_date():
    calendar = WorkingCalendar.from_settings(
        {
            "days_off": [{"date": "2026-12-07", "name": "İdari izin"}],
            "working_days": ["2026-10-29"],
        }
    )
    assert calendar.day_off(dt.date(2026, 12, 7)).name == "İdari izin"
    assert calendar.day_off(dt.date(2026, 10, 29)) is None


def test_emergency_services_count_every_minute():
    calendar = WorkingCalendar()
    always = WorkingHours.parse("7/24")
    assert calendar.add(at(2026, 10, 28, 23, 0), 120, always) == at(2026, 10, 29, 1, 0)


def test_working_minutes_between_two_moments():
    calendar = WorkingCalendar()
    minutes = calendar.between(at(2026, 10, 23, 16, 0), at(2026, 10, 26, 9, 0), OFFICE)
    assert minutes == 120


def test_two_working_days_after_a_friday_afternoon():
    calendar = WorkingCalendar()
    assert calendar.working_days_after(at(2026, 12, 4, 15, 0), 2, OFFICE) == at(
        2026, 12, 8, 15, 0
    )


@pytest.mark.parametrize("text, minutes", [("90m", 90), ("4h", 240), ("3d", 1440)])
def test_durations(text, minutes):
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(
    "text, message",
    [
        ("08:00-07:00", "end before they start"),
        ("08:00-12:00,11:00-17:00", "overlap"),
        ("8-17", "is not a time"),
    ],
)
def test_bad_working_hours_say_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        WorkingHours.parse(text)
