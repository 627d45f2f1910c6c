"""Who may change rule sets: coordinators and administrators.

Reading rule sets and testing a point are open to all staff
(``staff_required``); making drafts, editing, simulating and activating
need the coordinator or administrator role. Other staff get a 403 page that
says so, since logging in again would not help.
"""

import logging
from functools import wraps

from django.shortcuts import render
from django.utils.translation import gettext as _

from geopool.roles import ADMINISTRATOR, COORDINATOR, has_role
from geopool.web.access import staff_required

logger = logging.getLogger(__name__)


def is_coordinator(user):
    """Return True when ``user`` may draft, edit, simulate and activate rules."""
    return has_role(user, COORDINATOR, ADMINISTRATOR)


def coordinator_required(view):
    """Decorate ``view``: staff only, and 403 for staff who are no coordinator."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_coordinator(request.user):
            logger.info("rule page refused to %s", request.user.get_username())
            reason = _(
                "Rule sets are changed, simulated and activated by the pool "
                "coordinators. Ask the pool administrator for the coordinator role."
            )
            return render(request, "403.html", {"reason": reason}, status=403)
        return view(request, *args, **kwargs)

    return staff_required(wrapped)
