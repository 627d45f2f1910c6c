"""Staff roles, kept as Django groups.

Group names are stable identifiers; their Turkish labels are for display.
Each role carries Django permissions (``PERMISSIONS``, on
``geopool.ServiceRequest``), which pages and APIs check; every staff page
also needs a log-in and a staff profile linking the user to a body.

- call-centre operator: enters phone requests, sees every request (to find
  duplicates and answer callers), never reveals personal data;
- body staff: works its body's inbox (status, notes, photos, transfers);
- body manager: as body staff, plus assigning to departments and crews,
  bulk acceptance and exports;
- field crew: sees and works the tickets of its crew, from the phone;
- planner: layers; coordinator: sees all, settles transfers and triage,
  rules; administrator: everything.
"""

from django.contrib.auth.models import Group, Permission

OPERATOR = "operator"
BODY_STAFF = "body_staff"
BODY_MANAGER = "body_manager"
FIELD_CREW = "field_crew"
PLANNER = "planner"
COORDINATOR = "coordinator"
ADMINISTRATOR = "administrator"

LABELS = {
    OPERATOR: "Çağrı merkezi operatörü",
    BODY_STAFF: "Kurum personeli",
    BODY_MANAGER: "Kurum yöneticisi",
    FIELD_CREW: "Saha ekibi",
    PLANNER: "Planlamacı",
    COORDINATOR: "Havuz koordinatörü",
    ADMINISTRATOR: "Yönetici",
}


_WORK = ["work_request", "transfer_request", "view_contact"]
PERMISSIONS = {
    OPERATOR: ["enter_call"],
    BODY_STAFF: _WORK,
    BODY_MANAGER: [*_WORK, "assign_request", "export_requests"],
    FIELD_CREW: ["work_request"],
    PLANNER: [],
    COORDINATOR: [
        *_WORK,
        "assign_request",
        "export_requests",
        "coordinate_pool",
        "enter_call",
    ],
    ADMINISTRATOR: [
        *_WORK,
        "assign_request",
        "export_requests",
        "coordinate_pool",
        "enter_call",
    ],
}


def roles_ensure():
    """Create the role groups with their permissions; return them by name."""
    groups = {}
    for name in LABELS:
        group = Group.objects.get_or_create(name=name)[0]
        wanted = Permission.objects.filter(
            content_type__app_label="geopool", codename__in=PERMISSIONS[name]
        )
        group.permissions.set(wanted)
        groups[name] = group
    return groups


def can(user, permission):
    """``user`` holds ``geopool.<permission>`` (through a role or directly)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.has_perm(f"geopool.{permission}")
    )


def has_role(user, *roles):
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    # Read once per user object (i.e. once per request, as Django caches
    # permissions in has_perm): a page asks several times.
    names = getattr(user, "_geopool_role_names", None)
    if names is None:
        names = frozenset(user.groups.values_list("name", flat=True))
        user._geopool_role_names = names
    return not names.isdisjoint(roles)


def staff_profile(user):
    """``user``'s StaffProfile with its body, or None; read once per user object."""
    if not getattr(user, "is_authenticated", False):
        return None
    missing = object()
    profile = getattr(user, "_geopool_staff_profile", missing)
    if profile is missing:
        from geopool.models import StaffProfile

        profile = StaffProfile.objects.select_related("body").filter(user=user).first()
        user._geopool_staff_profile = profile
    return profile
