"""Possible duplicates, and incidents that answer many requests at once.

A new request is a possible duplicate of an open request of the same
category within the category's radius (``Category.duplicate_radius_m``, in
metres on the ground; 0 turns it off) received within its time window
(``Category.duplicate_window_hours``). The operator sees the suggestions
before saving and the owner sees them in the inbox; nothing is merged
automatically.

An owning body can group requests into an ``Incident`` and answer once:
every request gets the answer, is resolved and its citizen is told.
"""

import datetime as dt
import logging

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geopool.models import ServiceRequest, Status
from geopool.models.workflow import Incident
from geopool.services.events import event_record
from geopool.services.workflow import WorkflowError, require_owner_staff, status_change
from geopool.spatial import STORAGE_SRID

logger = logging.getLogger(__name__)

SUGGESTIONS = 10

_NEAR = f"""
    SELECT r.id, ST_Distance(r.location::geography, p.g::geography) AS metres
    FROM geopool_servicerequest r,
         (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), {STORAGE_SRID}) AS g) p
    WHERE r.category_id = %(category)s
      AND r.status <> ALL(%(closed)s)
      AND r.requested_at >= %(since)s
      AND r.id <> %(exclude)s
      AND ST_DWithin(r.location::geography, p.g::geography, %(radius)s)
    ORDER BY metres, r.requested_at DESC
    LIMIT %(limit)s
"""


def duplicates_near(category, lon, lat, *, at=None, exclude=None):
    """Open requests that may be the same problem: [(request, metres)]."""
    radius = category.duplicate_radius_m or 0
    if radius <= 0 or lon is None or lat is None:
        return []
    at = at or timezone.now()
    since = at - dt.timedelta(hours=category.duplicate_window_hours or 0)
    with connection.cursor() as cursor:
        cursor.execute(
            _NEAR,
            {
                "lon": lon,
                "lat": lat,
                "category": category.pk,
                "closed": sorted(Status.closed_values()),
                "since": since,
                "exclude": exclude or 0,
                "radius": radius,
                "limit": SUGGESTIONS,
            },
        )
        rows = cursor.fetchall()
    found = ServiceRequest.objects.in_bulk([r[0] for r in rows])
    return [(found[r[0]], round(r[1], 1)) for r in rows]


def duplicates_of(request):
    if request.location is None:
        return []
    return duplicates_near(
        request.category,
        request.location.x,
        request.location.y,
        at=request.requested_at,
        exclude=request.pk,
    )


def incident_create(requests, title, *, actor):
    """Group ``requests`` (all owned by the actor's body) into one incident."""
    requests = list(requests)
    if len(requests) < 2:
        raise WorkflowError(_("An incident groups at least two requests."))
    owners = {r.owner_body_id for r in requests}
    if len(owners) != 1:
        raise WorkflowError(_("The requests of an incident must have the same owner."))
    for item in requests:
        require_owner_staff(actor, item)
    with transaction.atomic():
        incident = Incident.objects.create(
            body=requests[0].owner_body, title=title.strip(), created_by=actor
        )
        incident.requests.set(requests)
        for item in requests:
            event_record(
                "request.incident",
                item,
                actor=actor,
                after={"incident": incident.pk, "title": incident.title},
            )
    return incident


def incident_answer(incident, text, *, actor):
    """Answer every open request of the incident once and resolve them."""
    if not text.strip():
        raise WorkflowError(
            _("The answer is empty; write what the citizens should read.")
        )
    done, refused = [], []
    for item in incident.requests.exclude(status__in=Status.closed_values()):
        try:
            done.append(status_change(item, Status.RESOLVED, actor=actor, answer=text))
        except WorkflowError as exc:
            refused.append((item.tracking_code, str(exc)))
    return done, refused
