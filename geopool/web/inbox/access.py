"""Who may open the inbox pages, and whose requests an inbox holds.

A body's inbox holds the requests its body owns now; the requests offered
to it by a pending transfer are listed apart ("offered to us"). Pool
coordinators see every body's inbox, with a body filter. Every list is also
cut by ``geopool.visibility.requests_visible_to``, so no page can show more
than the user may see anywhere else.

The inbox needs ``work_request`` (body staff, managers, field crews) or
``coordinate_pool``; exporting needs ``export_requests``; bulk acceptance,
a manager's job, needs ``assign_request``; answering a transfer needs
``transfer_request``. The staff search is open to every staff member (its
results are cut by visibility); searching by phone needs ``view_contact``.
"""

import logging
from functools import wraps

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from geopool.models import ServiceRequest
from geopool.roles import can, staff_profile
from geopool.visibility import requests_visible_to
from geopool.web.access import staff_required

logger = logging.getLogger(__name__)

INBOX_REFUSED = _(
    "The inbox is for the staff who work on requests and for the pool "
    "coordinators. Ask the pool administrator for a role that works requests."
)
COORDINATORS_ONLY = _(
    "This page is for the pool coordinators. Ask the pool administrator for the "
    "coordinator role."
)


def may_use_inbox(user):
    return can(user, "work_request") or can(user, "coordinate_pool")


def sees_pool(user):
    """True when ``user`` sees every body's inbox (a pool coordinator)."""
    return can(user, "coordinate_pool")


def body_of(user):
    """The body ``user`` works for, or None."""
    profile = staff_profile(user)
    return profile.body if profile else None


def refuse(request, reason, status=403):
    logger.info("inbox page %s refused to %s", request.path, request.user)
    return render(request, "403.html", {"reason": reason}, status=status)


def inbox_required(view):
    """Decorate ``view``: staff who work requests or coordinate the pool."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not may_use_inbox(request.user):
            return refuse(request, INBOX_REFUSED)
        return view(request, *args, **kwargs)

    return staff_required(wrapped)


def coordinator_required(view):
    """Decorate ``view``: pool coordinators only."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not sees_pool(request.user):
            return refuse(request, COORDINATORS_ONLY)
        return view(request, *args, **kwargs)

    return staff_required(wrapped)


def inbox_requests(user, body=None):
    """The requests of ``user``'s inbox; coordinators: all, or ``body``'s."""
    visible = requests_visible_to(user, ServiceRequest.objects.all())
    if sees_pool(user):
        return visible.filter(owner_body=body) if body is not None else visible
    own = body_of(user)
    if own is None:
        return visible.none()
    return visible.filter(owner_body=own)
