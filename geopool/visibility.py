"""Which requests a staff member may see.

A body's staff (and its managers and field crews) see the requests their
body owns now or has owned (any of its decisions), and the requests offered
to it by a transfer proposal. The pool coordinators, call-centre operators, planners and
administrators work across bodies and see all. Every list, count and map of
requests goes through ``requests_visible_to`` (or, in hand-written SQL,
``VISIBLE_SQL`` with the ``scope_body`` parameter).
"""

from django.db.models import Exists, OuterRef, Q

from geopool.models import ServiceRequest, Transfer
from geopool.roles import (
    ADMINISTRATOR,
    COORDINATOR,
    OPERATOR,
    PLANNER,
    has_role,
    staff_profile,
)

SEE_ALL = (COORDINATOR, OPERATOR, PLANNER, ADMINISTRATOR)

# For raw SQL over ``geopool_servicerequest r``: NULL scope means all.
# A decision flagged ``owner_kept`` (today's rules beside an imported
# request's recorded owner) never made its body an owner.
VISIBLE_SQL = """
    (%(scope_body)s::bigint IS NULL OR r.owner_body_id = %(scope_body)s
     OR EXISTS (SELECT 1 FROM routing_rules_decision d
                WHERE d.request_id = r.id AND d.owner_body_id = %(scope_body)s
                  AND NOT ('owner_kept' = ANY(d.flags)))
     OR EXISTS (SELECT 1 FROM geopool_transfer t
                WHERE t.request_id = r.id AND t.to_body_id = %(scope_body)s))
"""


def scope_body_of(user):
    """The body id whose requests ``user`` sees, or None for all requests."""
    if has_role(user, *SEE_ALL):
        return None
    profile = staff_profile(user)
    # Staff pages admit only users with a profile; no profile sees nothing.
    return profile.body_id if profile else -1


def requests_visible_to(user, queryset=None):
    """Filter ``queryset`` (default: all requests) to what ``user`` may see."""
    from routing_rules.models import Decision
    from routing_rules.services.bulk import OWNER_KEPT

    queryset = ServiceRequest.objects.all() if queryset is None else queryset
    body = scope_body_of(user)
    if body is None:
        return queryset
    owned = Decision.objects.filter(request=OuterRef("pk"), owner_body_id=body).exclude(
        flags__contains=[OWNER_KEPT]
    )
    offered = Transfer.objects.filter(request=OuterRef("pk"), to_body_id=body)
    return queryset.filter(Q(owner_body_id=body) | Exists(owned) | Exists(offered))
