"""Citizens' pages, no log-in: the request form and the tracking pages.

``/basvuru/`` files a request (web channel) through the same intake as
every other channel and sends the citizen to ``/basvuru/alindi/<code>/``
with the tracking code and link. ``/t/<code>`` shows what is public about
a request (``geopool.web.public.record``); codes are read case-insensitively
and without their dash. Public photos are served by ``/t/<code>/foto/<id>``
(never straight from the media folder, where private photos live too).

Abuse: a honeypot field (``forms.HONEYPOT_FIELD``) and a per-address limit
(``geopool.web.public.ratelimit``).
"""

import logging

from django.conf import settings
from django.contrib.gis.db.models import Extent
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from boundaries.models import Feature
from geopool.models import (
    Category,
    Jurisdiction,
    LocationSource,
    Photo,
    ServiceRequest,
)
from geopool.services.intake import Intake, request_create
from geopool.services.photos import MAX_BYTES, PhotoRefused, photo_store
from geopool.tracking import (
    tracking_code_has_length,
    tracking_code_normalize,
    tracking_code_unused,
)
from geopool.web.public import ratelimit
from geopool.web.public.forms import (
    HONEYPOT_FIELD,
    OUTSIDE_AREA,
    PHOTO_AGAIN,
    RequestForm,
)
from geopool.web.public.record import public_record
from geopool.web.public.turkish import to_body
from routing_rules.decide import owner_label
from routing_rules.errors import OutsideServiceArea, RoutingError
from routing_rules.explain import emergency_notice, page_language

logger = logging.getLogger(__name__)

HONEYPOT_REFUSED = _("The form could not be sent. Reload the page and try again.")
RATE_LIMITED = _(
    "Many requests were sent from your connection in a short time. Try again "
    "in %(minutes)s minutes, or call %(line)s."
)
NOT_READY = _("Requests cannot be received here right now; please call %(line)s.")
CODE_INVALID = _(
    "“%(code)s” is not a tracking code. Codes have 7 letters and digits with "
    "a dash after the third, e.g. K7M-4TXR."
)
# The right length, but with letters or digits codes never use.
CODE_UNUSED_CHARACTERS = _(
    "“%(code)s” is not a tracking code: it has letters or digits that "
    "tracking codes never use (%(characters)s). Codes use no O, I, L, S, B, "
    "Z, U or V, no Turkish letters and no 0, 1, 2, 5 or 8, so they cannot be "
    "misread; check the code against the one you were given."
)


def _jurisdiction():
    return Jurisdiction.objects.order_by("id").first()


def _line(jurisdiction):
    """The call centre to call instead, e.g. "ALO 153"."""
    values = jurisdiction.settings if jurisdiction else {}
    return values.get("call_centre_label") or values.get("call_centre_phone") or ""


def _site(jurisdiction):
    """What every public page shows: whose site it is and whom to call."""
    return {"jurisdiction": jurisdiction, "call_centre": _line(jurisdiction)}


def _map_settings(jurisdiction):
    """Where the pin map starts and where its district outlines come from."""
    layer = (jurisdiction.settings if jurisdiction else {}).get("district_layer", "")
    bounds = ""
    districts_url = ""
    if layer:
        extent = Feature.objects.filter(
            generation__layer__code=layer, generation__is_active=True
        ).aggregate(extent=Extent("geometry"))["extent"]
        if extent:
            bounds = ",".join(f"{value:.5f}" for value in extent)
        try:
            districts_url = reverse("layer-features", args=[layer])
        except NoReverseMatch:
            districts_url = ""
    return {
        "bounds": bounds,
        "districts_url": districts_url,
        "tile_url": settings.GEOPOOL_TILE_URL,
        "tile_attribution": settings.GEOPOOL_TILE_ATTRIBUTION,
    }


def kvkk_context(jurisdiction):
    """The facts the KVKK information notice names."""
    categories = Category.objects.filter(is_active=True).order_by("sort_order", "code")
    controller = jurisdiction.name if jurisdiction else ""
    return {
        "controller": controller,
        "controller_to": to_body(controller) if controller else "",
        "retention": [(c.name, c.retention_days) for c in categories],
        "retention_days": sorted({c.retention_days for c in categories} - {None}),
    }


def _form_page(request, form, jurisdiction, status=200, setup_error=""):
    context = {
        **_site(jurisdiction),
        "form": form,
        "setup_error": setup_error,
        "map": _map_settings(jurisdiction),
        "kvkk": kvkk_context(jurisdiction),
        "photo_limit_mb": MAX_BYTES // (1024 * 1024),
        "emergencies": Category.objects.filter(is_active=True, is_emergency=True)
        .exclude(emergency_phone="")
        .order_by("sort_order", "code"),
    }
    return render(request, "public/form.html", context, status=status)


def _create(form):
    """Route and store the request, then its photo, in one transaction."""
    data = form.cleaned_data
    intake = Intake(
        category=data["category"],
        channel="web",
        lon=data["lon"],
        lat=data["lat"],
        location_source=LocationSource.GIVEN,
        description=data["description"].strip(),
        contact={} if form.is_anonymous() else form.contact(),
        is_anonymous=form.is_anonymous(),
    )
    with transaction.atomic():
        result = request_create(intake)
        if data.get("photo"):
            # Citizens' photos are private until staff mark them public
            # (a face or a number plate may be in them).
            photo_store(result.request, data["photo"], is_public=False)
    return result


@require_http_methods(["GET", "POST"])
def request_form(request):
    """``/basvuru/``: the public request form."""
    jurisdiction = _jurisdiction()
    line = _line(jurisdiction)
    if request.method == "GET":
        form = RequestForm()
        if jurisdiction is None:
            return _form_page(
                request, form, jurisdiction, 503, NOT_READY % {"line": line}
            )
        return _form_page(request, form, jurisdiction)

    form = RequestForm(request.POST, request.FILES)
    if request.POST.get(HONEYPOT_FIELD):
        logger.warning("public form: honeypot field filled; nothing stored")
        form.is_valid()
        form.add_error(None, HONEYPOT_REFUSED)
        return _form_page(request, form, jurisdiction, status=400)
    if ratelimit.is_limited(request):
        form.is_valid()
        return _limited(request, form, jurisdiction, line)
    if not form.is_valid():
        if request.FILES.get("photo"):
            form.add_error("photo", PHOTO_AGAIN)
        return _form_page(request, form, jurisdiction, status=400)
    if not ratelimit.reserve(request):
        return _limited(request, form, jurisdiction, line)
    result = None
    try:
        result = _create(form)
    except OutsideServiceArea:
        form.add_error(
            "lat", OUTSIDE_AREA % {"name": jurisdiction.name if jurisdiction else ""}
        )
    except PhotoRefused as exc:
        form.add_error("photo", str(exc))
    except RoutingError as exc:
        logger.error("public form: request not routed: %s", exc)
        form.add_error(None, NOT_READY % {"line": line})
        return _form_page(request, form, jurisdiction, status=503)
    finally:
        if result is None:  # only created requests count
            ratelimit.release(request)
    if result is not None:
        return redirect("public:received", code=result.request.tracking_code)
    if request.FILES.get("photo") and "photo" not in form.errors:
        form.add_error("photo", PHOTO_AGAIN)
    return _form_page(request, form, jurisdiction, status=400)


def _limited(request, form, jurisdiction, line):
    _limit, window = ratelimit.limits()
    form.add_error(None, RATE_LIMITED % {"minutes": max(1, window // 60), "line": line})
    return _form_page(request, form, jurisdiction, status=429)


def _found(code):
    normalized = tracking_code_normalize(code)
    if not normalized:
        return None
    return (
        ServiceRequest.objects.select_related(
            "category", "owner_body", "owner_department"
        )
        .filter(tracking_code=normalized)
        .first()
    )


def _not_found(request, code, jurisdiction):
    context = {
        **_site(jurisdiction),
        "code": code,
        "looks_like_code": bool(tracking_code_normalize(code)),
    }
    return render(request, "public/not_found.html", context, status=404)


@require_GET
def request_received(request, code):
    """``/basvuru/alindi/<code>/``: the tracking code and link of a new request."""
    jurisdiction = _jurisdiction()
    found = _found(code)
    if found is None:
        return _not_found(request, code, jurisdiction)
    owner = (
        owner_label(found.owner_body, found.owner_department)
        if found.owner_body_id
        else ""
    )
    context = {
        **_site(jurisdiction),
        "code": found.tracking_code,
        "category": found.category.name,
        "owner_to": to_body(owner) if owner else "",
        "owner": owner,
        # The address the citizen used to reach this page.
        "tracking_link": request.build_absolute_uri(f"/t/{found.tracking_code}"),
        "notice": emergency_notice(found.category, page_language()),
    }
    return render(request, "public/received.html", context)


@require_GET
def tracking(request, code):
    """``/t/<code>``: what is public about one request."""
    jurisdiction = _jurisdiction()
    found = _found(code)
    if found is None:
        return _not_found(request, code, jurisdiction)
    context = {**_site(jurisdiction), "record": public_record(found)}
    return render(request, "public/tracking.html", context)


def _code_refusal(typed):
    """Why ``typed`` is no tracking code, in the citizen's terms."""
    unused = tracking_code_unused(typed)
    if unused and tracking_code_has_length(typed):
        return CODE_UNUSED_CHARACTERS % {
            "code": typed,
            "characters": ", ".join(unused),
        }
    return CODE_INVALID % {"code": typed}


@require_GET
def tracking_lookup(request):
    """``/t/?kod=...``: the small form to type a code."""
    jurisdiction = _jurisdiction()
    typed = (request.GET.get("kod") or "").strip()
    error = ""
    if typed:
        code = tracking_code_normalize(typed)
        if code:
            return redirect("public:tracking", code=code)
        error = _code_refusal(typed)
    context = {**_site(jurisdiction), "typed": typed, "error": error}
    return render(request, "public/lookup.html", context, status=400 if error else 200)


@require_GET
def public_photo(request, code, photo_id):
    """A photo staff marked public; every other photo is a 404."""
    photo = Photo.objects.filter(
        pk=photo_id,
        is_public=True,
        request__tracking_code=tracking_code_normalize(code) or "-",
    ).first()
    if photo is None:
        raise Http404("no such public photo")
    response = FileResponse(photo.image.open("rb"), content_type=photo.content_type)
    # Staff may withdraw a photo from the public page at any time (a face,
    # a number plate seen late): no cache may keep serving it after that.
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def kvkk_notice(request):
    """``/kvkk/``: the information notice on personal data, on its own."""
    jurisdiction = _jurisdiction()
    context = {**_site(jurisdiction), "kvkk": kvkk_context(jurisdiction)}
    return render(request, "public/kvkk.html", context)
