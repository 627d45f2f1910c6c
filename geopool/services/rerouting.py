"""Routing a stored request again: after its category or location changed,
or because a coordinator asks.

One code path for the request page, the triage queue and any other caller:
the request row is locked (``select_for_update``) before its state is read,
re-routing is refused while a transfer waits for an answer or once the
request is finished (``WorkflowError``), and when the owner changes the new
owner starts afresh, as after ``coordinator_assign``: the old owner's crew
is cleared, the status goes back to new, the SLA clock restarts on the new
owner's calendar and the citizen is told.

The new decision is stored beside the old one (decisions are append-only,
``routing_rules.services.decision_store``); the request's owner follows it
and the move is an event on the request's record.

Example: an operator corrects a ``COP`` request's pin from Antakya into
Defne; ``request_change(request, location=(36.15, 36.13), actor=user)``
stores the new point, re-routes it and the request now belongs to Defne
Belediyesi, with both decisions on record.
"""

import logging

from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from geopool.models import Category, LocationSource, Status
from geopool.services.events import event_record
from geopool.services.notify import citizen_notify
from geopool.services.workflow import (
    FINISHED,
    WorkflowError,
    locked_request,
    sla_start,
)
from geopool.spatial import STORAGE_SRID
from routing_rules.decide import decide
from routing_rules.services.decision_store import decision_record

logger = logging.getLogger(__name__)


# What a refused re-route says (the request page shows it).
REROUTE_PENDING = _(
    "A transfer of this request is waiting for an answer; withdraw it or wait "
    "for the other body before routing it again."
)
REROUTE_FINISHED = _(
    "The request is “%(status)s”; reopen it before changing where it goes."
)


def _locked(request):
    return locked_request(request.pk, ("category", "owner_body", "assigned_crew"))


def _reroutable(locked):
    if locked.pending_transfer_id():
        raise WorkflowError(str(REROUTE_PENDING))
    if locked.status in FINISHED:
        raise WorkflowError(
            str(REROUTE_FINISHED) % {"status": Status(locked.status).label}
        )


def _owner_reset(locked, previous_owner_id, actor):
    """After a new decision: the new owner starts afresh. True if it moved."""
    if locked.owner_body_id == previous_owner_id:
        return False
    before = locked.status
    if locked.assigned_crew and locked.assigned_crew.body_id != locked.owner_body_id:
        locked.assigned_crew = None
    locked.status = Status.NEW
    sla_start(locked)
    locked.save()
    if before != Status.NEW:
        event_record(
            "request.status",
            locked,
            actor=actor,
            before={"status": before},
            after={"status": Status.NEW, "note": None},
        )
    return True


def _copy(locked, request):
    """Give the caller's instance what the locked row now holds."""
    for field in locked._meta.concrete_fields:
        setattr(request, field.attname, getattr(locked, field.attname))
    request._state.fields_cache.clear()


def request_reroute(request, *, actor=None, reason="asked"):
    """Decide ``request``'s owner again with today's rules and store it.

    ``reason`` is recorded with the event: "asked" (a coordinator),
    "category", "location". Raises RoutingError (e.g. OutsideServiceArea)
    or WorkflowError (a transfer waits, the request is finished) without
    changing anything. ``request`` is updated to the stored state.
    """
    with transaction.atomic():
        locked = _locked(request)
        _reroutable(locked)
        previous = locked.owner_body_id
        location = (locked.location.x, locked.location.y) if locked.location else None
        outcome = decide(location, locked.category)
        decision = decision_record(locked, outcome, actor=actor)
        event_record(
            "request.reroute",
            locked,
            actor=actor,
            after={"reason": reason, "owner": outcome.owner_code},
        )
        moved = _owner_reset(locked, previous, actor)
    _copy(locked, request)
    if moved:
        citizen_notify(locked, "transfer")
    logger.info(
        "request %s routed again (%s): %s",
        locked.tracking_code,
        reason,
        outcome.owner_code,
    )
    return decision


def request_change(request, *, category=None, location=None, actor=None):
    """Change a request's category and/or location; re-route if either changed.

    ``location`` is (lon, lat) in WGS 84. Returns the new decision, or None
    when nothing changed. Nothing is stored if the new place cannot be
    routed (the RoutingError says why) or the request may not move now
    (WorkflowError). ``request`` is updated to the stored state.
    """
    if category is not None and not isinstance(category, Category):
        category = Category.objects.get(code=category, is_active=True)
    point = None
    if location is not None:
        point = Point(float(location[0]), float(location[1]), srid=STORAGE_SRID)
    with transaction.atomic():
        locked = _locked(request)
        before, after, reasons = {}, {}, []
        if category is not None and category.pk != locked.category_id:
            before["category"] = locked.category.code
            after["category"] = category.code
            reasons.append("category")
        if point is not None and (
            locked.location is None or not point.equals_exact(locked.location, 1e-9)
        ):
            before["location"] = (
                [locked.location.x, locked.location.y] if locked.location else None
            )
            after["location"] = [point.x, point.y]
            reasons.append("location")
        if not reasons:
            return None
        _reroutable(locked)
        previous = locked.owner_body_id
        new_category = category if "category" in reasons else locked.category
        new_point = point if "location" in reasons else locked.location
        outcome = decide(
            (new_point.x, new_point.y) if new_point else None, new_category
        )
        locked.category = new_category
        if "location" in reasons:
            locked.location = new_point
            locked.location_source = LocationSource.OPERATOR_PIN
            # A pin is what a request waiting for its location needed.
            locked.needs_location = False
        locked.save(
            update_fields=["category", "location", "location_source", "needs_location"]
        )
        event_record("request.change", locked, actor=actor, before=before, after=after)
        decision = decision_record(locked, outcome, actor=actor)
        moved = _owner_reset(locked, previous, actor)
    _copy(locked, request)
    if moved:
        citizen_notify(locked, "transfer")
    return decision
