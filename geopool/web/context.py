"""Template context every staff page shares: which sections the user may open."""

from geopool.roles import ADMINISTRATOR, COORDINATOR, PLANNER, can, has_role
from geopool.web.access import is_staff_member


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    inbox = is_staff_member(user) and (
        can(user, "work_request") or can(user, "coordinate_pool")
    )
    return {
        "nav": {
            "triage": has_role(user, COORDINATOR, ADMINISTRATOR),
            "planning": has_role(user, PLANNER),
            "rules": is_staff_member(user),
            "inbox": inbox,
            # Staff without an inbox (operators) find requests here; the
            # inbox has its own tab for it.
            "search": is_staff_member(user) and not inbox,
            "console": is_staff_member(user) and can(user, "enter_call"),
            # Requests whose address could not be placed: operators pin them.
            "needs_location": is_staff_member(user) and can(user, "enter_call"),
            "crew": is_staff_member(user) and can(user, "work_request"),
        }
    }
