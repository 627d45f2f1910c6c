"""Who may use the console: staff holding ``enter_call`` (operators, coordinators).

Pages answer other staff with a 403 page that says why; the JSON endpoint
answers with a JSON 401 or 403 in the same words.
"""

import logging
from functools import wraps

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from geopool.api.auth import json_error
from geopool.roles import can
from geopool.web.access import is_staff_member, staff_required

logger = logging.getLogger(__name__)

PERMISSION = "enter_call"
NO_CONSOLE = _(
    "The operator console is for call-centre operators and pool coordinators "
    "(the permission to enter phone requests). Ask the pool administrator for "
    "the operator role."
)
LOG_IN_FIRST = _("Log in as staff to use the operator console.")


def may_enter_calls(user):
    return is_staff_member(user) and can(user, PERMISSION)


def operator_required(view):
    """Decorate a page: log-in, staff profile, then ``enter_call`` or 403."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not can(request.user, PERMISSION):
            logger.info("console refused to %s", request.user.get_username())
            return render(request, "403.html", {"reason": NO_CONSOLE}, status=403)
        return view(request, *args, **kwargs)

    return staff_required(wrapped)


def operator_required_json(view):
    """Decorate a JSON endpoint: 401 without a staff log-in, 403 without the role."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_staff_member(request.user):
            return json_error(401, str(LOG_IN_FIRST))
        if not can(request.user, PERMISSION):
            return json_error(403, str(NO_CONSOLE))
        return view(request, *args, **kwargs)

    return wrapped
