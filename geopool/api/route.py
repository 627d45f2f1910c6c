"""``GET /api/route?lon=&lat=&category=``: the routing decision, nothing stored.

The answer is what an Open311 POST at that point would decide (the same
``routing_rules.decide``), as JSON:

    {"owner": {"body": "KGM", "name": "Karayolları 5. Bölge Müdürlüğü",
               "department": null},
     "rule": "YOL-KGM", "rule_set_version": 2, "flags": [],
     "explanation": {"tr": "Yol bozukluğu, D-817 … 9 m uzakta, …",
                     "en": "Road damage, 9 m from D-817 …"},
     "candidates": [...], "trace": [...], "generations": {"roads": 1, ...}}

Optional ``date=YYYY-MM-DD`` decides as on that day (rules and delegations
with dates). Errors are 400 with ``error`` and the ``field`` at fault.
"""

import datetime as dt
import re

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from geopool.api.auth import json_error, staff_or_key
from geopool.api.params import ParameterError, coordinate, shorten
from geopool.errors import GeopoolError
from routing_rules.context import live_context
from routing_rules.decide import decide
from routing_rules.errors import RoutingError, UnknownCategory


def _once(params, name):
    values = params.getlist(name)
    if len(values) > 1:
        raise ParameterError(name, f"{name} is given {len(values)} times; give it once")
    return (values[0] if values else "").strip()


def _date(raw):
    if not raw:
        return None
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
            raise ValueError(raw)
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise ParameterError(
            "date", f"date={raw!r} is not a date; write it as YYYY-MM-DD"
        ) from None
    noon = dt.datetime.combine(day, dt.time(12))
    return timezone.make_aware(noon)


def decision_json(outcome):
    return {
        "owner": {
            "body": outcome.owner_code,
            "name": outcome.owner_name,
            "department": outcome.department_code or None,
            "department_name": outcome.department_name or None,
        },
        "rule": outcome.rule_code or None,
        "rule_set_version": outcome.rule_set_version,
        "flags": outcome.flags,
        "urgent": outcome.is_urgent,
        "triage": outcome.needs_triage,
        "service_notice": outcome.service_notice or None,
        "explanation": {"tr": outcome.explanation_tr, "en": outcome.explanation_en},
        "district": (
            {"code": outcome.place.district_code, "name": outcome.place.district_name}
            if outcome.place and outcome.place.district_code
            else None
        ),
        "candidates": outcome.candidates,
        "trace": outcome.trace,
        "generations": outcome.generations,
    }


@require_GET
@staff_or_key
def route(request):
    try:
        lon = coordinate(request.GET, "lon", -180, 180)
        lat = coordinate(request.GET, "lat", -90, 90)
        category = _once(request.GET, "category")
        if not category:
            raise ParameterError(
                "category",
                "category is required: a service_code listed by "
                "GET /open311/v2/services.json",
            )
        at = _date(_once(request.GET, "date"))
    except ParameterError as exc:
        return json_error(400, str(exc), exc.field)
    try:
        # A key's check read the routing state's version too.
        context = live_context(getattr(request.api_key, "routing_state", None))
        outcome = decide((lon, lat), category, at, context=context)
    except UnknownCategory:
        return json_error(
            400,
            f"unknown category {shorten(category)!r}: give a service_code listed "
            "by GET /open311/v2/services.json",
            "category",
        )
    except RoutingError as exc:
        field = getattr(exc, "fields", ("category",))[0]
        if field == "service_code":
            field = "category"
        elif field in ("lat", "long"):
            field = "lat,lon"
        return json_error(400, str(exc), field)
    except GeopoolError as exc:
        return json_error(400, str(exc))
    return JsonResponse(
        decision_json(outcome), json_dumps_params={"ensure_ascii": False}
    )


@require_GET
def health(request):
    """``GET /api/health``: the process answers (monitoring; no database)."""
    return JsonResponse({"status": "ok"})
