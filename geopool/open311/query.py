"""The filters of ``GET v2/requests``, read from the query string.

Per GeoReport v2: ``service_request_id`` (comma-separated) overrides every
other filter; ``service_code`` and ``status`` take comma-separated lists;
``start_date`` / ``end_date`` are ISO 8601 and, when missing, make a 90-day
window (the last 90 days when both are missing). The spec lets a server
refuse wider windows; geopool does not, because results are paged.

Each bad parameter is reported (all at once) with its name; one that takes
a single value (a date, ``page``, ``page_size``) may be given once, as
Open311's POST refuses a field given twice rather than read the last. Dates without
an offset are read in the pool's time zone (Europe/Istanbul); a bare date
means that whole day, so ``end_date=2026-12-03`` includes the 3rd.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from geopool.models import Category, ServiceRequest, Status
from geopool.open311.errors import InvalidInput
from geopool.open311.messages import (
    DATE_INVALID,
    DATE_ORDER,
    DATE_RANGE,
    REPEATED,
    REQUEST_ID_INVALID,
    SERVICE_CODE_UNKNOWN,
    STATUS_INVALID,
    TOO_MANY_IDS,
)
from geopool.open311.paging import PAGE_PARAM, PAGE_SIZE_PARAM
from geopool.open311.serializers import REQUEST_RELATED, with_public_extras
from geopool.tracking import tracking_code_normalize

DEFAULT_WINDOW = timedelta(days=90)
MAX_IDS = 1000
OPEN311_STATUSES = ("open", "closed")
MIN_YEAR, MAX_YEAR = 1900, 2999
# Category codes are slugs; anything else cannot match (and a NUL byte
# would not even reach PostgreSQL).
_CODE = re.compile(r"[-\w]+", re.ASCII)
# The parameters that take one value (the lists may be repeated).
SINGLE = ("start_date", "end_date", PAGE_PARAM, PAGE_SIZE_PARAM)


@dataclass
class RequestQuery:
    codes: list = field(default_factory=list)  # tracking codes
    service_codes: list = field(default_factory=list)
    statuses: list = field(default_factory=list)  # "open" / "closed"
    start: datetime | None = None
    end: datetime | None = None  # exclusive

    def apply(self, queryset):
        if self.codes:
            return queryset.filter(tracking_code__in=self.codes)
        queryset = queryset.filter(
            requested_at__gte=self.start, requested_at__lt=self.end
        )
        if self.service_codes:
            queryset = queryset.filter(category__code__in=self.service_codes)
        if set(self.statuses) == {"closed"}:
            queryset = queryset.filter(status__in=Status.closed_values())
        elif set(self.statuses) == {"open"}:
            queryset = queryset.exclude(status__in=Status.closed_values())
        return queryset


def _items(params, name):
    """The non-empty comma-separated values of ``name`` (repeats allowed)."""
    values = []
    for raw in params.getlist(name):
        values.extend(item.strip() for item in raw.split(",") if item.strip())
    return values


def _moment(params, name, problems, *, end=False):
    """``name`` as an aware datetime; a bare date is its day's start (or end)."""
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        # The date first: parse_datetime would read "2026-12-03" as midnight.
        day = parse_date(raw)
        moment = None if day else parse_datetime(raw)
    except ValueError:  # well formed but impossible, e.g. month 13
        moment = day = None
    if day is not None and MIN_YEAR <= day.year <= MAX_YEAR:
        moment = datetime.combine(day + timedelta(days=1) if end else day, time())
    elif day is not None:
        moment = datetime.combine(day, time())  # refused by the range below
    if moment is None:
        problems.append(DATE_INVALID.format(field=name, value=raw))
        return None
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        # Also keeps the 90-day arithmetic below clear of datetime's limits.
        problems.append(DATE_RANGE.format(field=name, value=raw))
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    # PostgreSQL accepts offsets up to ±15:59 only (Python up to ±23:59):
    # hand it UTC.
    moment = moment.astimezone(UTC)
    # A date-time end_date is inclusive; the window's end is exclusive.
    return moment + timedelta(microseconds=1) if end and day is None else moment


def _tracking_codes(params, problems):
    codes = []
    for raw in _items(params, "service_request_id"):
        code = tracking_code_normalize(raw)
        if code:
            codes.append(code)
        else:
            problems.append(REQUEST_ID_INVALID.format(value=raw))
    if len(codes) > MAX_IDS:
        problems.append(TOO_MANY_IDS.format(count=len(codes), limit=MAX_IDS))
    return codes


def _service_codes(params, problems):
    wanted = _items(params, "service_code")
    if not wanted:
        return []
    # Inactive categories count: their old requests are still searchable.
    plausible = [code for code in wanted if _CODE.fullmatch(code)]
    known = set(
        Category.objects.filter(code__in=plausible).values_list("code", flat=True)
    )
    problems.extend(
        SERVICE_CODE_UNKNOWN.format(code=code) for code in wanted if code not in known
    )
    return wanted


def _statuses(params, problems):
    statuses = [s.lower() for s in _items(params, "status")]
    for value in statuses:
        if value not in OPEN311_STATUSES:
            problems.append(STATUS_INVALID.format(value=value))
    return statuses


def _window(params, problems, now):
    start = _moment(params, "start_date", problems)
    end = _moment(params, "end_date", problems, end=True)
    if start is None and end is None:
        end = now
    if end is None:
        end = start + DEFAULT_WINDOW
    if start is None:
        start = end - DEFAULT_WINDOW
    if start >= end:
        problems.append(
            DATE_ORDER.format(
                start=params.get("start_date"), end=params.get("end_date")
            )
        )
    return start, end


def request_query(params, now=None):
    """Parse ``params`` (a QueryDict); raise ``InvalidInput`` naming each field."""
    query, problems = RequestQuery(), []
    for name in SINGLE:
        count = len(params.getlist(name))
        if count > 1:
            problems.append(REPEATED.format(name=name, count=count))
    query.codes = _tracking_codes(params, problems)
    if not query.codes:
        query.service_codes = _service_codes(params, problems)
        query.statuses = _statuses(params, problems)
        query.start, query.end = _window(params, problems, now or timezone.now())
    if problems:
        raise InvalidInput(problems)
    return query


def requests_matching(query):
    """The requests ``query`` selects, newest first, with what they print."""
    queryset = ServiceRequest.objects.select_related(*REQUEST_RELATED)
    return with_public_extras(query.apply(queryset)).order_by("-requested_at", "-id")
