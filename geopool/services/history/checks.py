"""Checking a chunk of history rows, column by column.

Each check runs over a whole column of the chunk; the common case (every
value fine) costs one pass in C where it can (numbers through numpy, text
through one joined string), and only values that fail are looked at one by
one to say why. A row may fail several checks: its reasons are joined with
"; ".

Decisions on what is accepted:

- ``status``: Open311's ``open`` (stored as ``assigned``: the recorded owner
  had it) and ``closed``, or any of geopool's statuses (``resolved``,
  ``refused`` ...), in any case.
- ``closed_datetime``: may be empty (old systems often lack it), also for
  a closed status; it may not be given for an open status (except
  ``reopened``, which was closed once), nor fall before the request.
- ``lat`` and ``long``: decimal degrees with a point, both given or both
  empty (a request without a location); messages as the API gives them.
- Text: no column may hold a character stored text may not hold (NUL and
  the other control characters, U+FFFE, U+FFFF), as Open311 and the web
  forms refuse; ``description`` and ``address_string`` may hold tabs and
  line breaks, every other column is one line.
- Times: ISO 8601 (``2015-01-15 12:00``, ``2015-01-15T12:00:00+02:00``); a
  time without an offset is wall-clock time in the jurisdiction's zone
  (``settings.TIME_ZONE``) through zoneinfo, so daylight saving as observed
  then applies. No time may lie in the future.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from geopool.api.params import ParameterError, coordinate
from geopool.models import Status
from geopool.services.history.errors import (
    CONTROL_CHARACTER,
    DUPLICATE,
    LINE_BREAK,
    NOT_A_CHARACTER,
    NUL_CHARACTER,
    TABS_KEPT,
)
from geopool.text import unfit_character

OPEN311_STATUSES = {"open": Status.ASSIGNED, "closed": Status.CLOSED}
STATUS_WORDS = {**{s.value: s.value for s in Status}, **OPEN311_STATUSES}
MAX_EXTERNAL_ID = 100
MAX_ADDRESS = 500
TIME_EXAMPLE = "2015-01-15 12:00 or 2015-01-15T12:00:00+02:00"
_PLAIN_NUMBERS = re.compile(r"[0-9.eE+-]*")
_LIMITS = {"lat": 90.0, "long": 180.0}
# Lengths of "2015-01-15 12:00" and "2015-01-15 12:00:00".
_PLAIN_TIME = {16, 19}
# The columns of free text, which keep their tabs and line breaks.
MULTILINE = {"description", "address_string"}


@dataclass
class Lookups:
    """What the rows are checked against, read once per import."""

    categories: dict  # code -> (category id, is_emergency)
    bodies: dict  # code -> body id
    zone: object  # zoneinfo.ZoneInfo of naive times
    now: datetime  # aware; nothing may happen later

    def __post_init__(self):
        self.now_utc = self.now.astimezone(UTC).replace(tzinfo=None)
        self.offsets = {}  # UTC offset -> its text
        # "2015-01-15" -> the UTC offset of that whole wall-clock day, or
        # False where the clocks changed on it (_day_offset).
        self.days = {}
        self.known_categories = ", ".join(sorted(self.categories))
        self.known_bodies = ", ".join(sorted(self.bodies))
        self.known_statuses = (
            "open, closed (Open311) or one of geopool's: "
            + ", ".join(s.value for s in Status)
        )


@dataclass
class Checked:
    """The good rows of a chunk, column by column, and the bad ones."""

    lines: list
    columns: dict = field(default_factory=dict)
    lon: np.ndarray | None = None
    lat: np.ndarray | None = None
    bad: list = field(default_factory=list)  # [(line, reason)]

    def __len__(self):
        return len(self.lines)

    def subset(self, keep):
        """The good rows at the positions ``keep``, in that order."""
        return Checked(
            lines=[self.lines[i] for i in keep],
            columns={k: [v[i] for i in keep] for k, v in self.columns.items()},
            lon=self.lon[keep],
            lat=self.lat[keep],
            bad=self.bad,
        )


class _Problems(dict):
    def add(self, i, reason):
        self.setdefault(i, []).append(reason)


def chunk_check(rows, lines, positions, lookups):
    """Check one chunk; return ``Checked`` with the rows that passed."""
    n = len(rows)
    if not n:
        return Checked(lines=[], lon=np.empty(0), lat=np.empty(0))
    # Every row has the header's width (reading.records).
    columns = list(zip(*rows, strict=True))
    text = {name: columns[i] for name, i in positions.items()}
    address = text.get("address_string") or ("",) * n
    problems = _Problems()

    _characters(text, problems)
    categories, service_codes = _lookup(
        text["service_code"],
        lookups.categories,
        "service_code",
        f"known: {lookups.known_categories}",
        problems,
    )
    lon, lat = _coordinates(text["lat"], text["long"], problems)
    statuses, _ = _lookup(
        text["status"],
        STATUS_WORDS,
        "status",
        f"expected {lookups.known_statuses}",
        problems,
        fold=str.lower,
    )
    owners, owner_codes = _lookup(
        text["recorded_owner"],
        lookups.bodies,
        "recorded_owner",
        f"known: {lookups.known_bodies}",
        problems,
    )
    requested = _moments(text["requested_datetime"], "requested_datetime", lookups)
    closed = _moments(text["closed_datetime"], "closed_datetime", lookups)
    _times(requested, closed, statuses, text["status"], problems)
    _external_ids(text["external_id"], lines, problems)
    _text(address, "address_string", MAX_ADDRESS, problems)

    checked = Checked(
        lines=lines,
        columns={
            "category": categories,
            "service_code": service_codes,
            "status": statuses,
            "owner": owners,
            "owner_code": owner_codes,
            "requested": [text for _, text in requested],
            "closed": [text if utc else None for utc, text in closed],
            "description": text["description"],
            "address": address,
            "external_id": [v.strip() for v in text["external_id"]],
        },
        lon=lon,
        lat=lat,
        bad=[(lines[i], "; ".join(r)) for i, r in sorted(problems.items())],
    )
    if problems:
        checked = checked.subset([i for i in range(n) if i not in problems])
    return checked


def _lookup(values, table, name, known, problems, fold=None):
    """Look each value up in ``table``; a miss is tried stripped (and folded).

    Returns what was found for each value and the keys that matched.
    """
    out = [table.get(v) for v in values]
    keys = values
    for i, found in enumerate(out):
        if found is not None:
            continue
        value = values[i].strip()
        key = fold(value) if fold else value
        found = out[i] = table.get(key)
        if found is None:
            problems.add(
                i, f"unknown {name} {value!r}; {known}" if value else f"{name} is empty"
            )
            continue
        if keys is values:
            keys = list(values)
        keys[i] = key
    return out, keys


def _coordinates(lat_text, lon_text, problems):
    """Both coordinates as float arrays (NaN where a row has no location)."""
    lat = _degrees(lat_text, "lat", problems)
    lon = _degrees(lon_text, "long", problems)
    lat_empty = np.isnan(lat) & np.array([not v for v in lat_text], dtype=bool)
    lon_empty = np.isnan(lon) & np.array([not v for v in lon_text], dtype=bool)
    for i in np.flatnonzero(lat_empty != lon_empty).tolist():
        given, empty = ("long", "lat") if lat_empty[i] else ("lat", "long")
        problems.add(i, f"{empty} is empty but {given} is given; give both or neither")
    return lon, lat


def _degrees(texts, name, problems):
    """Parse decimal degrees; NaN for empty and for refused values."""
    limit = _LIMITS[name]
    values = None
    if _PLAIN_NUMBERS.fullmatch("".join(texts)):
        try:
            values = np.array([t or "nan" for t in texts], dtype=np.float64)
        except ValueError:
            values = None
    if values is not None:
        with np.errstate(invalid="ignore"):
            fine = np.isnan(values) | (np.abs(values) <= limit)
        if fine.all():
            return values
        slow = np.flatnonzero(~fine).tolist()
    else:
        values = np.full(len(texts), np.nan)
        slow = range(len(texts))
    for i in slow:
        try:
            value = coordinate({name: texts[i]}, name, -limit, limit, required=False)
        except ParameterError as exc:
            problems.add(i, str(exc) + _swap_hint(name, texts, i))
            value = None
        values[i] = np.nan if value is None else value
    return values


def _swap_hint(name, texts, i):
    if name != "lat":
        return ""
    try:
        value = float(texts[i])
    except ValueError:
        return ""
    return " (are lat and long swapped?)" if 90 < abs(value) <= 180 else ""


def _moments(texts, name, lookups):
    """[(UTC time, COPY text) or (None, problem)] for one time column.

    Naive times get the zone's offset on that day (zoneinfo; an hour that
    occurs twice when clocks go back is read as the first). The COPY text is
    the wall-clock time with its offset, so PostgreSQL stores that instant.
    """
    zone, now, offsets = lookups.zone, lookups.now_utc, lookups.offsets
    days = lookups.days
    parse = datetime.fromisoformat
    out = []
    for value in texts:
        if not value:
            out.append((None, None))
            continue
        try:
            moment = parse(value)
        except ValueError:
            try:
                moment = parse(value.strip())
            except ValueError:
                out.append(
                    (
                        None,
                        f"{name}={value!r} is not a date and time; "
                        f"expected ISO 8601, e.g. {TIME_EXAMPLE}",
                    )
                )
                continue
        # "2015-01-15 12:00[:00]" has no fraction: most times need no search.
        digits = len(value) not in _PLAIN_TIME and _FRACTION.search(value)
        if digits and len(digits.group(1)) > 6:
            out.append(
                (
                    None,
                    f"{name} {value.strip()} has {len(digits.group(1))} digits "
                    "after the seconds; at most 6 (microseconds) are stored, "
                    "e.g. 2015-01-15 12:00:00.123456",
                )
            )
            continue
        if moment.tzinfo is not None and moment.utcoffset().microseconds:
            out.append(
                (
                    None,
                    f"{name} {value.strip()} has a UTC offset with a fraction of "
                    "a second; write the offset in whole seconds, e.g. +03:00",
                )
            )
            continue
        # Before any offset is applied: near year 1 or 9999 the arithmetic
        # would leave the dates Python can hold.
        if not MIN_YEAR <= moment.year <= now.year:
            out.append(
                (
                    None,
                    f"{name} {value.strip()} is out of range; expected a year "
                    f"from {MIN_YEAR} to now",
                )
            )
            continue
        uniform = False
        if moment.tzinfo is None:
            # "2015-01-15 12:00[:00]" is read by PostgreSQL as it is.
            plain = (
                len(value) in _PLAIN_TIME
                and value[4] == value[7] == "-"
                and value[10] in " T"
            )
            if plain:
                uniform = days.get(value[:10])
                if uniform is None:
                    uniform = days[value[:10]] = _day_offset(zone, moment)
            offset = uniform if uniform is not False else zone.utcoffset(moment)
        else:
            offset = moment.utcoffset()
            moment = moment.replace(tzinfo=None)
            plain = False
        if moment.tzinfo is None and uniform is False and _in_gap(zone, moment):
            out.append(
                (
                    None,
                    f"{name} {value.strip()} does not exist in {zone.key}: the "
                    "clocks went forward over it; check the source system",
                )
            )
            continue
        utc = moment - offset
        if utc > now:
            out.append((None, f"{name} {value.strip()} is in the future"))
            continue
        text = offsets.get(offset)
        if text is None:
            text = offsets[offset] = _offset_text(offset)
        out.append((utc, (value if plain else moment.isoformat(" ")) + text))
    return out


# The fraction of the seconds of a time ("12:00:00.1234567", "120000,5").
_FRACTION = re.compile(r"[T ]\d\d:?\d\d:?\d\d[.,](\d+)")

# Municipal records in electronic form start long after this.
MIN_YEAR = 1900


def _in_gap(zone, moment):
    """True for a wall-clock time skipped when the clocks went forward."""
    there_and_back = moment.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
    return there_and_back.replace(tzinfo=None) != moment


def _day_offset(zone, moment):
    """The UTC offset of every time on the wall-clock day of ``moment``.

    False when the clocks changed on that day (or at midnight after it):
    each time on it is then looked up on its own. Zones change their clocks
    at most once in an hour (true of every zone in the tz database), so one
    offset at every hour from 00:00 to the next midnight holds all day: a
    change inside an hour, skipped or repeated times included, gives the two
    hours around it different offsets.
    """
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    offsets = {zone.utcoffset(midnight + hour * _HOUR) for hour in range(25)}
    return offsets.pop() if len(offsets) == 1 else False


_HOUR = timedelta(hours=1)


def _offset_text(offset):
    """``+03:00`` for a UTC offset (``+00:19:44`` with seconds, as in LMT)."""
    seconds = int(offset.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


def _times(requested, closed, statuses, status_text, problems):
    closed_states = Status.closed_values() | {Status.REOPENED}
    for i, ((start, start_text), (end, end_text)) in enumerate(
        zip(requested, closed, strict=True)
    ):
        if start is None:
            problems.add(i, start_text or "requested_datetime is empty")
        if end is None:
            if end_text:
                problems.add(i, end_text)
            continue
        if start is not None and end < start:
            problems.add(
                i,
                f"closed_datetime {end_text} is before requested_datetime {start_text}",
            )
        status = statuses[i]
        if status is not None and status not in closed_states:
            problems.add(
                i,
                f"closed_datetime is given but status {status_text[i].strip()!r} "
                "is open; leave it empty or give the closed status",
            )


def _external_ids(values, lines, problems):
    first = {}
    for i, raw in enumerate(values):
        value = raw.strip()
        if not value:
            problems.add(i, "external_id is empty; every row needs its own")
        elif len(value) > MAX_EXTERNAL_ID:
            problems.add(i, f"external_id is longer than {MAX_EXTERNAL_ID} characters")
        elif value in first:
            earlier = lines[first[value]]
            problems.add(i, DUPLICATE.format(external_id=value, line=earlier))
        else:
            first[value] = i


def _characters(text, problems):
    """Refuse values holding a character stored text may not hold.

    One search over each column's joined text; values of one line are
    searched stripped, as they are read (a tab around a code is space).
    """
    for name, values in text.items():
        lines = name in MULTILINE
        if unfit_character("".join(values), lines=lines) is None:
            continue
        for i, value in enumerate(values):
            character = unfit_character(value if lines else value.strip(), lines=lines)
            if character is not None:
                problems.add(i, _character_reason(name, character, lines))


def _character_reason(name, character, lines):
    code = ord(character)
    kept = TABS_KEPT if lines else ""
    if code == 0:
        return NUL_CHARACTER.format(field=name, kept=kept)
    if character in "\t\n\r":
        return LINE_BREAK.format(field=name, code=code)
    if code < 0x20 or code == 0x7F:
        return CONTROL_CHARACTER.format(field=name, code=code, kept=kept)
    return NOT_A_CHARACTER.format(field=name, code=code)


def _text(values, name, limit, problems):
    joined = "".join(values)
    if limit and len(joined) > limit and max(map(len, values)) > limit:
        for i, value in enumerate(values):
            if len(value) > limit:
                problems.add(i, f"{name} is longer than {limit} characters")
