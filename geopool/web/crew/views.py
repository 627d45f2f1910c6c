"""The field crew's phone page and the JSON its script reads and posts.

- ``GET /crew/``: the page (``templates/crew/crew.html``, ``geopool/crew.js``);
- ``GET /crew/tickets?lon=&lat=&radius_m=&category=``: the nearest open
  tickets of the user's scope (``geopool.services.nearby``), as
  ``/api/nearby`` lists them plus what a crew works from: the description,
  the address, ``updated_at`` (sent back with each action to detect
  conflicts), the actions the user may take and links that open directions
  in the phone's map app;
- ``GET /crew/place?q=``: places by name when the phone gives no position
  (``geopool.services.places``);
- ``POST /crew/tickets/<code>/<take|start|resolve>``: one action
  (``geopool.services.crews``); 409 with the ticket as it is now when it
  changed after the crew read it, 400 naming the ``field`` when part of the
  input is missing (resolving without an answer);
- ``GET /crew/sw.js``: the service worker that keeps the page and its
  files readable without coverage (scope ``/crew/``).
"""

import logging

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from geopool.api.auth import json_error
from geopool.api.nearby import nearby_params, ticket_json
from geopool.api.params import ParameterError
from geopool.models import Category, Status
from geopool.services import crews, nearby
from geopool.services.photos import PhotoRefused
from geopool.services.places import place_lookup
from geopool.services.workflow import WorkflowError, WorkflowInputError
from geopool.visibility import requests_visible_to
from geopool.web.crew.access import crew_required, crew_required_json
from geopool.web.requestpages.access import visible_request

logger = logging.getLogger(__name__)

# Opens directions in the phone's map app (Google Maps on Android and iOS,
# the browser elsewhere); ``geo:`` URIs are offered beside it.
DIRECTIONS_URL = "https://www.google.com/maps/dir/?api=1&destination={lat},{lon}"

# The service worker's cache (geopool/crew-sw.js says the same).
CACHE_NAME = "geopool-crew-v1"

PLACE_REQUIRED = _("q is required: an address or a place name")
UNKNOWN_ACTION = _("Unknown action “%(action)s”; expected one of %(actions)s.")
NO_SUCH_TICKET = _("No request “%(code)s” that you may see.")
SEEN_REQUIRED = _(
    "seen is required: send the ticket's updated_at as listed, so that a "
    "change made meanwhile is not overwritten."
)

SCRIPT_TEXT = {
    "locating": _("Finding your position…"),
    "located": _("Position from the phone (±%(accuracy)s m)"),
    "typed": _("Position typed in"),
    "fromPlace": _("Position near %(place)s (approximate)"),
    "refused": _(
        "The phone gives no position (%(reason)s). Type the coordinates or a "
        "place name."
    ),
    # Why the browser gave no position (GeolocationPositionError codes 1-3);
    # the browser's own message is in its language, not the page's.
    "geoDenied": _("permission refused"),
    "geoUnavailable": _("no position found"),
    "geoTimeout": _("it took too long"),
    "insecure": _(
        "This browser gives positions only over HTTPS; type the coordinates or "
        "a place name."
    ),
    "badCoordinates": _(
        "Coordinates not understood: latitude and longitude in decimal degrees, "
        "e.g. 36.2021 and 36.1603."
    ),
    "noPlace": _("No place called “%(text)s” was found."),
    "loading": _("Loading tickets…"),
    "none": _("No open ticket within %(radius)s m."),
    "count": _("%(count)s open tickets, nearest first"),
    "metres": _("%(distance)s m"),
    "kilometres": _("%(distance)s km"),
    "offline": _(
        "No connection: the list below is the one loaded at %(time)s. Changes "
        "are queued and sent when the connection returns."
    ),
    "queued": _("%(count)s changes waiting to be sent"),
    "sent": _("%(code)s: done (%(action)s)."),
    "conflict": _("Not done: %(message)s"),
    "conflictPhoto": _("The photo taken with it: save it to send it again"),
    "conflictPhotoLost": _(
        "The photo taken with it did not fit in the phone's storage and is lost."
    ),
    "failed": _("%(code)s: %(message)s"),
    "take": _("Take"),
    "start": _("Start work"),
    "resolve": _("Resolve"),
    "directions": _("Directions"),
    "mapApp": _("Open map"),
    "page": _("Request page"),
    "answer": _("Answer to the citizen (required)"),
    "note": _("Internal note"),
    "photo": _("Photo"),
    "send": _("Send"),
    "cancel": _("Cancel"),
    "dismiss": _("Dismiss"),
    "mine": _("our crew"),
    "unassigned": _("not taken"),
    "photoTooLarge": _("The photo cannot be kept offline; send it when online."),
    "queuedAction": _("%(code)s: %(action)s queued, sent when online."),
}


def directions(item):
    lon, lat = f"{item.location.x:.6f}", f"{item.location.y:.6f}"
    template = settings.GEOPOOL_DIRECTIONS_URL or DIRECTIONS_URL
    return {
        "geo": f"geo:{lat},{lon}?q={lat},{lon}({item.tracking_code})",
        "maps": template.format(lat=lat, lon=lon),
    }


def crew_ticket_json(user, ticket, crew_ids):
    item = ticket.request
    data = ticket_json(ticket)
    data.update(
        {
            "category": {"code": item.category.code, "name": item.category.name},
            "status_label": str(Status(item.status).label),
            "description": item.description,
            "address": item.address_string,
            "updated_at": item.updated_at.isoformat(),
            "mine": item.assigned_crew_id in crew_ids,
            "actions": crews.allowed_actions(user, item, crew_ids),
            "directions": directions(item),
        }
    )
    return data


def _config(request):
    from geopool.web.console.calls import district_layer

    layer = district_layer()
    return {
        "ticketsUrl": reverse("crew:tickets"),
        "placeUrl": reverse("crew:place"),
        "actUrl": reverse("crew:act", args=["CODE", "ACTION"]),
        "serviceWorkerUrl": reverse("crew:service-worker"),
        "scope": reverse("crew:page"),
        "cacheName": CACHE_NAME,
        "districtsUrl": reverse("layer-features", args=[layer]) if layer else "",
        "csrfToken": get_token(request),
        "user": request.user.get_username(),
        "tileUrl": settings.GEOPOOL_TILE_URL,
        "tileAttribution": settings.GEOPOOL_TILE_ATTRIBUTION,
        "defaultRadius": nearby.DEFAULT_RADIUS_M,
        "text": {key: str(value) for key, value in SCRIPT_TEXT.items()},
    }


@crew_required
@require_GET
def crew_page(request):
    crew = nearby.crews_of(request.user).first()
    context = {
        "config": _config(request),
        "crew": crew,
        "categories": Category.objects.filter(is_active=True).order_by("name"),
        "radii": [500, 1000, 2000, 5000, 10000, 25000],
        "default_radius": nearby.DEFAULT_RADIUS_M,
    }
    return render(request, "crew/crew.html", context)


@require_GET
def service_worker(request):
    """The service worker script, served under ``/crew/`` for its scope."""
    path = finders.find("geopool/crew-sw.js")
    if path is None:
        raise Http404("service worker missing")
    with open(path, encoding="utf-8") as handle:
        script = handle.read()
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@crew_required_json
@require_GET
def tickets(request):
    try:
        lon, lat, radius, limit, categories = nearby_params(request.GET)
    except ParameterError as exc:
        return json_error(400, str(exc), exc.field)
    scope = nearby.NearbyScope.of_user(request.user)
    found = nearby.tickets_nearby(
        lon, lat, scope, radius_m=radius, limit=limit, categories=categories
    )
    crew_ids = set(nearby.crews_of(request.user).values_list("pk", flat=True))
    return JsonResponse(
        {
            "lon": lon,
            "lat": lat,
            "radius_m": radius,
            "category": categories,
            "scope": scope.label,
            "loaded_at": timezone.localtime().isoformat(),
            "requests": [
                crew_ticket_json(request.user, ticket, crew_ids) for ticket in found
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )


@crew_required_json
@require_GET
def place(request):
    text = (request.GET.get("q") or "").strip()
    if not text:
        return json_error(400, str(PLACE_REQUIRED), "q")
    return JsonResponse(
        {"q": text, "places": [p.as_json() for p in place_lookup(text)]},
        json_dumps_params={"ensure_ascii": False},
    )


@crew_required_json
@require_POST
def act(request, code, action):
    if action not in crews.ACTIONS:
        return json_error(
            404,
            str(UNKNOWN_ACTION)
            % {"action": action, "actions": ", ".join(crews.ACTIONS)},
        )
    try:
        item = visible_request(request.user, code)
    except Http404:
        return json_error(404, str(NO_SUCH_TICKET) % {"code": code})
    crew_ids = set(nearby.crews_of(request.user).values_list("pk", flat=True))
    try:
        seen = crews.seen_parse(request.POST.get("seen"))
    except WorkflowError as exc:
        return json_error(400, str(exc), "seen")
    if seen is None:
        # Without it a change made meanwhile by someone else would be
        # overwritten without a word; the page always sends it.
        return json_error(400, str(SEEN_REQUIRED), "seen")
    try:
        done = crews.crew_act(
            item,
            action,
            actor=request.user,
            seen=seen,
            note=request.POST.get("note", ""),
            answer=request.POST.get("answer", ""),
            photo=request.FILES.get("photo"),
        )
    except crews.TicketChanged as exc:
        return _conflict(request, exc, crew_ids)
    except PhotoRefused as exc:
        return json_error(400, str(exc), "photo")
    except WorkflowInputError as exc:
        return json_error(400, str(exc), exc.field)
    except WorkflowError as exc:
        return json_error(409, str(exc))
    return JsonResponse(
        {"ok": True, "action": action, "ticket": _ticket(request.user, done, crew_ids)},
        json_dumps_params={"ensure_ascii": False},
    )


def _ticket(user, item, crew_ids, distance=None):
    return crew_ticket_json(user, nearby.NearbyTicket(item, distance), crew_ids)


def _conflict(request, exc, crew_ids):
    current = exc.current
    still_visible = requests_visible_to(request.user).filter(pk=current.pk).exists()
    body = {"error": str(exc), "conflict": True}
    if still_visible:
        body["ticket"] = _ticket(request.user, current, crew_ids)
    return JsonResponse(body, status=409, json_dumps_params={"ensure_ascii": False})
