"""Staff roles, kept as Django groups.

Group names are stable identifiers; their Turkish labels are for display.
Permissions grow with the pool; every staff page needs at least a log-in and
a staff profile linking the user to a body.
"""

from django.contrib.auth.models import Group

OPERATOR = "operator"
BODY_STAFF = "body_staff"
PLANNER = "planner"
COORDINATOR = "coordinator"
ADMINISTRATOR = "administrator"

LABELS = {
    OPERATOR: "Çağrı merkezi operatörü",
    BODY_STAFF: "Kurum personeli",
    PLANNER: "Planlamacı",
    COORDINATOR: "Havuz koordinatörü",
    ADMINISTRATOR: "Yönetici",
}


def roles_ensure():
    """Create the role groups if missing; return them by name."""
    return {name: Group.objects.get_or_create(name=name)[0] for name in LABELS}


def has_role(user, *roles):
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name__in=roles).exists()
