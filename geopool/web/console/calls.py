"""What the operator console does with a call.

- ``call_preview``: the routing decision at the point and the open requests
  of the same category nearby, before anything is saved (the page asks
  ``/api/route`` and ``/console/nearby`` for the same as the operator clicks;
  this is the answer of the "check" button, without JavaScript);
- ``call_save``: a new phone request through ``intake.request_create``;
- ``caller_attach``: the caller reports an open request again; it gets an
  internal note and the caller its tracking code, nothing personal is kept;
- ``information_call_record``: a question answered during the call, stored
  already closed.

Refusals are ``CallRefused`` with a message for the operator and the form
field at fault.
"""

import logging
from dataclasses import dataclass, field

from django.conf import settings as django_settings
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from geopool.errors import GeopoolError
from geopool.models import Category, Channel, Jurisdiction, ServiceRequest, Status
from geopool.models.requests import LocationSource
from geopool.models.workflow import Note
from geopool.services.duplicates import duplicates_near
from geopool.services.events import event_record
from geopool.services.intake import Intake, request_create
from geopool.services.workflow import status_change
from geopool.visibility import requests_visible_to
from geopool.web.l10n import count_text, datetime_text
from routing_rules.decide import decide, owner_label
from routing_rules.errors import OutsideServiceArea, RoutingError, UnknownCategory

logger = logging.getLogger(__name__)

OUTSIDE_AREA = _(
    "The point (latitude %(lat)s, longitude %(lon)s) is outside the service "
    "area: farther than %(buffer)s m from every district. Check that latitude "
    "and longitude are not swapped and are decimal degrees."
)
UNKNOWN_CATEGORY = _(
    "The category “%(code)s” is not in the catalogue or no longer in use; "
    "choose another."
)
NOT_ROUTED = _("The request could not be routed: %(reason)s")
NO_SUCH_REQUEST = _("No request has the tracking code %(code)s.")
ALREADY_CLOSED = _(
    "Request %(code)s is already “%(status)s”; save this call as a new request."
)
ANOTHER_CALLER = _("Another caller reported this (call of %(when)s).")
INFO_ACCEPTED = _("Information call, answered by the operator during the call.")
INFO_CLOSED = _("Closed during the call.")


class CallRefused(GeopoolError):
    """The call cannot be stored as given; ``field`` names the input at fault."""

    def __init__(self, message, field=None):
        self.field = field
        super().__init__(message)


@dataclass
class DecisionPreview:
    owner: str
    body_code: str
    explanation: str
    emergency_phone: str
    is_urgent: bool
    needs_triage: bool
    district: str


@dataclass
class NearbyRequest:
    tracking_code: str
    status: str
    status_label: str
    distance_m: float
    received: object  # datetime
    owner: str

    @property
    def received_text(self):
        return datetime_text(self.received)

    def as_json(self):
        return {
            "tracking_code": self.tracking_code,
            "status": self.status,
            "status_label": self.status_label,
            "distance_m": self.distance_m,
            "received": timezone.localtime(self.received).isoformat(),
            "received_text": self.received_text,
            "owner": self.owner,
        }


@dataclass
class Preview:
    decision: DecisionPreview | None = None
    error: str = ""
    nearby: list = field(default_factory=list)
    radius_m: int = 0


def _settings():
    jurisdiction = Jurisdiction.objects.order_by("id").first()
    return jurisdiction.settings if jurisdiction else {}


def district_layer():
    """The code of the jurisdiction's district layer (drawn on the map)."""
    return _settings().get("district_layer", "")


def _degrees(value):
    """Degrees as typed, in the active language: ``36,5`` in Turkish."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text.replace(".", formats.get_format("DECIMAL_SEPARATOR"))


def _routing_refusal(exc, category, lon, lat):
    """A CallRefused in the operator's language for a RoutingError."""
    if isinstance(exc, OutsideServiceArea):
        buffer = _settings().get("service_area_buffer_m", 0)
        message = OUTSIDE_AREA % {
            "lat": _degrees(lat),
            "lon": _degrees(lon),
            "buffer": count_text(buffer),
        }
        return CallRefused(message, "lon")
    if isinstance(exc, UnknownCategory):
        code = getattr(category, "code", category)
        return CallRefused(UNKNOWN_CATEGORY % {"code": code}, "category")
    return CallRefused(NOT_ROUTED % {"reason": exc})


def decision_preview(outcome, category):
    place = outcome.place
    return DecisionPreview(
        owner=outcome.owner_label,
        body_code=outcome.owner_body.code,
        explanation=outcome.explanation_tr
        if (translation.get_language() or "").startswith("tr")
        else outcome.explanation_en,
        emergency_phone=category.emergency_phone if category.is_emergency else "",
        is_urgent=outcome.is_urgent,
        needs_triage=outcome.needs_triage,
        district=place.district_name if place and place.district_code else "",
    )


def nearby_open(category, lon, lat, user):
    """Open requests of ``category`` near the point that ``user`` may see."""
    found = duplicates_near(category, lon, lat)
    visible = set(
        requests_visible_to(
            user, ServiceRequest.objects.filter(pk__in=[r.pk for r, _ in found])
        ).values_list("pk", flat=True)
    )
    rows = []
    for item, metres in found:
        if item.pk not in visible:
            continue
        rows.append(
            NearbyRequest(
                tracking_code=item.tracking_code,
                status=item.status,
                status_label=str(Status(item.status).label),
                distance_m=metres,
                received=item.requested_at,
                owner=_owner_of(item),
            )
        )
    return rows


def _owner_of(item):
    if item.owner_body is None:
        return ""
    return owner_label(item.owner_body, item.owner_department)


def call_preview(category, lon, lat, user):
    """The decision and the nearby open requests, nothing stored."""
    try:
        outcome = decide((lon, lat), category)
    except RoutingError as exc:
        return Preview(error=str(_routing_refusal(exc, category, lon, lat)))
    return Preview(
        decision=decision_preview(outcome, category),
        nearby=nearby_open(category, lon, lat, user),
        radius_m=category.duplicate_radius_m,
    )


def call_save(form, operator):
    """Store the call of a valid ``CallForm``; return the IntakeResult."""
    data = form.cleaned_data
    intake = Intake(
        category=form.chosen_category,
        channel=Channel.PHONE,
        lon=data["lon"],
        lat=data["lat"],
        location_source=LocationSource.OPERATOR_PIN,
        description=data["description"].strip(),
        address_string=data["address_string"].strip(),
        contact=form.contact(),
        actor=operator,
        is_anonymous=data["is_anonymous"],
    )
    try:
        result = request_create(intake)
    except RoutingError as exc:
        raise _routing_refusal(
            exc, form.chosen_category, data["lon"], data["lat"]
        ) from exc
    logger.info("console: %s saved call %s", operator.get_username(), result.request)
    return result


def caller_attach(tracking_code, operator, at=None):
    """Record that another caller reported the open request ``tracking_code``.

    The request gets an internal note with the time of the call; the caller's
    details are not stored (the caller follows the request with its tracking
    code). The note is written here rather than with ``workflow.note_add``,
    which admits the owning body's staff only: an operator adds to any body's
    request.
    """
    at = at or timezone.now()
    code = (tracking_code or "").strip().upper()
    with transaction.atomic():
        visible = requests_visible_to(operator).filter(tracking_code=code)
        item = visible.select_for_update(of=("self",)).first()
        if item is None:
            raise CallRefused(NO_SUCH_REQUEST % {"code": code})
        if item.status in Status.closed_values():
            raise CallRefused(
                ALREADY_CLOSED % {"code": code, "status": Status(item.status).label}
            )
        with translation.override(_site_language()):
            text = ANOTHER_CALLER % {"when": datetime_text(at)}
        profile = getattr(operator, "staff", None)
        Note.objects.create(
            request=item,
            author=operator,
            body=profile.body if profile else item.owner_body,
            text=text,
        )
        event_record(
            "request.note",
            item,
            actor=operator,
            after={"note": text, "source": "console"},
        )
    logger.info("console: %s attached a caller to %s", operator.get_username(), code)
    return item


def _site_language():
    """Notes are stored in the site's language, whoever writes them."""
    return django_settings.LANGUAGE_CODE


def information_categories():
    """Categories an information call can be filed under.

    Those the rules give, without a location, to the pool coordinator's
    own desk (the jurisdiction's ``coordinator_body`` and, when set,
    ``coordinator_department``) by a rule of their own, not by the triage
    fallback: "other and information" in Hatay. Emergencies never are.
    """
    settings = _settings()
    body = settings.get("coordinator_body")
    department = settings.get("coordinator_department")
    found = []
    for category in Category.objects.filter(is_active=True, is_emergency=False):
        try:
            outcome = decide(None, category)
        except RoutingError:
            continue
        if outcome.needs_triage or outcome.owner_body.code != body:
            continue
        dept = outcome.owner_department
        if department and (dept is None or dept.code != department):
            continue
        found.append(category)
    return found


def information_call_record(category, question, answer, operator):
    """Store an information call answered on the phone, already closed.

    Every request in geopool has an owner from a routing decision, and
    ``intake.request_create`` always routes: there is no way to create a
    request that skips it, and none should be added for this. So the call
    is routed like any other, without a location, in a category whose rule
    gives the pool coordinator (``information_categories``: the coordinator's
    desk is the operator's own body, so nothing goes to another body), and
    then, in the same transaction, moved through the ordinary workflow:
    accepted, resolved with the operator's answer as the citizen-facing
    answer (which stops the legal answer clock), and closed. Each move is
    an event like any other; if one is refused (an operator of another
    body, for instance) nothing is stored and the message says why.
    """
    with transaction.atomic():
        result = request_create(
            Intake(
                category=category,
                channel=Channel.PHONE,
                description=question.strip(),
                actor=operator,
            )
        )
        item = result.request
        with translation.override(_site_language()):
            accepted, closed = str(INFO_ACCEPTED), str(INFO_CLOSED)
        # Operators hold enter_call, not work_request: closing the call they
        # took is part of taking it.
        moves = [
            (Status.ACCEPTED, {"note": accepted}),
            (Status.RESOLVED, {"answer": answer}),
            (Status.CLOSED, {"note": closed}),
        ]
        for status, text in moves:
            item = status_change(
                item, status, actor=operator, permission="enter_call", **text
            )
    logger.info(
        "console: %s answered information call %s",
        operator.get_username(),
        item.tracking_code,
    )
    return item
