"""Refusing control characters in addresses and form fields, for every page.

Text from people has no use for the C0 control characters (NUL, ESC, …;
tab and line breaks excepted): PostgreSQL cannot even store a NUL, and an
escape sequence pasted into an address would reach every page that shows
it. ``InputGuardMiddleware`` refuses a request whose path, query parameters
or form fields hold one, with a 400 that names the field, before any view
runs: as JSON (``{"error", "field"}``) for the JSON endpoints (``/api/``,
in English like the API's other errors; the crew page's and the map's data,
in the page's language; anything asking for JSON), as a page otherwise.
Open311 (``/open311/``) answers its own error format and checks its fields
itself (``geopool.open311.submission``).
"""

import logging
from contextlib import nullcontext

from django.http import JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

from geopool.text import control_character

logger = logging.getLogger(__name__)

JSON_PREFIXES = (
    "/api/",
    "/crew/tickets",
    "/crew/place",
    "/map/data/",
    "/console/nearby",
)
SKIPPED_PREFIXES = ("/open311/", "/static/")


def _problem(request):
    """(field, character) of the first control character in the request."""
    character = control_character(request.path)
    if character:
        return _("the address (URL)"), character
    sources = [request.GET]
    content_type = request.content_type or ""
    if request.method == "POST" and content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        sources.append(request.POST)
    for source in sources:
        for name, values in source.lists():
            character = control_character(name)
            if character:
                return _("a field name"), character
            for value in values:
                character = control_character(value)
                if character:
                    return name, character
    return None


def _wants_json(request):
    accept = request.headers.get("Accept", "")
    return request.path.startswith(JSON_PREFIXES) or (
        "application/json" in accept and "text/html" not in accept
    )


class InputGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(SKIPPED_PREFIXES):
            return self.get_response(request)
        english = request.path.startswith("/api/")
        with translation.override("en") if english else nullcontext():
            problem = _problem(request)
            if problem is not None:
                return self._refuse(request, *problem)
        return self.get_response(request)

    def _refuse(self, request, field, character):
        message = _(
            "%(field)s contains the control character U+%(code)04X, which text "
            "cannot hold; send it again as plain text."
        ) % {"field": field, "code": ord(character)}
        logger.info(
            "refused %s %s: control character in %s",
            request.method,
            request.path.encode("unicode_escape").decode()[:200],
            field,
        )
        if _wants_json(request):
            return JsonResponse(
                {"error": message, "field": field},
                status=400,
                json_dumps_params={"ensure_ascii": False},
            )
        return render(request, "400.html", {"reason": message}, status=400)
