"""The console's pages: the call form, information calls, the saved call.

``GET /console/`` shows the call form beside a map. Its buttons post to the
same address: ``action=check`` shows the routing decision and the nearby
open requests (the page's script shows them as the operator clicks, so the
button is for browsers without JavaScript), ``action=save`` stores the call,
and ``attach=<tracking code>`` adds the caller to an open request instead.
A refusal comes back on the form with everything typed kept. Saving
redirects to ``/console/done/<code>/``, so that reloading it stores nothing
twice.
"""

import logging

from django.conf import settings
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from geopool.api.auth import json_error
from geopool.api.params import ParameterError, coordinate
from geopool.contact_checks import CONTACT_ERRORS
from geopool.errors import GeopoolError
from geopool.models import Category, Contact, ServiceRequest
from geopool.models.workflow import Answer
from geopool.visibility import requests_visible_to
from geopool.web.console import calls
from geopool.web.console.access import operator_required, operator_required_json
from geopool.web.console.forms import PREVIEW_FIELDS, CallForm, InfoForm
from routing_rules.decide import owner_label
from routing_rules.models import Decision

logger = logging.getLogger(__name__)

CONTACT_DISCARDED = _(
    "The call is anonymous: the contact details typed were not stored."
)
UNKNOWN_CATEGORY = _("category “%(code)s” is not in the catalogue")
CATEGORY_MISSING = _(
    "category is required: give the code of an active category (the code in "
    "brackets in the console's category list, or a service_code of "
    "/open311/v2/services.json)"
)
# The kinds of the saved-call page; each says what happened.
DONE_KINDS = ("new", "attached", "info")

# Texts the page's script shows (it has no translations of its own).
SCRIPT_TEXT = {
    "owner": _("Owner"),
    "district": _("District"),
    "explanation": _("Why"),
    "emergency": _("EMERGENCY: the caller must call %(phone)s now"),
    "triage": _(
        "No rule places this point: the request goes to the pool "
        "coordinator's triage queue."
    ),
    "nearby": _("Open requests of this category within %(radius)s m"),
    "nearbyNone": _("No open request of this category within %(radius)s m."),
    "nearbyOff": _("Duplicate suggestions are off for this category."),
    "code": _("Tracking code"),
    "status": _("Status"),
    "distance": _("Distance"),
    "received": _("Received"),
    "attach": _("Same problem: attach the caller"),
    "outside": _(
        "This point is outside the service area: a request here would be "
        "refused. Check the coordinates."
    ),
    "checking": _("Checking…"),
    "failed": _("The check failed: %(error)s"),
    "metres": _("%(distance)s m"),
    "addressSuggestions": _("Places matching the address"),
    "addressNone": _("No district or neighbourhood recognised in the address."),
    "addressUse": _("Use this point"),
    "addressShow": _("Show on the map"),
    "addressApproximate": _(
        "Approximate (%(source)s): click the exact place on the map."
    ),
    "addressConfidence": _("confidence %(value)s"),
    "sourcePolygon": _("neighbourhood boundary"),
    "sourceStreets": _("middle of its streets"),
    "sourcePlacePoint": _("known place point"),
    "sourceDistrict": _("district only"),
    "sourceStreet": _("street line"),
    "sourceDoor": _("door number"),
}


def _categories():
    return list(Category.objects.filter(is_active=True))


def _script_config():
    layer = calls.district_layer()
    return {
        "routeUrl": reverse("api-route"),
        "nearbyUrl": reverse("console:nearby"),
        "geocodeUrl": reverse("api-geocode"),
        "districtsUrl": reverse("layer-features", args=[layer]) if layer else "",
        "tileUrl": settings.GEOPOOL_TILE_URL,
        "tileAttribution": settings.GEOPOOL_TILE_ATTRIBUTION,
        "text": {key: str(value) for key, value in SCRIPT_TEXT.items()},
        "contactErrors": {code: str(value) for code, value in CONTACT_ERRORS.items()},
    }


def _preview_of(form, user):
    """The preview for a bound form whose category and point are valid."""
    if any(name in form.errors for name in PREVIEW_FIELDS):
        return None
    data = getattr(form, "cleaned_data", {})
    category = form.chosen_category
    if category is None or data.get("lon") is None or data.get("lat") is None:
        return None
    return calls.call_preview(category, data["lon"], data["lat"], user)


def _page(request, form, info_form, preview=None, status=200):
    context = {
        "form": form,
        "info_form": info_form,
        "preview": preview,
        "config": _script_config(),
    }
    return render(request, "console/console.html", context, status=status)


def _done(tracking_code, kind):
    url = reverse("console:done", args=[tracking_code])
    return redirect(f"{url}?{urlencode({'as': kind})}")


@operator_required
def console(request):
    """``GET /console/``: the form; ``POST``: check, save or attach."""
    categories = _categories()
    info_form = InfoForm(categories=calls.information_categories())
    if request.method != "POST":
        return _page(request, CallForm(categories=categories), info_form)

    form = CallForm(request.POST, categories=categories)
    valid = form.is_valid()
    if request.POST.get("attach"):
        return _attach(request, form, info_form)
    if request.POST.get("action") == "check":
        form.preview_only()
        return _page(request, form, info_form, _preview_of(form, request.user))
    if not valid:
        return _page(request, form, info_form, _preview_of(form, request.user))

    try:
        result = calls.call_save(form, request.user)
    except calls.CallRefused as exc:
        form.add_error(exc.field, str(exc))
        return _page(request, form, info_form)
    if form.cleaned_data["is_anonymous"] and form.typed_contact():
        messages.info(request, CONTACT_DISCARDED)
    return _done(result.request.tracking_code, "new")


def _attach(request, form, info_form):
    try:
        item = calls.caller_attach(request.POST["attach"], request.user)
    except calls.CallRefused as exc:
        form.preview_only()
        form.add_error(None, str(exc))
        return _page(request, form, info_form, _preview_of(form, request.user))
    return _done(item.tracking_code, "attached")


@operator_required
def information_call(request):
    """``POST /console/info/``: store an answered information call, closed."""
    if request.method != "POST":
        return redirect("console:console")
    info_form = InfoForm(request.POST, categories=calls.information_categories())
    if info_form.is_valid():
        data = info_form.cleaned_data
        try:
            item = calls.information_call_record(
                info_form.chosen_category,
                data["question"],
                data["answer"],
                request.user,
            )
        except GeopoolError as exc:
            info_form.add_error(None, str(exc))
        else:
            return _done(item.tracking_code, "info")
    return _page(request, CallForm(categories=_categories()), info_form)


@operator_required
def done(request, tracking_code):
    """``GET /console/done/<code>/``: the tracking code to read to the caller."""
    item = (
        requests_visible_to(request.user, ServiceRequest.objects.all())
        .select_related("category", "owner_body", "owner_department")
        .filter(tracking_code=tracking_code)
        .first()
    )
    if item is None:
        raise Http404("no such request")
    kind = request.GET.get("as")
    decision = Decision.objects.filter(request=item, is_current=True).first()
    answer = Answer.objects.filter(request=item).order_by("-sent_at").first()
    context = {
        "item": item,
        "kind": kind if kind in DONE_KINDS else "new",
        "owner": owner_label(item.owner_body, item.owner_department)
        if item.owner_body
        else "",
        "explanation": decision.explanation_tr if decision else "",
        "emergency_phone": item.category.emergency_phone
        if item.category.is_emergency
        else "",
        "contact_stored": Contact.objects.filter(request=item).exists(),
        "answer": answer.text if answer else "",
        "request_url": _request_page(item),
    }
    return render(request, "console/done.html", context)


def _request_page(item):
    """The request's staff page, once the pool's request pages exist."""
    try:
        return reverse("requestpages:detail", args=[item.tracking_code])
    except NoReverseMatch:
        return ""


@require_GET
@operator_required_json
def nearby(request):
    """``GET /console/nearby?lon=&lat=&category=``: open requests near a point.

    The open requests of the category within its duplicate radius and time
    window, nearest first: tracking code, status, distance in metres, when
    received and the owner. No description, address or contact: those can
    carry personal data.
    """
    try:
        # The console's script sends what the operator typed: 36,16 is fine.
        lon = coordinate(request.GET, "lon", -180, 180, decimal_comma=True)
        lat = coordinate(request.GET, "lat", -90, 90, decimal_comma=True)
    except ParameterError as exc:
        return json_error(400, str(exc), exc.field)
    code = (request.GET.get("category") or "").strip()
    if not code:
        return json_error(400, str(CATEGORY_MISSING), "category")
    category = Category.objects.filter(code=code, is_active=True).first()
    if category is None:
        return json_error(400, str(UNKNOWN_CATEGORY % {"code": code}), "category")
    rows = calls.nearby_open(category, lon, lat, request.user)
    return JsonResponse(
        {
            "category": category.code,
            "radius_m": category.duplicate_radius_m,
            "window_hours": category.duplicate_window_hours,
            "requests": [row.as_json() for row in rows],
        },
        json_dumps_params={"ensure_ascii": False},
    )
