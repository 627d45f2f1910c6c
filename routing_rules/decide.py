"""The routing decision: who owns a request at this point, and why.

``decide(location, category, at)`` is geopool's single entry point for
routing; the Open311 API, the operator console, the sample loader and the
tests all call it. It reads only data: the active rule set (or a draft under
test), the generations of the layers its rules name and the jurisdiction's
settings.

Steps:

The work is done by ``routing_rules.engine`` (the same code routes many
points at once for imports and simulations); this module turns its answer
for one point into an ``Outcome`` with model instances, and raises
``OutsideServiceArea`` for a point beyond the service area.

Example: a ``COP`` request at lon 36.1603, lat 36.2021, inside Antakya, is taken by
rule ``ILCE-HIZMETLERI`` (category default, owner: the district), giving
Antakya Belediyesi with the explanation "Çöp toplama ve konteyner, Antakya
ilçe sınırı içinde, kural ILCE-HIZMETLERI: Antakya Belediyesi".
"""

import logging
from dataclasses import dataclass, field
from functools import cached_property

from django.contrib.gis.geos import Point
from django.utils import timezone

from geopool.models import Body, Category, Department
from routing_rules.context import live_context
from routing_rules.engine import Place, route
from routing_rules.errors import OutsideServiceArea, UnknownCategory
from routing_rules.explain import emergency_notice
from routing_rules.models import Rule

logger = logging.getLogger(__name__)

__all__ = ["Outcome", "Place", "decide", "owner_label"]


@dataclass
class Outcome:
    """An unsaved decision; ``routing_rules.services.decision_store`` saves it."""

    owner_body_id: int
    owner_department_id: int | None
    rule_id: int | None
    rule_code: str
    rule_set_version: int | None
    generations: dict
    candidates: list
    flags: list
    explanation_tr: str
    explanation_en: str
    trace: list = field(default_factory=list)
    # The owner as the routing context knows it (no database read).
    owner_code: str = ""
    owner_name: str = ""
    department_code: str = ""
    department_name: str = ""
    is_urgent: bool = False
    service_notice: str = ""
    place: Place | None = None

    @property
    def needs_triage(self):
        return "triage" in self.flags

    @cached_property
    def owner_body(self):
        return Body.objects.get(pk=self.owner_body_id)

    @cached_property
    def owner_department(self):
        if self.owner_department_id is None:
            return None
        return Department.objects.get(pk=self.owner_department_id)

    @cached_property
    def rule(self):
        return Rule.objects.get(pk=self.rule_id) if self.rule_id else None

    @property
    def owner_label(self):
        return owner_label(self.owner_body, self.owner_department)


def owner_label(body, department=None):
    """Display name of an owner: the body, or "body — department"."""
    return f"{body.name} — {department.name}" if department else body.name


def _coordinates(location):
    if location is None:
        return float("nan"), float("nan")
    if isinstance(location, Point):
        if location.srid not in (None, 4326):
            location = location.transform(4326, clone=True)
        return float(location.x), float(location.y)
    lon, lat = location
    return float(lon), float(lat)


def _category_code(category, context):
    code = category.code if isinstance(category, Category) else category
    if code not in context.categories:
        shown = code if len(code) <= 64 else code[:64] + "…"
        raise UnknownCategory(
            f"unknown service_code {shown!r}; GET services.json lists the codes"
        )
    return code


def outcome_from(routed, context, category_code):
    """Turn the engine's ``Routed`` for one point into an ``Outcome``."""
    if routed.error:
        raise OutsideServiceArea(routed.error)
    category = context.categories[category_code]
    department = context.departments.get(routed.owner_department)
    notice = ""
    if category.is_emergency and category.emergency_phone:
        notice = emergency_notice(category)
    return Outcome(
        owner_body_id=context.bodies[routed.owner_body].id,
        owner_department_id=department.id if department else None,
        rule_id=routed.rule_id,
        rule_code=routed.rule_code,
        rule_set_version=context.rule_set_version,
        generations=dict(routed.generations),
        candidates=routed.candidates,
        flags=routed.flags,
        explanation_tr=routed.explanation_tr,
        explanation_en=routed.explanation_en,
        trace=routed.trace,
        owner_code=routed.owner_body,
        owner_name=context.bodies[routed.owner_body].name,
        department_code=department.code if department else "",
        department_name=department.name if department else "",
        is_urgent=category.is_emergency,
        service_notice=notice,
        place=routed.place,
    )


def decide(location, category, at=None, context=None):
    """Decide the owner of a request of ``category`` at ``location``.

    Parameters
    ----------
    location : (lon, lat) in WGS 84 degrees, a GEOS Point, or None
    category : Category or category code
    at : datetime the decision is for (default: now); rules and delegations
        valid on that day (Europe/Istanbul) apply
    context : RoutingContext, default live routing (a draft rule set or
        generation under test passes its own, see ``build_context``)

    Returns
    -------
    Outcome

    Raises
    ------
    OutsideServiceArea, UnknownCategory, RoutingError
    """
    at = at or timezone.now()
    context = context or live_context()
    code = _category_code(category, context)
    lon, lat = _coordinates(location)
    (routed,) = route(context, [lon], [lat], [code], at)
    return outcome_from(routed, context, code)
