"""Creating requests: every channel (API, operator, web, samples) comes here.

The request is routed *before* it is written (``decide`` needs no row), then
the request, its contact data, its decision and its events are written by
one statement. A retried API post with the same ``external_id`` from the same
client returns the first request instead of creating a second one.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction
from django.utils import timezone

from geopool.models import Contact, Priority, ServiceRequest
from geopool.services.events import event_new
from geopool.services.intake_write import write_request
from geopool.services.pool_state import pool_state
from geopool.services.workflow import is_reachable, sla_start
from geopool.spatial import STORAGE_SRID
from geopool.tracking import tracking_code_new
from routing_rules.context import live_context
from routing_rules.decide import decide
from routing_rules.services.decision_store import decision_new

logger = logging.getLogger(__name__)

TRACKING_CODE_TRIES = 5

CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "phone",
    "email",
    "tc_kimlik_no",
    "device_id",
    "account_id",
)


@dataclass
class Intake:
    category: object  # Category
    channel: str
    lon: float | None = None
    lat: float | None = None
    location_source: str = ""
    description: str = ""
    address_string: str = ""
    contact: dict = field(default_factory=dict)
    api_key: object = None
    external_id: str = ""
    is_sample: bool = False
    requested_at: datetime | None = None
    actor: object = None
    # Anonymous reports are worked but have no legal answer clock and no
    # messages to the citizen (any contact given is not stored).
    is_anonymous: bool = False
    # The pool state the caller already read (validating the category), so
    # that routing state is read once per request; default: read it here.
    state: object = None
    # An address without a point: the geocoder's answer (GeocodeResult.as_json)
    # and whether the request waits for an operator's pin.
    geocode: dict | None = None
    needs_location: bool = False


@dataclass
class IntakeResult:
    request: ServiceRequest
    created: bool
    outcome: object = None  # routing_rules.decide.Outcome for new requests


def _existing(intake):
    if not (intake.api_key and intake.external_id):
        return None
    return ServiceRequest.objects.filter(
        api_key=intake.api_key, external_id=intake.external_id
    ).first()


def request_create(intake, *, within=None):
    """Route and store one request; return an IntakeResult.

    Everything that reads (the routing decision, the SLA target and due
    time, the rows to write) is done before anything is written; then the
    request, its contact, its decision and its events are one statement
    (``intake_write``), in autocommit its own transaction. ``within(request)``,
    if given, runs in the same transaction (a photo that is refused rolls
    the request back).

    A retried post (an ``external_id`` this client already used) is not
    looked up first: its INSERT breaks the unique constraint and the request
    stored first is returned. A tracking code already taken (one in 3.4
    billion) is drawn again. Called inside an open transaction, each try is
    a savepoint, as the outer transaction must survive a failed try.
    """
    state = intake.state if getattr(intake.state, "context", None) else None
    state = state or pool_state(live_context())
    context = state.context
    has_point = intake.lon is not None and intake.lat is not None
    location = Point(intake.lon, intake.lat, srid=STORAGE_SRID) if has_point else None
    outcome = decide(
        (intake.lon, intake.lat) if has_point else None,
        intake.category,
        intake.requested_at,
        context=context,
    )
    request = _new(intake, location, outcome)
    contact = {k: v for k, v in intake.contact.items() if v}
    sla_start(
        request,
        request.requested_at,
        state=state,
        body_code=outcome.owner_code,
        reachable=is_reachable(request, contact),
    )
    label = _actor_label(intake)
    for attempt in range(1, TRACKING_CODE_TRIES + 1):
        request.tracking_code = tracking_code_new()
        try:
            if within is None and not transaction.get_connection().in_atomic_block:
                # One statement in autocommit: its own transaction.
                _write(request, intake, outcome, contact, label)
            else:
                with transaction.atomic():
                    _write(request, intake, outcome, contact, label)
                    if within is not None:
                        within(request)
            break
        except IntegrityError as exc:
            request.pk = None
            request._state.adding = True
            if "tracking_code" in _diagnosed(exc, "constraint_name"):
                logger.warning(
                    "tracking code %s was taken (try %d of %d)",
                    request.tracking_code,
                    attempt,
                    TRACKING_CODE_TRIES,
                )
                continue
            if _diagnosed(exc, "column_name") == "shape_id":
                # The decision's shape was being stored by another request
                # at the same moment; it is there now.
                logger.info("decision shape stored concurrently; writing again")
                continue
            # A retried post, or two posts with the same external_id raced.
            existing = _existing(intake)
            if existing is None:
                raise
            return IntakeResult(existing, created=False)
    else:
        raise RuntimeError(
            f"could not draw a free tracking code in {TRACKING_CODE_TRIES} tries"
        )
    logger.info(
        "request %s (%s) routed to %s",
        request.tracking_code,
        intake.category.code,
        outcome.owner_code,
    )
    return IntakeResult(request, created=True, outcome=outcome)


def _geocode_summary(result, needs_location):
    return {
        "level": result["level"],
        "confidence": result["confidence"],
        "district": (result["district"] or {}).get("name"),
        "neighbourhood": (result["neighbourhood"] or {}).get("name"),
        "street": (result["street"] or {}).get("name"),
        "location_source": result["location_source"],
        "needs_location": needs_location,
        "reason": result["reason"],
        "reason_code": result.get("reason_code"),
        "reason_params": result.get("reason_params") or {},
    }


def _actor_label(intake):
    if intake.api_key is not None:
        return f"api:{intake.api_key.prefix}"
    if intake.is_sample:
        return "sample"
    return ""


def _diagnosed(exc, field):
    """What PostgreSQL named in an IntegrityError (``constraint_name`` a
    constraint broken, ``column_name`` a NOT NULL column), or ''."""
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, field, None) or ""


def _new(intake, location, outcome):
    """The unsaved request, owned as ``outcome`` decides."""
    return ServiceRequest(
        category=intake.category,
        channel=intake.channel,
        description=intake.description,
        location=location,
        location_source=intake.location_source if location else "",
        address_string=intake.address_string,
        api_key=intake.api_key,
        external_id=intake.external_id,
        is_sample=intake.is_sample,
        is_anonymous=intake.is_anonymous,
        needs_location=intake.needs_location,
        requested_at=intake.requested_at or timezone.now(),
        created_by=intake.actor
        if getattr(intake.actor, "is_authenticated", False)
        else None,
        owner_body_id=outcome.owner_body_id,
        owner_department_id=outcome.owner_department_id,
        needs_triage=outcome.needs_triage,
        is_urgent=outcome.is_urgent,
        priority=Priority.URGENT if outcome.is_urgent else Priority.NORMAL,
    )


def _write(request, intake, outcome, contact, label):
    """The rows of one new request, written by one statement."""
    events = []
    if intake.geocode is not None:
        events.append(
            event_new(
                "request.geocode",
                request,
                actor=intake.actor,
                actor_label=label,
                after=_geocode_summary(intake.geocode, intake.needs_location),
            )
        )
    events += [
        event_new(
            "request.route",
            request,
            actor=intake.actor,
            actor_label=label,
            after={
                "owner": outcome.owner_code,
                "department": outcome.department_code or None,
                "rule": outcome.rule_code,
                "flags": outcome.flags,
            },
        ),
        event_new(
            "request.create",
            request,
            actor=intake.actor,
            actor_label=label,
            after={
                "tracking_code": request.tracking_code,
                "category": intake.category.code,
                "channel": intake.channel,
            },
        ),
    ]
    write_request(
        request,
        contact=Contact(request=request, **contact)
        if contact and not intake.is_anonymous
        else None,
        decision=decision_new(request, outcome),
        events=events,
    )
