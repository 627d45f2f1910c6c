"""``GET /api/geocode?q=`` and ``GET /api/reverse?lon=&lat=`` (staff or key).

``/api/geocode`` answers the parsed and matched address with its level,
confidence, official names, point and how the point was derived, and
alternatives when unsure; ``limit`` (1-10, default 5) caps the
alternatives. ``/api/reverse`` answers the district, neighbourhood and
street of a point. Errors are 400 with ``error`` and the ``field`` at fault.
No personal data is involved: only the address text sent.
"""

import re

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from geocoding.match import geocode as geocode_text
from geocoding.reverse import reverse_geocode
from geopool.api.auth import json_error, staff_or_key
from geopool.api.params import ParameterError, coordinate, shorten

MAX_QUERY = 500


def _json(body):
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


@require_GET
@staff_or_key
def geocode(request):
    values = request.GET.getlist("q")
    if len(values) > 1:
        return json_error(400, f"q is given {len(values)} times; give it once", "q")
    query = (values[0] if values else "").strip()
    if not query:
        return json_error(
            400,
            "q is required: the address as written, e.g. "
            "'Harbiye Mah. Ürgen Cad. Defne'",
            "q",
        )
    if len(query) > MAX_QUERY:
        return json_error(
            400, f"q is {len(query)} characters long; at most {MAX_QUERY}", "q"
        )
    raw_limit = request.GET.get("limit", "5").strip()
    if not re.fullmatch(r"[0-9]{1,2}", raw_limit) or not 1 <= int(raw_limit) <= 10:
        return json_error(
            400,
            f"limit={shorten(raw_limit)!r} is not a whole number from 1 to 10",
            "limit",
        )
    body = geocode_text(query).as_json()
    body["alternatives"] = body["alternatives"][: int(raw_limit)]
    return _json(body)


@require_GET
@staff_or_key
def reverse(request):
    try:
        lon = coordinate(request.GET, "lon", -180, 180)
        lat = coordinate(request.GET, "lat", -90, 90)
    except ParameterError as exc:
        return json_error(400, str(exc), exc.field)
    return _json(reverse_geocode(lon, lat))
