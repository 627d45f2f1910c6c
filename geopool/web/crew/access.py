"""Who may use the crew page: staff who work requests (``work_request``).

Field crews, a body's staff and managers, and coordinators. The page answers
others with a 403 page that says why; its JSON endpoints with a JSON 401 or
403 in the same words.
"""

import logging
from functools import wraps

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from geopool.api.auth import json_error
from geopool.roles import can
from geopool.web.access import is_staff_member, staff_required

logger = logging.getLogger(__name__)

PERMISSION = "work_request"
NO_CREW_PAGE = _(
    "The field crew page is for staff who work on requests (field crews, a "
    "body's staff and managers, pool coordinators)."
)
LOG_IN_FIRST = _("Log in as staff to use the field crew page.")


def crew_required(view):
    """Decorate a page: log-in, staff profile, then ``work_request`` or 403."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not can(request.user, PERMISSION):
            logger.info("crew page refused to %s", request.user.get_username())
            return render(request, "403.html", {"reason": NO_CREW_PAGE}, status=403)
        return view(request, *args, **kwargs)

    return staff_required(wrapped)


def crew_required_json(view):
    """Decorate a JSON endpoint: 401 without a staff log-in, 403 without the right."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_staff_member(request.user):
            return json_error(401, str(LOG_IN_FIRST))
        if not can(request.user, PERMISSION):
            return json_error(403, str(NO_CREW_PAGE))
        return view(request, *args, **kwargs)

    return wrapped
