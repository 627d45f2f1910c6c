"""SLA states of open requests, as inboxes filter, highlight and count them.

- *overdue*: the clock runs and its due time has passed;
- *near due*: not overdue, and either the near-due job warned the owner
  (``sla_warned_at``) or less than ``NEAR_DUE_SHARE`` (20 %) of the target is
  left — the job's own test, on wall time: a request with an 8-hour target
  due at 09:00 is near due from 07:24;
- *paused*: the request has a target but its clock stands (a transfer waits
  for an answer, or the body waits for information from the citizen);
- *on time*: the clock runs with more than 20 % of the target left;
- *none*: the category has no target for the request's priority.

Finished requests (resolved, closed, refused, duplicate) have no SLA state.
"""

import datetime as dt

from django.db.models import (
    Case,
    CharField,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _

from geopool.models import Status
from geopool.services.jobs import NEAR_DUE_SHARE

OVERDUE = "overdue"
NEAR_DUE = "near_due"
PAUSED = "paused"
ON_TIME = "on_time"
NO_TARGET = "none"

LABELS = {
    OVERDUE: _("Overdue"),
    NEAR_DUE: _("Near due"),
    PAUSED: _("Paused"),
    ON_TIME: _("On time"),
    NO_TARGET: _("No target"),
}
# Bootstrap table row classes of highlighted states.
ROW_CLASSES = {OVERDUE: "table-danger", NEAR_DUE: "table-warning"}


def open_q():
    return ~Q(status__in=Status.closed_values())


def _near_limit(now):
    """``now`` plus ``NEAR_DUE_SHARE`` of each request's target."""
    share = ExpressionWrapper(
        F("sla_minutes") * Value(dt.timedelta(minutes=NEAR_DUE_SHARE)),
        output_field=DurationField(),
    )
    return ExpressionWrapper(Value(now) + share, output_field=DateTimeField())


def state_q(state, now):
    """The condition of SLA state ``state`` at ``now``."""
    running = open_q() & Q(sla_due_at__isnull=False)
    if state == OVERDUE:
        return running & Q(sla_due_at__lt=now)
    near = Q(sla_warned_at__isnull=False) | Q(sla_due_at__lte=_near_limit(now))
    if state == NEAR_DUE:
        return running & Q(sla_due_at__gte=now) & near
    if state == ON_TIME:
        return running & Q(sla_due_at__gte=now) & ~near
    if state == PAUSED:
        return open_q() & Q(sla_minutes__isnull=False, sla_running_since__isnull=True)
    if state == NO_TARGET:
        return open_q() & Q(sla_minutes__isnull=True)
    raise ValueError(f"unknown SLA state {state!r}; expected one of {list(LABELS)}")


def state_expression(now):
    """An ORM expression: each request's SLA state at ``now`` ('' when done)."""
    return Case(
        *(
            When(state_q(state, now), then=Value(state))
            for state in (OVERDUE, NEAR_DUE, PAUSED, ON_TIME, NO_TARGET)
        ),
        default=Value(""),
        output_field=CharField(),
    )
