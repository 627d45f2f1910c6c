"""Creating requests: every channel (API, operator, web, samples) comes here.

The request is routed *before* it is written (``decide`` needs no row), then
the request, its contact data and its decision are written in one
transaction. A retried API post with the same ``external_id`` from the same
client returns the first request instead of creating a second one.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction
from django.utils import timezone

from geopool.models import Contact, Priority, ServiceRequest
from geopool.services.events import event_record
from geopool.services.workflow import CLOCK_FIELDS, sla_start
from geopool.spatial import STORAGE_SRID
from geopool.tracking import tracking_code_new
from routing_rules.decide import decide
from routing_rules.services.decision_store import decision_record

logger = logging.getLogger(__name__)

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


def request_create(intake):
    """Route and store one request; return an IntakeResult."""
    existing = _existing(intake)
    if existing is not None:
        return IntakeResult(existing, created=False)

    has_point = intake.lon is not None and intake.lat is not None
    location = Point(intake.lon, intake.lat, srid=STORAGE_SRID) if has_point else None
    outcome = decide(
        (intake.lon, intake.lat) if has_point else None,
        intake.category,
        intake.requested_at,
    )
    try:
        with transaction.atomic():
            request = _insert(intake, location)
            contact = {k: v for k, v in intake.contact.items() if v}
            if contact and not intake.is_anonymous:
                Contact.objects.create(request=request, **contact)
            decision_record(
                request,
                outcome,
                actor=intake.actor,
                actor_label=_actor_label(intake),
            )
            request.priority = Priority.URGENT if outcome.is_urgent else Priority.NORMAL
            sla_start(request, request.requested_at)
            request.save(update_fields=["priority", *CLOCK_FIELDS])
            if intake.geocode is not None:
                event_record(
                    "request.geocode",
                    request,
                    actor=intake.actor,
                    actor_label=_actor_label(intake),
                    after=_geocode_summary(intake.geocode, intake.needs_location),
                )
            event_record(
                "request.create",
                request,
                actor=intake.actor,
                actor_label=_actor_label(intake),
                after={
                    "tracking_code": request.tracking_code,
                    "category": intake.category.code,
                    "channel": intake.channel,
                },
            )
    except IntegrityError:
        # Two posts with the same external_id raced; the other one won.
        existing = _existing(intake)
        if existing is None:
            raise
        return IntakeResult(existing, created=False)
    logger.info(
        "request %s (%s) routed to %s",
        request.tracking_code,
        intake.category.code,
        outcome.owner_body.code,
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
    }


def _actor_label(intake):
    if intake.api_key is not None:
        return f"api:{intake.api_key.prefix}"
    if intake.is_sample:
        return "sample"
    return ""


def _insert(intake, location):
    values = {
        "category": intake.category,
        "channel": intake.channel,
        "description": intake.description,
        "location": location,
        "location_source": intake.location_source if location else "",
        "address_string": intake.address_string,
        "api_key": intake.api_key,
        "external_id": intake.external_id,
        "is_sample": intake.is_sample,
        "is_anonymous": intake.is_anonymous,
        "needs_location": intake.needs_location,
        "requested_at": intake.requested_at or timezone.now(),
        "created_by": intake.actor
        if getattr(intake.actor, "is_authenticated", False)
        else None,
    }
    for _ in range(5):
        try:
            with transaction.atomic():
                return ServiceRequest.objects.create(
                    tracking_code=tracking_code_new(), **values
                )
        except IntegrityError as exc:
            if "tracking_code" not in str(exc):
                raise
    raise RuntimeError("could not draw a free tracking code in 5 tries")
