"""Open, overdue and near-due requests counted per owning body.

The counts at the top of an inbox ignore its filters: they say how the
body stands, whatever part of the list is shown below. Coordinators get one
row per body that has open requests, the most overdue first.
"""

from dataclasses import dataclass

from django.db.models import Count
from django.utils import timezone

from geopool.web.inbox import sla
from geopool.web.inbox.access import inbox_requests


@dataclass(frozen=True)
class BodyCounts:
    code: str
    name: str
    open: int
    overdue: int
    near_due: int


def counts_per_body(user, body=None, now=None):
    """``[BodyCounts]`` of the bodies in ``user``'s inbox (``body`` only)."""
    now = now or timezone.now()
    rows = (
        inbox_requests(user, body)
        .filter(sla.open_q(), owner_body__isnull=False)
        .values("owner_body__code", "owner_body__name")
        .annotate(
            open=Count("id"),
            overdue=Count("id", filter=sla.state_q(sla.OVERDUE, now)),
            near_due=Count("id", filter=sla.state_q(sla.NEAR_DUE, now)),
        )
        .order_by("-overdue", "-near_due", "owner_body__name")
    )
    return [
        BodyCounts(
            code=row["owner_body__code"],
            name=row["owner_body__name"],
            open=row["open"],
            overdue=row["overdue"],
            near_due=row["near_due"],
        )
        for row in rows
    ]
