"""Checking rules and delegations before they are saved or loaded.

``rule_spec(values)`` reads one rule as a pack row or a form gives it (codes
and written condition) and raises ``RuleError`` naming the field at fault;
``validate(rules, delegations, catalogue)`` checks a whole rule set against
what exists (bodies, departments, categories, layers and their attributes)
and returns ``(errors, warnings)``: errors refuse the save, warnings (a rule
that can never match because higher rules decide all its categories first)
are shown. Every message is a ``Problem``: English where the pack loader
prints it, in the coordinator's language where the rule pages show it.

The same checks serve the pack loader (``catalogue_from_pack``) and the
coordinator's rule editor (``catalogue_from_db``).
"""

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_noop

from routing_rules.conditions import ANYWHERE, INSIDE, WITHIN, parse_condition
from routing_rules.context import DelegationSpec, RuleSpec
from routing_rules.errors import Problem, ProblemList, RuleError
from routing_rules.models import OwnerKind, Stage

STAGES = {label: value for value, label in Stage.choices}
STAGE_LABELS = dict(Stage.choices)

# The messages, in English with named values; ``where`` is RULE or
# DELEGATION, the codes and the lists of valid choices are never translated.
RULE = gettext_noop("rule %(code)s")
DELEGATION = gettext_noop("delegation %(code)s")
NO_CODE = gettext_noop("(no code)")
EMPTY = gettext_noop("(empty)")
NONE = gettext_noop("none")
MAIN_RULES = gettext_noop("(main rules)")
IN = gettext_noop("%(where)s: %(problem)s")
NOT_A_DATE = gettext_noop("%(name)s %(value)r is not a date; write it as YYYY-MM-DD")
OWNER_UNREADABLE = gettext_noop(
    "cannot read the owner %(text)r; expected body:CODE (or "
    "body:CODE/DEPARTMENT), attribute:NAME, district or group:NAME"
)
REQUIRED = gettext_noop("%(where)s: %(fields)s required")
UNKNOWN_STAGE = gettext_noop("unknown stage %(stage)r; expected one of %(stages)s")
PRIORITY_NOT_A_NUMBER = gettext_noop(
    "%(where)s: priority %(priority)r is not a whole number from 0 to 99999"
)
DELEGATION_WITHOUT_CODE = gettext_noop("a delegation needs a code")
DELEGATION_WITHOUT_START = gettext_noop(
    "%(where)s: valid_from is required (the day the council decision takes "
    "effect, YYYY-MM-DD)"
)
UNKNOWN_CATEGORY = gettext_noop("%(where)s: unknown category %(category)s")
UNKNOWN_LAYER = gettext_noop(
    "%(where)s: unknown layer %(layer)s; the layers are %(layers)s"
)
INSIDE_NEEDS_POLYGONS = gettext_noop(
    "%(where)s: 'inside %(layer)s' needs a polygon layer, but %(layer)s holds "
    "%(kind)ss; use 'within N m of %(layer)s'"
)
NO_SUCH_ATTRIBUTE = gettext_noop(
    "%(where)s: layer %(layer)s has no attribute %(attribute)s; its attributes "
    "are %(attributes)s"
)
PROXIMITY_NEEDS_WITHIN = gettext_noop(
    "%(where)s: a network_proximity rule compares distances, so its condition "
    "must start with 'within N m of LAYER'"
)
UNKNOWN_OWNER_BODY = gettext_noop("%(where)s: unknown owner body %(body)s")
UNKNOWN_OWNER_DEPARTMENT = gettext_noop(
    "%(where)s: unknown owner department %(department)s"
)
DEPARTMENT_OF_ANOTHER_BODY = gettext_noop(
    "%(where)s: department %(department)s belongs to %(owner)s, not to %(body)s"
)
ATTRIBUTE_NEEDS_FEATURE = gettext_noop(
    "%(where)s: owner attribute:%(attribute)s needs a feature; the condition "
    "must name a layer ('inside …' or 'within …')"
)
UNKNOWN_GROUP = gettext_noop(
    "%(where)s: no rule belongs to group %(group)s; the groups are %(groups)s"
)
UNKNOWN_OWNER_KIND = gettext_noop(
    "%(where)s: unknown owner kind %(kind)r; expected body, attribute, "
    "district or group"
)
EMERGENCY_WITHOUT_CATEGORIES = gettext_noop(
    "%(where)s: an emergency rule must name its categories (gas, fire, …); "
    "without them it would make every request an emergency"
)
ENDS_BEFORE_START = gettext_noop(
    "%(where)s: valid_to %(valid_to)s is before valid_from"
)
GROUP_CYCLE = gettext_noop("rule groups refer to each other in a circle: %(loop)s")
NEVER_MATCHES = gettext_noop(
    "rule %(code)s can never match: every one of its categories is decided "
    "earlier by %(rules)s"
)
DEFINED_TWICE = gettext_noop("%(where)s is defined twice")
NO_FALLBACK = gettext_noop(
    "no district_fallback rule: add one (condition anywhere, owner district) "
    "so that every request finds an owner"
)
UNKNOWN_FROM_BODY = gettext_noop("%(where)s: unknown from_body %(body)s")
UNKNOWN_TO_BODY = gettext_noop("%(where)s: unknown to_body %(body)s")
DELEGATION_WITHOUT_CATEGORIES = gettext_noop(
    "%(where)s: name the categories it hands over"
)
UNKNOWN_DISTRICT = gettext_noop(
    "%(where)s: unknown district code %(code)s; the districts are %(districts)s"
)
DECISION_REQUIRED = gettext_noop(
    "%(where)s: decision_ref (the council decision) is required"
)


def _listed(codes):
    """Codes separated by commas, or "none"."""
    return ", ".join(sorted(codes)) or Problem(NONE)


@dataclass
class Catalogue:
    bodies: set
    departments: dict  # code -> body code
    categories: set
    layers: dict  # code -> (geometry kind, set of attribute names)
    district_codes: set


def catalogue_from_db():
    from boundaries.models import Layer
    from geopool.models import Body, BodyKind, Category, Department

    return Catalogue(
        bodies=set(Body.objects.filter(is_active=True).values_list("code", flat=True)),
        departments=dict(Department.objects.values_list("code", "body__code")),
        categories=set(Category.objects.values_list("code", flat=True)),
        layers={
            layer.code: (layer.geometry_kind, set(layer.attribute_names))
            for layer in Layer.objects.all()
        },
        district_codes=set(
            Body.objects.filter(kind=BodyKind.DISTRICT).values_list(
                "district_code", flat=True
            )
        ),
    )


def catalogue_from_pack(pack):
    return Catalogue(
        bodies={row["code"] for row in pack.bodies},
        departments={row["code"]: row["body"] for row in pack.departments},
        categories={row["code"] for row in pack.categories},
        layers={
            spec["code"]: (spec["geometry_kind"], set(spec.get("attributes", [])))
            for spec in pack.meta["layers"]
        },
        district_codes={
            row["district_code"]
            for row in pack.bodies
            if row["kind"] == "district" and row.get("district_code")
        },
    )


def split_codes(text):
    if isinstance(text, (list, tuple, set, frozenset)):
        return sorted(text)
    return sorted(c for c in (text or "").replace(",", " ").split() if c)


def _date(value, name):
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise RuleError(Problem(NOT_A_DATE, name=name, value=value)) from None


def parse_owner(text):
    """Read an owner written as ``body:HBB/HBB-YOL``, ``attribute:maintainer``,
    ``district`` or ``group:road-owner``; return the owner fields."""
    text = (text or "").strip()
    kind, _, rest = text.partition(":")
    fields = {
        "owner_kind": kind,
        "owner_body_code": "",
        "owner_department_code": "",
        "owner_attribute": "",
        "owner_group": "",
    }
    if kind == OwnerKind.DISTRICT and not rest:
        return fields
    if kind == OwnerKind.BODY and rest and not rest.endswith("/"):
        body, _, department = rest.partition("/")
        fields["owner_body_code"], fields["owner_department_code"] = body, department
        return fields
    if kind == OwnerKind.ATTRIBUTE and rest:
        fields["owner_attribute"] = rest
        return fields
    if kind == OwnerKind.GROUP and rest:
        fields["owner_group"] = rest
        return fields
    raise RuleError(Problem(OWNER_UNREADABLE, text=text))


def rule_spec(values):
    """A RuleSpec from written values (pack row or form); raises RuleError."""
    missing = [
        name
        for name in ("code", "stage", "condition")
        if not str(values.get(name) or "").strip()
    ]
    if not (values.get("owner") or values.get("owner_kind")):
        missing.append("owner")
    if missing:
        code = values.get("code") or Problem(NO_CODE)
        raise RuleError(
            Problem(REQUIRED, where=Problem(RULE, code=code), fields=", ".join(missing))
        )
    stage = values["stage"]
    if isinstance(stage, str):
        if stage not in STAGES:
            raise RuleError(
                Problem(UNKNOWN_STAGE, stage=stage, stages=", ".join(STAGES))
            )
        stage = STAGES[stage]
    where = Problem(RULE, code=values["code"])
    try:
        terms = parse_condition(values["condition"])
    except RuleError as exc:
        raise RuleError(Problem(IN, where=where, problem=exc.args[0])) from exc
    priority = values.get("priority")
    if priority not in (None, "") and not (
        str(priority).isascii() and str(priority).isdigit() and int(priority) <= 99999
    ):
        raise RuleError(Problem(PRIORITY_NOT_A_NUMBER, where=where, priority=priority))
    if values.get("owner"):
        try:
            values = {**values, **parse_owner(values["owner"])}
        except RuleError as exc:
            raise RuleError(Problem(IN, where=where, problem=exc.args[0])) from exc
    return RuleSpec(
        id=None,
        code=values["code"],
        stage=stage,
        priority=int(priority) if priority not in (None, "") else 100,
        categories=frozenset(split_codes(values.get("categories"))),
        group=values.get("group") or "",
        condition=" ".join(values["condition"].split()),
        terms=terms,
        owner_kind=values["owner_kind"],
        owner_body=values.get("owner_body_code") or values.get("owner_body") or "",
        owner_department=values.get("owner_department_code")
        or values.get("owner_department")
        or "",
        owner_attribute=values.get("owner_attribute") or "",
        owner_group=values.get("owner_group") or "",
        valid_from=_date(values.get("valid_from"), "valid_from"),
        valid_to=_date(values.get("valid_to"), "valid_to"),
        description=values.get("description") or "",
    )


def delegation_spec(values):
    if not str(values.get("code") or "").strip():
        raise RuleError(Problem(DELEGATION_WITHOUT_CODE))
    valid_from = _date(values.get("valid_from"), "valid_from")
    if valid_from is None:
        where = Problem(DELEGATION, code=values["code"])
        raise RuleError(Problem(DELEGATION_WITHOUT_START, where=where))
    return DelegationSpec(
        code=values["code"],
        from_body=values.get("from_body") or values.get("from_body_code") or "",
        to_body=values.get("to_body") or values.get("to_body_code") or "",
        categories=frozenset(split_codes(values.get("categories"))),
        district_codes=frozenset(split_codes(values.get("district_codes"))),
        valid_from=valid_from,
        valid_to=_date(values.get("valid_to"), "valid_to"),
        decision_ref=values.get("decision_ref") or "",
    )


def _check_rule(rule, catalogue, groups):
    errors = []
    where = Problem(RULE, code=rule.code)
    for code in sorted(rule.categories - catalogue.categories):
        errors.append(Problem(UNKNOWN_CATEGORY, where=where, category=code))
    for term in rule.terms:
        if term["op"] == ANYWHERE:
            continue
        layer = catalogue.layers.get(term["layer"])
        if layer is None:
            errors.append(
                Problem(
                    UNKNOWN_LAYER,
                    where=where,
                    layer=term["layer"],
                    layers=", ".join(sorted(catalogue.layers)),
                )
            )
            continue
        kind, attributes = layer
        if term["op"] == INSIDE and kind != "polygon":
            errors.append(
                Problem(
                    INSIDE_NEEDS_POLYGONS, where=where, layer=term["layer"], kind=kind
                )
            )
        for name in term.get("filter", {}):
            if name not in attributes:
                errors.append(
                    Problem(
                        NO_SUCH_ATTRIBUTE,
                        where=where,
                        layer=term["layer"],
                        attribute=name,
                        attributes=_listed(attributes),
                    )
                )
    primary = next(
        (t for t in rule.terms if t["op"] != ANYWHERE and not t.get("negate")), None
    )
    if rule.stage == Stage.NETWORK_PROXIMITY and (
        primary is None or primary["op"] != WITHIN
    ):
        errors.append(Problem(PROXIMITY_NEEDS_WITHIN, where=where))
    kind = rule.owner_kind
    if kind == OwnerKind.BODY:
        if rule.owner_body not in catalogue.bodies:
            body = rule.owner_body or Problem(EMPTY)
            errors.append(Problem(UNKNOWN_OWNER_BODY, where=where, body=body))
        department = rule.owner_department
        if department and department not in catalogue.departments:
            errors.append(
                Problem(UNKNOWN_OWNER_DEPARTMENT, where=where, department=department)
            )
        elif department and catalogue.departments[department] != rule.owner_body:
            errors.append(
                Problem(
                    DEPARTMENT_OF_ANOTHER_BODY,
                    where=where,
                    department=department,
                    owner=catalogue.departments[department],
                    body=rule.owner_body,
                )
            )
    elif kind == OwnerKind.ATTRIBUTE:
        if primary is None:
            errors.append(
                Problem(
                    ATTRIBUTE_NEEDS_FEATURE, where=where, attribute=rule.owner_attribute
                )
            )
        elif primary["layer"] in catalogue.layers:
            attributes = catalogue.layers[primary["layer"]][1]
            if rule.owner_attribute not in attributes:
                errors.append(
                    Problem(
                        NO_SUCH_ATTRIBUTE,
                        where=where,
                        layer=primary["layer"],
                        attribute=rule.owner_attribute,
                        attributes=_listed(attributes),
                    )
                )
    elif kind == OwnerKind.GROUP:
        if rule.owner_group not in groups:
            errors.append(
                Problem(
                    UNKNOWN_GROUP,
                    where=where,
                    group=rule.owner_group,
                    groups=_listed(g for g in groups if g),
                )
            )
    elif kind != OwnerKind.DISTRICT:
        errors.append(Problem(UNKNOWN_OWNER_KIND, where=where, kind=kind))
    if rule.stage == Stage.EMERGENCY and not rule.categories:
        errors.append(Problem(EMERGENCY_WITHOUT_CATEGORIES, where=where))
    if rule.valid_from and rule.valid_to and rule.valid_to < rule.valid_from:
        errors.append(Problem(ENDS_BEFORE_START, where=where, valid_to=rule.valid_to))
    return errors


def _group_cycles(rules):
    edges = {}
    for rule in rules:
        if rule.owner_kind == OwnerKind.GROUP:
            edges.setdefault(rule.group, set()).add(rule.owner_group)
    cycles = {}

    def visit(group, path):
        for target in sorted(edges.get(group, ())):
            if target in path:
                loop = path[path.index(target) :] + [target]
                cycles.setdefault(frozenset(loop), loop)
                continue
            visit(target, [*path, target])

    for group in sorted(edges):
        visit(group, [group])
    return sorted(
        Problem(
            GROUP_CYCLE,
            loop=ProblemList(
                (name or Problem(MAIN_RULES) for name in loop), separator=" → "
            ),
        )
        for loop in cycles.values()
    )


def _closes(rule):
    """True when a rule always decides the requests of its categories."""
    return (
        all(t["op"] == ANYWHERE for t in rule.terms)
        and rule.owner_kind == OwnerKind.BODY
        and rule.valid_from is None
        and rule.valid_to is None
        and rule.stage != Stage.NETWORK_PROXIMITY
    )


def shadowed(rules, all_categories):
    """Warnings for rules that can never match, in each group."""
    warnings = []
    for group in sorted({r.group for r in rules}):
        closed = {}  # category -> rule code that always decides it
        ordered = sorted(
            (r for r in rules if r.group == group),
            key=lambda r: (r.stage, r.priority, r.code),
        )
        for rule in ordered:
            wanted = set(rule.categories) or set(all_categories)
            if wanted and wanted <= set(closed):
                by = sorted({closed[c] for c in wanted})
                warnings.append(
                    Problem(NEVER_MATCHES, code=rule.code, rules=", ".join(by))
                )
                continue
            if _closes(rule):
                for code in wanted:
                    closed.setdefault(code, rule.code)
    return warnings


def validate(rules, delegations, catalogue):
    """Check a whole rule set; return (errors, warnings)."""
    errors, seen = [], set()
    groups = {r.group for r in rules}
    for rule in rules:
        if rule.code in seen:
            errors.append(Problem(DEFINED_TWICE, where=Problem(RULE, code=rule.code)))
        seen.add(rule.code)
        errors.extend(_check_rule(rule, catalogue, groups))
    errors.extend(_group_cycles(rules))
    if not any(r.stage == Stage.DISTRICT_FALLBACK and not r.group for r in rules):
        errors.append(Problem(NO_FALLBACK))
    codes = set()
    for d in delegations:
        where = Problem(DELEGATION, code=d.code)
        if d.code in codes:
            errors.append(Problem(DEFINED_TWICE, where=where))
        codes.add(d.code)
        if d.from_body not in catalogue.bodies:
            body = d.from_body or Problem(EMPTY)
            errors.append(Problem(UNKNOWN_FROM_BODY, where=where, body=body))
        if d.to_body and d.to_body not in catalogue.bodies:
            errors.append(Problem(UNKNOWN_TO_BODY, where=where, body=d.to_body))
        if not d.categories:
            errors.append(Problem(DELEGATION_WITHOUT_CATEGORIES, where=where))
        for code in sorted(d.categories - catalogue.categories):
            errors.append(Problem(UNKNOWN_CATEGORY, where=where, category=code))
        for code in sorted(d.district_codes - catalogue.district_codes):
            errors.append(
                Problem(
                    UNKNOWN_DISTRICT,
                    where=where,
                    code=code,
                    districts=", ".join(sorted(catalogue.district_codes)),
                )
            )
        if d.valid_to and d.valid_to < d.valid_from:
            errors.append(Problem(ENDS_BEFORE_START, where=where, valid_to=d.valid_to))
        if not d.decision_ref:
            errors.append(Problem(DECISION_REQUIRED, where=where))
    return errors, shadowed(rules, catalogue.categories)
