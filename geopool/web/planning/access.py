"""Who may open the planners' pages: the planner role, or a superuser.

An anonymous visitor is sent to log in and comes back; other staff get a
403 page that says what the pages are for, since logging in again would not
help.
"""

import logging
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render

from geopool.roles import PLANNER, has_role

logger = logging.getLogger(__name__)


def is_planner(user):
    """Return True when ``user`` may use the planners' pages."""
    return bool(getattr(user, "is_active", False)) and has_role(user, PLANNER)


def planner_required(view):
    """Decorate ``view``: log-in for anonymous users, 403 for non-planners."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_planner(request.user):
            logger.info("planning page refused to %s", request.user.get_username())
            return render(request, "planning/403.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped
