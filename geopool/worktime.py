"""Working time on a Turkish calendar: SLA clocks count only working hours.

A ``WorkingCalendar`` knows which days are off: weekends, the public and
religious holidays of the ``holidays`` library (whose religious dates are
estimates made years ahead) with their half-day eves (arife: off from
13:00), plus the days the jurisdiction pack adds (administrative leave,
announced each year) or corrects (a library date that turned out wrong).
``WorkingHours`` says when a body works on a working day: ``08:00-12:00,
13:00-17:00`` for most offices, ``7/24`` for emergency services (which count
every minute, holidays included).

All times are Europe/Istanbul; aware datetimes in any zone are accepted.

Example: an SLA of 16 working hours for a request made on Friday
2026-10-23 at 16:00 in an office working 08:00-12:00, 13:00-17:00: one hour
that Friday, 8 on Monday the 26th, 7 on Tuesday the 27th ends at 16:00 on
the 27th. Made on Tuesday 2026-10-27 at 16:00 instead, it gets one hour
that day, four on the Republic Day eve (the 28th, off from 13:00), none on
the holiday (the 29th), eight on Friday the 30th and ends on Monday
2 November at 11:00.
"""

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

ISTANBUL = ZoneInfo("Europe/Istanbul")
ALWAYS = "7/24"


def _clock(text):
    try:
        hours, minutes = text.strip().split(":")
        return dt.time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"{text!r} is not a time; write it as HH:MM") from None


@dataclass(frozen=True)
class WorkingHours:
    """When a body works on a working day (a tuple of (start, end) times)."""

    spans: tuple = ()
    always: bool = False

    @classmethod
    def parse(cls, text):
        """``"08:00-12:00,13:00-17:00"`` or ``"7/24"``."""
        text = (text or "").strip()
        if text == ALWAYS:
            return cls(always=True)
        spans = []
        for part in text.split(","):
            start, _, end = part.partition("-")
            begin, finish = _clock(start), _clock(end)
            if finish <= begin:
                raise ValueError(f"working hours {part!r} end before they start")
            spans.append((begin, finish))
        spans.sort()
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            if start < end:
                raise ValueError(f"working hours {text!r} overlap")
        return cls(spans=tuple(spans))

    def __str__(self):
        if self.always:
            return ALWAYS
        return ",".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in self.spans)


@dataclass(frozen=True)
class DayOff:
    name: str
    half: bool = False  # off from the calendar's half-day hour only


@dataclass
class WorkingCalendar:
    country: str = "TR"
    half_day_from: dt.time = dt.time(13, 0)
    # Days the pack adds (administrative leave) or corrects: date -> DayOff
    days_off: dict = field(default_factory=dict)
    # Days the library marks off that are working days after all
    working_days: frozenset = frozenset()

    @classmethod
    def from_settings(cls, settings):
        """The calendar a pack's ``calendar`` settings describe."""
        spec = settings or {}
        return cls(
            country=spec.get("country", "TR"),
            half_day_from=_clock(spec.get("half_day_from", "13:00")),
            days_off={
                dt.date.fromisoformat(d["date"]): DayOff(
                    d["name"], d.get("half", False)
                )
                for d in spec.get("days_off", [])
            },
            working_days=frozenset(
                dt.date.fromisoformat(d) for d in spec.get("working_days", [])
            ),
        )

    def day_off(self, day):
        """The DayOff of ``day`` (a weekend, holiday or eve), or None."""
        if day in self.days_off:
            return self.days_off[day]
        if day in self.working_days:
            return None
        public, half = _holidays(self.country, day.year)
        if day in public:
            return DayOff(public[day])
        if day.weekday() >= 5:
            return DayOff("Hafta sonu")
        if day in half:
            return DayOff(half[day], half=True)
        return None

    def spans(self, day, hours):
        """Working intervals of ``day`` as aware datetimes (Europe/Istanbul)."""
        if hours.always:
            start = dt.datetime.combine(day, dt.time(0), ISTANBUL)
            return [(start, start + dt.timedelta(days=1))]
        off = self.day_off(day)
        if off is not None and not off.half:
            return []
        result = []
        for begin, finish in hours.spans:
            if off is not None:
                finish = min(finish, self.half_day_from)
                if finish <= begin:
                    continue
            result.append(
                (
                    dt.datetime.combine(day, begin, ISTANBUL),
                    dt.datetime.combine(day, finish, ISTANBUL),
                )
            )
        return result

    def add(self, start, minutes, hours, max_days=3660):
        """The moment ``minutes`` working minutes after ``start``."""
        start = start.astimezone(ISTANBUL)
        remaining = dt.timedelta(minutes=minutes)
        day = start.date()
        for _ in range(max_days):
            for begin, finish in self.spans(day, hours):
                begin = max(begin, start)
                if finish <= begin:
                    continue
                if finish - begin >= remaining:
                    return begin + remaining
                remaining -= finish - begin
            day += dt.timedelta(days=1)
        raise ValueError(f"no working time within {max_days} days of {start}")

    def between(self, start, end, hours):
        """Working minutes between two moments (0 if ``end`` is not later)."""
        start, end = start.astimezone(ISTANBUL), end.astimezone(ISTANBUL)
        if end <= start:
            return 0.0
        total = dt.timedelta()
        day = start.date()
        while day <= end.date():
            for begin, finish in self.spans(day, hours):
                begin, finish = max(begin, start), min(finish, end)
                if finish > begin:
                    total += finish - begin
            day += dt.timedelta(days=1)
        return total.total_seconds() / 60

    def working_days_after(self, start, days, hours):
        """The same clock time ``days`` working days after ``start``.

        Used for deadlines stated in working days (a transfer proposal left
        unanswered for 2 working days escalates).
        """
        start = start.astimezone(ISTANBUL)
        day = start.date()
        counted = 0
        while counted < days:
            day += dt.timedelta(days=1)
            if hours.always or self.day_off(day) is None:
                counted += 1
        return dt.datetime.combine(day, start.time(), ISTANBUL)


@lru_cache(maxsize=64)
def _holidays(country, year):
    """(full days off, half days) of ``year``, names in the country's language."""

    def listed(category):
        return holidays.country_holidays(
            country, years=year, categories=(category,), language="tr"
        )

    return listed("public"), listed("half_day")


def parse_duration(text):
    """Working minutes of ``"4h"``, ``"3d"`` (working days of 8 hours), ``"90m"``."""
    text = (text or "").strip().lower()
    units = {"m": 1, "h": 60, "d": 8 * 60}
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit():
        raise ValueError(
            f"{text!r} is not a duration; write e.g. 90m, 4h or 3d (working days)"
        )
    return int(text[:-1]) * units[text[-1]]
