"""Routing a stored request again: after its category or location changed,
or because a coordinator asks.

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

from geopool.models import Category, LocationSource
from geopool.services.events import event_record
from geopool.spatial import STORAGE_SRID
from routing_rules.decide import decide
from routing_rules.services.decision_store import decision_record

logger = logging.getLogger(__name__)


def request_reroute(request, *, actor=None, reason="asked"):
    """Decide ``request``'s owner again with today's rules and store it.

    ``reason`` is recorded with the event: "asked" (a coordinator),
    "category", "location". Raises RoutingError (e.g. OutsideServiceArea)
    without changing anything.
    """
    location = (request.location.x, request.location.y) if request.location else None
    outcome = decide(location, request.category)
    with transaction.atomic():
        decision = decision_record(request, outcome, actor=actor)
        event_record(
            "request.reroute",
            request,
            actor=actor,
            after={"reason": reason, "owner": outcome.owner_body.code},
        )
    logger.info(
        "request %s routed again (%s): %s",
        request.tracking_code,
        reason,
        outcome.owner_body.code,
    )
    return decision


def request_change(request, *, category=None, location=None, actor=None):
    """Change a request's category and/or location; re-route if either changed.

    ``location`` is (lon, lat) in WGS 84. Returns the new decision, or None
    when nothing changed. Nothing is stored if the new place cannot be
    routed (the RoutingError says why).
    """
    before, after, reasons = {}, {}, []
    if category is not None:
        if not isinstance(category, Category):
            category = Category.objects.get(code=category, is_active=True)
        if category.pk != request.category_id:
            before["category"] = request.category.code
            after["category"] = category.code
            reasons.append("category")
    if location is not None:
        point = Point(float(location[0]), float(location[1]), srid=STORAGE_SRID)
        if request.location is None or not point.equals_exact(request.location, 1e-9):
            before["location"] = (
                [request.location.x, request.location.y] if request.location else None
            )
            after["location"] = [point.x, point.y]
            reasons.append("location")
    if not reasons:
        return None
    new_category = category if "category" in reasons else request.category
    new_point = point if "location" in reasons else request.location
    outcome = decide((new_point.x, new_point.y) if new_point else None, new_category)
    with transaction.atomic():
        request.category = new_category
        if "location" in reasons:
            request.location = new_point
            request.location_source = LocationSource.OPERATOR_PIN
            # A pin is what a request waiting for its location needed.
            request.needs_location = False
        request.save(
            update_fields=["category", "location", "location_source", "needs_location"]
        )
        event_record("request.change", request, actor=actor, before=before, after=after)
        decision = decision_record(request, outcome, actor=actor)
    return decision
