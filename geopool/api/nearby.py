"""``GET /api/nearby?lon=&lat=&radius_m=&limit=&category=``: nearest open tickets.

For field crews' devices and other systems (a staff session or an API key,
``geopool.api.auth.staff_or_key``). The tickets are those of the caller's
scope (``geopool.services.nearby``: an API key's body, a crew member's
crew and their body's unassigned tickets, a body's staff their body's, the
coordinators all), nearest first in metres on the ground:

    {"lon": 36.1603, "lat": 36.2021, "radius_m": 5000, "limit": 20,
     "scope": "body", "count": 2,
     "requests": [{"tracking_code": "K7M-4TXR", "distance_m": 12.3,
                   "lon": 36.16041, "lat": 36.20219,
                   "category": {"code": "COP", "name": "Çöp toplama ..."},
                   "status": "assigned", "owner": "ANTAKYA",
                   "crew": "Kuzey ekibi", "urgent": false,
                   "requested_at": "2026-12-03T14:05:00+03:00",
                   "sla_due_at": "...", "url": "/requests/K7M-4TXR/"}, ...]}

No description, address or contact: they may carry personal data. Errors
are 400 with ``error`` and the ``field`` at fault.
"""

import functools
import re
from urllib.parse import quote

import orjson
from django.http import HttpResponse
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from geopool.api.auth import json_error, key_refused, parsed_key, staff_or_key
from geopool.api.params import ParameterError, coordinate, number
from geopool.models import Category
from geopool.services import nearby

_PATH_SAFE = "!$&'()*+,;=/~:@"
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch


def _path_segment(code):
    return code if _UNRESERVED(code) else quote(code, safe=_PATH_SAFE)


def categories_param(params, name="category"):
    """Category codes from ``category=A,B`` (or repeated); None when absent.

    Codes are stored in upper-case ASCII, so ``cop`` is ``COP``; a code with
    other letters is looked up as typed (and refused).
    """
    typed = []
    for raw in params.getlist(name):
        typed.extend(code.strip() for code in raw.split(",") if code.strip())
    if not typed:
        return None
    codes = [code.upper() if code.isascii() else code for code in typed]
    known = set(Category.objects.filter(code__in=codes).values_list("code", flat=True))
    unknown = [
        given for given, code in zip(typed, codes, strict=True) if code not in known
    ]
    if unknown:
        raise ParameterError(
            name,
            f"{name}: unknown category {', '.join(repr(c) for c in unknown)}; "
            "use the service_code values of GET /open311/v2/services.json",
        )
    return sorted(set(codes))


def nearby_params(params):
    """``(lon, lat, radius_m, limit, categories)`` from the query, checked."""
    lon = coordinate(params, "lon", -180, 180)
    lat = coordinate(params, "lat", -90, 90)
    radius = number(
        params, "radius_m", 1, nearby.MAX_RADIUS_M, default=nearby.DEFAULT_RADIUS_M
    )
    limit = number(
        params, "limit", 1, nearby.MAX_LIMIT, default=nearby.DEFAULT_LIMIT, integer=True
    )
    return lon, lat, radius, limit, categories_param(params)


def ticket_json(ticket):
    item = ticket.request
    return {
        "tracking_code": item.tracking_code,
        "distance_m": ticket.distance_m,
        "lon": item.location.x,
        "lat": item.location.y,
        "category": {"code": item.category.code, "name": item.category.name},
        "status": item.status,
        "owner": item.owner_body.code if item.owner_body else None,
        "crew": item.assigned_crew.name if item.assigned_crew else None,
        "urgent": item.is_urgent,
        "requested_at": timezone.localtime(item.requested_at).isoformat(),
        "sla_due_at": (
            timezone.localtime(item.sla_due_at).isoformat() if item.sla_due_at else None
        ),
        "url": reverse("requestpages:detail", args=[item.tracking_code]),
    }


@functools.lru_cache(maxsize=8)
def _page_pattern(script_prefix):
    """A request page's address with ``__code__`` for its tracking code.

    Kept per script prefix (the one part of ``reverse``'s answer that a
    request can change): reversing costs more than the rest of an answer.
    """
    return reverse("requestpages:detail", args=["__code__"])


def _rows_json(rows):
    """The API's items of ``rows_nearby``'s rows (``nearby.ROW_FIELDS``).

    The time zone and the page address are looked up once per answer, not
    per row: both cost more than the rest of an item.
    """
    here = timezone.get_current_timezone()
    page = _page_pattern(get_script_prefix())
    return [
        {
            "tracking_code": code,
            "distance_m": round(metres, 1),
            "lon": lon,
            "lat": lat,
            "category": {"code": category_code, "name": category_name},
            "status": status,
            "owner": owner,
            "crew": crew,
            "urgent": urgent,
            "requested_at": requested_at.astimezone(here).isoformat(),
            "sla_due_at": sla_due_at.astimezone(here).isoformat()
            if sla_due_at
            else None,
            # Quoted as reverse() quotes a path (a code of unreserved
            # characters, as tracking codes are, stays as it is).
            "url": page.replace("__code__", _path_segment(code)),
        }
        for (
            metres,
            code,
            lon,
            lat,
            category_code,
            category_name,
            status,
            owner,
            crew,
            urgent,
            requested_at,
            sla_due_at,
            _id,
        ) in rows
    ]


@require_GET
def nearby_tickets(request):
    """The nearest open tickets of the caller's scope, as JSON.

    A caller with an API key and a well-formed question has the key checked
    and the tickets read in one statement (``rows_nearby_for_key``): a
    crew's device asks again and again, and on a busy server every round
    trip to the database waits for its turn. Anyone else goes through
    ``staff_or_key`` first, so the refusals come in the same order either
    way: the key (401, 403), then the question (400).
    """
    presented = parsed_key(request)
    if presented is None:
        return _checked_first(request)
    try:
        lon, lat, radius, limit, categories = nearby_params(request.GET)
    except ParameterError:
        return _checked_first(request)
    key, found = nearby.rows_nearby_for_key(
        presented, lon, lat, radius_m=radius, limit=limit, categories=categories
    )
    if key is None:
        return key_refused(request)
    key.touch()
    request.api_key = key
    scope = nearby.NearbyScope.of_api_key(key)
    return _answer(lon, lat, radius, limit, categories, scope, found)


@staff_or_key
def _checked_first(request):
    try:
        lon, lat, radius, limit, categories = nearby_params(request.GET)
    except ParameterError as exc:
        return json_error(400, str(exc), exc.field)
    if request.api_key is not None:
        scope = nearby.NearbyScope.of_api_key(request.api_key)
    else:
        scope = nearby.NearbyScope.of_user(request.user)
    found = nearby.rows_nearby(
        lon, lat, scope, radius_m=radius, limit=limit, categories=categories
    )
    return _answer(lon, lat, radius, limit, categories, scope, found)


def _answer(lon, lat, radius, limit, categories, scope, found):
    # orjson: a crew's list is asked for again and again, and Django's
    # encoder took as long as formatting the rows.
    body = orjson.dumps(
        {
            "lon": lon,
            "lat": lat,
            "radius_m": float(radius),  # one JSON form, given or not
            "limit": limit,
            "category": categories,
            "scope": scope.label,
            "count": len(found),
            "requests": _rows_json(found),
        }
    )
    return HttpResponse(body, content_type="application/json")
