"""Everything a routing decision reads, gathered once: ``RoutingContext``.

A context holds a rule set (the active one, or a draft under test), its
delegations, the generation of every layer its rules name (the active ones,
or drafts given as overrides), and the jurisdiction's bodies, departments,
categories and settings. ``live_context()`` returns the context of live
routing; it is rebuilt only when one cheap query says that something it
depends on changed (another rule set or generation went live, a body or
category was edited: database triggers bump a version counter), so a process
sees activations made by another at once.
"""

import threading
from dataclasses import dataclass, field
from datetime import date

from django.db import connection

from boundaries.models import Generation, Layer
from geopool import prepared
from geopool.models import Body, BodyKind, Category, Department, Jurisdiction
from routing_rules.conditions import ANYWHERE, term_layers
from routing_rules.errors import RoutingError
from routing_rules.layers import layer_index
from routing_rules.models import RuleSet

# Bumped by triggers whenever a table live routing reads changes
# (migration 0004_routing_state).
_STATE = "SELECT version FROM routing_rules_state WHERE id = 1"


@dataclass
class RuleSpec:
    """A rule as the engine reads it (plain values, no ORM)."""

    id: int | None
    code: str
    stage: int
    priority: int
    categories: frozenset
    group: str
    condition: str
    terms: list
    owner_kind: str
    owner_body: str = ""
    owner_department: str = ""
    owner_attribute: str = ""
    owner_group: str = ""
    valid_from: date | None = None
    valid_to: date | None = None
    description: str = ""

    def applies_to(self, category):
        return not self.categories or category in self.categories

    def valid_on(self, day):
        if self.valid_from and day < self.valid_from:
            return False
        return not (self.valid_to and day > self.valid_to)

    @property
    def layers(self):
        return term_layers(self.terms)

    @property
    def is_spatial(self):
        return any(t["op"] != ANYWHERE for t in self.terms)

    @classmethod
    def from_rule(cls, rule):
        return cls(
            id=rule.pk,
            code=rule.code,
            stage=rule.stage,
            priority=rule.priority,
            categories=frozenset(rule.categories),
            group=rule.group,
            condition=rule.condition,
            terms=rule.terms,
            owner_kind=rule.owner_kind,
            owner_body=rule.owner_body_code,
            owner_department=rule.owner_department_code,
            owner_attribute=rule.owner_attribute,
            owner_group=rule.owner_group,
            valid_from=rule.valid_from,
            valid_to=rule.valid_to,
            description=rule.description,
        )


@dataclass
class DelegationSpec:
    code: str
    from_body: str
    to_body: str
    categories: frozenset
    district_codes: frozenset
    valid_from: date
    valid_to: date | None
    decision_ref: str

    def valid_on(self, day):
        if day < self.valid_from:
            return False
        return not (self.valid_to and day > self.valid_to)

    @classmethod
    def from_delegation(cls, d):
        return cls(
            code=d.code,
            from_body=d.from_body_code,
            to_body=d.to_body_code,
            categories=frozenset(d.categories),
            district_codes=frozenset(d.district_codes),
            valid_from=d.valid_from,
            valid_to=d.valid_to,
            decision_ref=d.decision_ref,
        )


@dataclass
class BodyInfo:
    id: int
    code: str
    name: str
    kind: str
    district_code: str
    is_active: bool


@dataclass
class DepartmentInfo:
    id: int
    code: str
    name: str
    body_code: str


@dataclass
class CategoryInfo:
    id: int
    code: str
    name: str
    name_en: str
    is_emergency: bool
    emergency_phone: str


@dataclass
class RoutingContext:
    settings: dict
    rule_set_id: int | None
    rule_set_version: int | None
    rules: list
    delegations: list
    # layer code -> (generation id, number) or None when it has none (dormant)
    generations: dict
    layer_kinds: dict
    bodies: dict
    departments: dict
    categories: dict
    district_bodies: dict = field(default_factory=dict)
    # Central meridian of the metric CRS (routing_rules.layers.metric_crs).
    lon_0: float = 0.0
    _indexes: dict = field(default_factory=dict)

    @property
    def district_layer(self):
        return self.settings["district_layer"]

    def index(self, layer_code):
        """The in-memory features of ``layer_code``'s generation, or None."""
        generation = self.generations.get(layer_code)
        if generation is None:
            return None
        index = self._indexes.get(layer_code)
        if index is None:
            index = layer_index(layer_code, *generation, self.lon_0)
            self._indexes[layer_code] = index
        return index

    def consulted_layers(self):
        """{category: {layer: generation number}} of the layers its rules read."""
        layers = self._indexes.get("__consulted__")
        if layers is None:
            from routing_rules.engine import consulted_layers

            layers = self._indexes["__consulted__"] = consulted_layers(self)
        return layers

    def group_rules(self, group):
        return [r for r in self.rules if r.group == group]

    def active_body(self, code):
        body = self.bodies.get(code)
        return body if body and body.is_active else None


def _rule_set(rule_set):
    if rule_set is not None:
        return rule_set
    active = RuleSet.objects.filter(is_active=True).first()
    if active is None:
        raise RoutingError(
            "no rule set is active; load a jurisdiction pack or activate a rule set"
        )
    return active


def build_context(rule_set=None, generations=None, rules=None, delegations=None):
    """Gather a routing context.

    Parameters
    ----------
    rule_set : RuleSet, default the active one
    generations : {layer code: Generation} overriding the active generations
        (a draft generation under simulation)
    rules, delegations : lists of RuleSpec / DelegationSpec replacing the
        stored ones (a rule being edited and tested before it is saved)
    """
    jurisdiction = Jurisdiction.objects.order_by("id").first()
    if jurisdiction is None:
        raise RoutingError(
            "no jurisdiction is loaded; run `manage.py load_jurisdiction PACK` first"
        )
    settings = jurisdiction.settings
    rule_set = _rule_set(rule_set)
    if rules is None:
        rules = [RuleSpec.from_rule(r) for r in rule_set.rules.all()]
    if delegations is None:
        delegations = [
            DelegationSpec.from_delegation(d) for d in rule_set.delegations.all()
        ]
    rules = sorted(rules, key=lambda r: (r.stage, r.priority, r.code))
    wanted = {settings["district_layer"]}
    for rule in rules:
        wanted.update(rule.layers)
    layers = {layer.code: layer for layer in Layer.objects.filter(code__in=wanted)}
    chosen = {}
    for generation in Generation.objects.filter(
        layer__code__in=wanted, is_active=True
    ).select_related("layer"):
        chosen[generation.layer.code] = generation
    for code, generation in (generations or {}).items():
        chosen[code] = generation
    bodies = {
        b.code: BodyInfo(b.pk, b.code, b.name, b.kind, b.district_code, b.is_active)
        for b in Body.objects.all()
    }
    district_bodies = {}
    for body in sorted(bodies.values(), key=lambda b: b.code):
        if body.kind == BodyKind.DISTRICT and body.is_active and body.district_code:
            district_bodies.setdefault(body.district_code, body.code)
    district = chosen.get(settings["district_layer"])
    return RoutingContext(
        lon_0=_central_meridian(district),
        settings=settings,
        rule_set_id=rule_set.pk,
        rule_set_version=rule_set.version,
        rules=rules,
        delegations=sorted(delegations, key=lambda d: d.code),
        generations={
            code: (chosen[code].pk, chosen[code].number) if code in chosen else None
            for code in wanted
        },
        layer_kinds={code: layer.geometry_kind for code, layer in layers.items()},
        bodies=bodies,
        departments={
            d.code: DepartmentInfo(d.pk, d.code, d.name, d.body.code)
            for d in Department.objects.select_related("body")
        },
        categories={
            c.code: CategoryInfo(
                c.pk, c.code, c.name, c.name_en, c.is_emergency, c.emergency_phone
            )
            for c in Category.objects.filter(is_active=True)
        },
        district_bodies=district_bodies,
    )


def _central_meridian(generation):
    """Longitude (one decimal) through the middle of the district layer."""
    if generation is None:
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (ST_XMin(e) + ST_XMax(e)) / 2 FROM (SELECT ST_Extent(geometry) e "
            "FROM boundaries_feature WHERE generation_id = %s) x",
            [generation.pk],
        )
        (middle,) = cursor.fetchone()
    return round(float(middle), 1) if middle is not None else 0.0


_live = {"token": None, "context": None}
_live_lock = threading.Lock()


def _state_token():
    # Asked on every decision: prepared once per connection.
    [(version,)] = prepared.fetch(_STATE, "", [])
    return version


def live_context(token=None):
    """The context of live routing, rebuilt only when its inputs changed.

    ``token``: the routing state's version when the caller has just read it
    (the API key check reads it in the same statement); else it is read here.
    """
    if token is None:
        token = _state_token()
    with _live_lock:
        if _live["token"] == token:
            return _live["context"]
    context = build_context()
    with _live_lock:
        _live["token"], _live["context"] = token, context
    return context


def live_context_clear():
    with _live_lock:
        _live["token"], _live["context"] = None, None
