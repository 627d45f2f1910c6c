"""Who may open staff pages: the one check every staff view goes through.

Staff are logged-in users with a ``StaffProfile`` (which ties them to the
body they work for) and superusers. An anonymous visitor is sent to the
log-in page and comes back afterwards; a logged-in user who is neither gets
403 rather than a log-in loop, since logging in again would not help.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from geopool.roles import staff_profile


def is_staff_member(user):
    """Return True when ``user`` may use geopool's staff pages."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return staff_profile(user) is not None


def staff_required(view):
    """Decorate ``view``: log-in for anonymous users, 403 for non-staff."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_staff_member(request.user):
            raise PermissionDenied("staff profile required")
        return view(request, *args, **kwargs)

    return wrapped
