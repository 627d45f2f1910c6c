"""``/needs-location/``: requests that came as an address no one could place.

An Open311 post (or any channel) with an address the geocoder could not
place surely is stored without a point, flagged ``needs_location``. This
queue lists the open ones for operators and coordinators, oldest first,
with the address as written and the geocoder's best reading (district,
neighbourhood, confidence, why it was not enough). Pinning one (POST
``tracking_code``, ``lat``, ``lon``, decimal degrees with a point or a
Turkish decimal comma, ``geopool.web.coordinates``) stores the point as an
operator's pin and routes the request again through
``geopool.services.rerouting``; the request leaves the queue.
"""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from geocoding.match import reason_text
from geopool.models import Event, ServiceRequest, Status
from geopool.services.rerouting import request_change
from geopool.services.workflow import WorkflowError
from geopool.web.console.access import operator_required
from geopool.web.coordinates import latitude_field, longitude_field
from geopool.web.l10n import count_text
from geopool.web.requestpages.actions import OUTSIDE_AREA
from routing_rules.errors import OutsideServiceArea, RoutingError

PAGE_SIZE = 50


class PinForm(forms.Form):
    lat = latitude_field(required=True)
    lon = longitude_field(required=True)


@operator_required
def needs_location_queue(request):
    if request.method == "POST":
        return _pin(request)
    queue = (
        ServiceRequest.objects.filter(needs_location=True)
        .exclude(status__in=Status.closed_values())
        .select_related("category", "owner_body")
        # Emergencies first (a gas smell never waits behind older rubbish),
        # then the oldest.
        .order_by("-category__is_emergency", "-is_urgent", "requested_at", "id")
    )
    page = Paginator(queue, PAGE_SIZE).get_page(request.GET.get("page"))
    readings = {}
    ids = [str(item.pk) for item in page]
    for event in Event.objects.filter(
        action="request.geocode",
        object_type=ServiceRequest._meta.label_lower,
        object_id__in=ids,
    ).order_by("at"):
        readings[event.object_id] = event.after or {}
    rows = []
    for item in page:
        reading = readings.get(str(item.pk))
        if reading:
            # Stored in English for the API; shown in the page's language.
            reading = {
                **reading,
                "reason": reason_text(
                    reading.get("reason_code"),
                    reading.get("reason_params"),
                    fallback=reading.get("reason", ""),
                ),
            }
        rows.append({"request": item, "reading": reading})
    return render(
        request,
        "geocoding/needs_location.html",
        {"page": page, "rows": rows, "total": count_text(page.paginator.count)},
    )


def _pin(request):
    code = (request.POST.get("tracking_code") or "").strip().upper()
    form = PinForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label
            for error in errors:
                messages.error(request, f"{code}: {label}: {error}")
        return redirect("needs-location")
    lat, lon = form.cleaned_data["lat"], form.cleaned_data["lon"]
    with transaction.atomic():
        # Two operators pinning one request at once: the second waits for
        # the first's commit here, then finds it placed and changes nothing.
        item = (
            ServiceRequest.objects.select_for_update()
            .filter(tracking_code=code)
            .first()
        )
        if item is None:
            messages.error(request, _("No request has the code %s.") % code)
            return redirect("needs-location")
        if not item.needs_location:
            messages.error(
                request,
                _(
                    "%s no longer waits for a location: it was placed meanwhile. "
                    "Nothing was changed; check its page."
                )
                % code,
            )
            return redirect("needs-location")
        try:
            decision = request_change(item, location=(lon, lat), actor=request.user)
        except OutsideServiceArea:
            # Routing errors are written for the API, in English.
            messages.error(request, f"{code}: {OUTSIDE_AREA}")
            return redirect("needs-location")
        except (RoutingError, WorkflowError) as exc:
            messages.error(request, f"{code}: {exc}")
            return redirect("needs-location")
    owner = decision.owner_body.name if decision else item.owner_body.name
    messages.success(
        request,
        _("%(code)s is placed and routed again: %(owner)s.")
        % {"code": code, "owner": owner},
    )
    return redirect("needs-location")
