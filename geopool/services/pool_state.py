"""What every request of the pool reads, gathered once: ``PoolState``.

The jurisdiction's settings, its working calendar and each body's working
hours, the SLA targets and the active categories change only when a pack is
loaded or an administrator edits them, yet intake and every clock read them.
``pool_state()`` keeps them beside the live routing context
(``routing_rules.context.live_context``): that context is replaced whenever
the routing state's version changes (database triggers bump it on edits to
bodies, categories, the jurisdiction and, since migration
``0010_intake_sla_state``, SLA targets), and so is this state. Reading it
costs the one version query ``live_context`` makes, or nothing when the
caller already holds the context.

Where no routing context can be built (no jurisdiction or no active rule
set yet), the state is read from the database on every call, uncached.
"""

import logging
import threading
from dataclasses import dataclass, field

from geopool.models import Category, Jurisdiction
from geopool.models.workflow import SlaTarget
from geopool.worktime import WorkingCalendar, WorkingHours
from routing_rules.context import live_context
from routing_rules.errors import RoutingError

logger = logging.getLogger(__name__)

DEFAULT_HOURS = "08:00-12:00,13:00-17:00"


@dataclass
class PoolState:
    settings: dict
    calendar: WorkingCalendar
    default_hours: WorkingHours
    # body code -> WorkingHours, for the bodies the pack names
    body_hours: dict
    # (category id, priority) -> working minutes
    sla_targets: dict
    # code -> Category (active ones), shared read-only between requests
    categories: dict = field(default_factory=dict)
    # The live routing context this state belongs to (None: uncached)
    context: object = None

    def hours(self, body_code):
        return self.body_hours.get(body_code, self.default_hours)

    def sla_minutes(self, category_id, priority):
        return self.sla_targets.get((category_id, str(priority)))


def _read():
    jurisdiction = Jurisdiction.objects.order_by("id").first()
    settings = jurisdiction.settings if jurisdiction else {}
    spec = settings.get("calendar", {})
    hours = spec.get("working_hours", {})
    return PoolState(
        settings=settings,
        calendar=WorkingCalendar.from_settings(spec),
        default_hours=WorkingHours.parse(hours.get("default", DEFAULT_HOURS)),
        body_hours={
            code: WorkingHours.parse(text)
            for code, text in hours.get("bodies", {}).items()
            if text
        },
        sla_targets={
            (category_id, priority): minutes
            for category_id, priority, minutes in SlaTarget.objects.values_list(
                "category_id", "priority", "working_minutes"
            )
        },
        categories={c.code: c for c in Category.objects.filter(is_active=True)},
    )


_cached = {"context": None, "state": None}
_lock = threading.Lock()


def pool_state(context=None):
    """The pool's state for ``context`` (default: the live routing context)."""
    if context is None:
        try:
            context = live_context()
        except RoutingError:
            return _read()
    with _lock:
        if _cached["context"] is context:
            return _cached["state"]
    state = _read()
    state.context = context
    with _lock:
        _cached["context"], _cached["state"] = context, state
    logger.debug("pool state read for rule set version %s", context.rule_set_version)
    return state
