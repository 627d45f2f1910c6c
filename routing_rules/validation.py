"""Checking rules and delegations before they are saved or loaded.

``rule_spec(values)`` reads one rule as a pack row or a form gives it (codes
and written condition) and raises ``RuleError`` naming the field at fault;
``validate(rules, delegations, catalogue)`` checks a whole rule set against
what exists (bodies, departments, categories, layers and their attributes)
and returns ``(errors, warnings)``: errors refuse the save, warnings (a rule
that can never match because higher rules decide all its categories first)
are shown.

The same checks serve the pack loader (``catalogue_from_pack``) and the
coordinator's rule editor (``catalogue_from_db``).
"""

from dataclasses import dataclass
from datetime import date

from routing_rules.conditions import ANYWHERE, INSIDE, WITHIN, parse_condition
from routing_rules.context import DelegationSpec, RuleSpec
from routing_rules.errors import RuleError
from routing_rules.models import OwnerKind, Stage

STAGES = {label: value for value, label in Stage.choices}
STAGE_LABELS = dict(Stage.choices)


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
        raise RuleError(
            f"{name} {value!r} is not a date; write it as YYYY-MM-DD"
        ) from None


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
    raise RuleError(
        f"cannot read the owner {text!r}; expected body:CODE (or "
        "body:CODE/DEPARTMENT), attribute:NAME, district or group:NAME"
    )


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
        raise RuleError(
            f"rule {values.get('code') or '(no code)'}: {', '.join(missing)} required"
        )
    stage = values["stage"]
    if isinstance(stage, str):
        if stage not in STAGES:
            raise RuleError(
                f"unknown stage {stage!r}; expected one of {', '.join(STAGES)}"
            )
        stage = STAGES[stage]
    try:
        terms = parse_condition(values["condition"])
    except RuleError as exc:
        raise RuleError(f"rule {values['code']}: {exc}") from exc
    priority = values.get("priority")
    if priority not in (None, "") and not (
        str(priority).isascii() and str(priority).isdigit() and int(priority) <= 99999
    ):
        raise RuleError(
            f"rule {values['code']}: priority {priority!r} is not a whole number "
            "from 0 to 99999"
        )
    if values.get("owner"):
        try:
            values = {**values, **parse_owner(values["owner"])}
        except RuleError as exc:
            raise RuleError(f"rule {values['code']}: {exc}") from exc
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
        raise RuleError("a delegation needs a code")
    valid_from = _date(values.get("valid_from"), "valid_from")
    if valid_from is None:
        raise RuleError(
            f"delegation {values['code']}: valid_from is required (the day the "
            "council decision takes effect, YYYY-MM-DD)"
        )
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
    where = f"rule {rule.code}"
    for code in sorted(rule.categories - catalogue.categories):
        errors.append(f"{where}: unknown category {code}")
    for term in rule.terms:
        if term["op"] == ANYWHERE:
            continue
        layer = catalogue.layers.get(term["layer"])
        if layer is None:
            errors.append(
                f"{where}: unknown layer {term['layer']}; the layers are "
                f"{', '.join(sorted(catalogue.layers))}"
            )
            continue
        kind, attributes = layer
        if term["op"] == INSIDE and kind != "polygon":
            errors.append(
                f"{where}: 'inside {term['layer']}' needs a polygon layer, but "
                f"{term['layer']} holds {kind}s; use 'within N m of "
                f"{term['layer']}'"
            )
        for name in term.get("filter", {}):
            if name not in attributes:
                errors.append(
                    f"{where}: layer {term['layer']} has no attribute {name}; "
                    f"its attributes are {', '.join(sorted(attributes)) or 'none'}"
                )
    primary = next(
        (t for t in rule.terms if t["op"] != ANYWHERE and not t.get("negate")), None
    )
    if rule.stage == Stage.NETWORK_PROXIMITY and (
        primary is None or primary["op"] != WITHIN
    ):
        errors.append(
            f"{where}: a network_proximity rule compares distances, so its "
            "condition must start with 'within N m of LAYER'"
        )
    kind = rule.owner_kind
    if kind == OwnerKind.BODY:
        if rule.owner_body not in catalogue.bodies:
            errors.append(f"{where}: unknown owner body {rule.owner_body or '(empty)'}")
        department = rule.owner_department
        if department and department not in catalogue.departments:
            errors.append(f"{where}: unknown owner department {department}")
        elif department and catalogue.departments[department] != rule.owner_body:
            errors.append(
                f"{where}: department {department} belongs to "
                f"{catalogue.departments[department]}, not to {rule.owner_body}"
            )
    elif kind == OwnerKind.ATTRIBUTE:
        if primary is None:
            errors.append(
                f"{where}: owner attribute:{rule.owner_attribute} needs a feature; "
                "the condition must name a layer ('inside …' or 'within …')"
            )
        elif primary["layer"] in catalogue.layers:
            attributes = catalogue.layers[primary["layer"]][1]
            if rule.owner_attribute not in attributes:
                errors.append(
                    f"{where}: layer {primary['layer']} has no attribute "
                    f"{rule.owner_attribute}; its attributes are "
                    f"{', '.join(sorted(attributes)) or 'none'}"
                )
    elif kind == OwnerKind.GROUP:
        if rule.owner_group not in groups:
            errors.append(
                f"{where}: no rule belongs to group {rule.owner_group}; the groups "
                f"are {', '.join(sorted(g for g in groups if g)) or 'none'}"
            )
    elif kind != OwnerKind.DISTRICT:
        errors.append(
            f"{where}: unknown owner kind {kind!r}; expected body, attribute, "
            "district or group"
        )
    if rule.stage == Stage.EMERGENCY and not rule.categories:
        errors.append(
            f"{where}: an emergency rule must name its categories (gas, fire, …); "
            "without them it would make every request an emergency"
        )
    if rule.valid_from and rule.valid_to and rule.valid_to < rule.valid_from:
        errors.append(f"{where}: valid_to {rule.valid_to} is before valid_from")
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
        "rule groups refer to each other in a circle: "
        + " → ".join(name or "(main rules)" for name in loop)
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
                    f"rule {rule.code} can never match: every one of its "
                    f"categories is decided earlier by {', '.join(by)}"
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
            errors.append(f"rule {rule.code} is defined twice")
        seen.add(rule.code)
        errors.extend(_check_rule(rule, catalogue, groups))
    errors.extend(_group_cycles(rules))
    if not any(r.stage == Stage.DISTRICT_FALLBACK and not r.group for r in rules):
        errors.append(
            "no district_fallback rule: add one (condition anywhere, owner "
            "district) so that every request finds an owner"
        )
    codes = set()
    for d in delegations:
        where = f"delegation {d.code}"
        if d.code in codes:
            errors.append(f"{where} is defined twice")
        codes.add(d.code)
        if d.from_body not in catalogue.bodies:
            errors.append(f"{where}: unknown from_body {d.from_body or '(empty)'}")
        if d.to_body and d.to_body not in catalogue.bodies:
            errors.append(f"{where}: unknown to_body {d.to_body}")
        if not d.categories:
            errors.append(f"{where}: name the categories it hands over")
        for code in sorted(d.categories - catalogue.categories):
            errors.append(f"{where}: unknown category {code}")
        for code in sorted(d.district_codes - catalogue.district_codes):
            errors.append(
                f"{where}: unknown district code {code}; the districts are "
                f"{', '.join(sorted(catalogue.district_codes))}"
            )
        if d.valid_to and d.valid_to < d.valid_from:
            errors.append(f"{where}: valid_to {d.valid_to} is before valid_from")
        if not d.decision_ref:
            errors.append(f"{where}: decision_ref (the council decision) is required")
    return errors, shadowed(rules, catalogue.categories)
