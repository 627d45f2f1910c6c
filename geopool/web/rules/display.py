"""Rule sets as the pages show them: states, rules by stage, owners, traces.

Everything here reads codes from the rule set and turns them into what a
coordinator reads: body and category names beside their codes, the stage in
words, which layers a rule names that have no active generation (a
*dormant* rule: kept, skipped, named in the traces), and a decision's trace
step by step. Example: rule ``PARK-BAKIM`` (``inside parks + 5 m``, owner
``attribute:maintainer``) shows as "the body named by the feature's
“maintainer”", dormant only if the parks layer has no active generation.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from boundaries.models import Generation
from geopool.models import Body, Category, Department
from routing_rules.conditions import term_layers
from routing_rules.models import OwnerKind, RuleSet, Stage
from routing_rules.services.rule_sets import DELEGATION_FIELDS, RULE_FIELDS

ACTIVE, DRAFT, RETIRED = "active", "draft", "retired"
STATE_LABELS = {
    ACTIVE: gettext_lazy("active"),
    DRAFT: gettext_lazy("draft"),
    RETIRED: gettext_lazy("retired"),
}
STATE_BADGES = {ACTIVE: "text-bg-success", DRAFT: "text-bg-info", RETIRED: ""}
STAGE_TITLES = {
    Stage.EMERGENCY: gettext_lazy("Emergency"),
    Stage.EXCLUSIVE_ASSET: gettext_lazy("Exclusive asset areas"),
    Stage.NETWORK_PROXIMITY: gettext_lazy("Network proximity"),
    Stage.CATEGORY_DEFAULT: gettext_lazy("Category default"),
    Stage.DISTRICT_FALLBACK: gettext_lazy("District fallback"),
}


def rule_set_state(rule_set):
    """``active``, ``draft`` (never live) or ``retired`` (live once)."""
    if rule_set.is_active:
        return ACTIVE
    return DRAFT if rule_set.is_draft else RETIRED


@dataclass
class Names:
    """Display names of bodies, departments and categories, by code."""

    bodies: dict = field(default_factory=dict)
    departments: dict = field(default_factory=dict)
    categories: dict = field(default_factory=dict)

    @classmethod
    def load(cls):
        return cls(
            bodies=dict(Body.objects.values_list("code", "name")),
            departments=dict(Department.objects.values_list("code", "name")),
            categories=dict(Category.objects.values_list("code", "name")),
        )

    def body(self, code):
        """``Name (CODE)`` (just the name if it ends so), or the code alone."""
        if not code:
            return "—"
        name = self.bodies.get(code)
        if not name:
            return code
        return name if name.endswith(f"({code})") else f"{name} ({code})"


def live_layers():
    """Codes of the layers that have an active generation."""
    return set(
        Generation.objects.filter(is_active=True).values_list("layer__code", flat=True)
    )


def owner_label(rule, names):
    """What a rule's owner means, with body and department names."""
    kind = rule.owner_kind
    if kind == OwnerKind.BODY:
        body = names.bodies.get(rule.owner_body_code, rule.owner_body_code)
        department = rule.owner_department_code
        if department:
            return f"{body} — {names.departments.get(department, department)}"
        return body
    if kind == OwnerKind.ATTRIBUTE:
        return _("the body named by the feature's “%(attribute)s”") % {
            "attribute": rule.owner_attribute
        }
    if kind == OwnerKind.GROUP:
        return _("the owner that rule group “%(group)s” decides") % {
            "group": rule.owner_group
        }
    return _("the district municipality covering the point")


def validity_text(valid_from, valid_to):
    """``2027-01-01 – 2027-12-31``, open ends as "…", or "" when always valid."""
    if not valid_from and not valid_to:
        return ""
    start = valid_from.isoformat() if valid_from else "…"
    end = valid_to.isoformat() if valid_to else "…"
    return f"{start} – {end}"


def rule_row(rule, names, live):
    layers = term_layers(rule.terms)
    return {
        "rule": rule,
        "categories": [
            (code, names.categories.get(code, "")) for code in rule.categories
        ],
        "owner": owner_label(rule, names),
        "validity": validity_text(rule.valid_from, rule.valid_to),
        "dormant": sorted({layer for layer in layers if layer not in live}),
    }


def rule_sections(rule_set, names, live):
    """The rules as sections: the main sequence first, then each group.

    Each section is ``{"group", "stages": [{"stage", "title", "rows"}]}``
    with the stages in evaluation order and the rules by priority.
    """
    rules = sorted(
        rule_set.rules.all(), key=lambda r: (r.group, r.stage, r.priority, r.code)
    )
    sections = {}
    for rule in rules:
        stages = sections.setdefault(rule.group, {})
        stages.setdefault(rule.stage, []).append(rule_row(rule, names, live))
    return [
        {
            "group": group,
            "stages": [
                {"stage": stage, "title": STAGE_TITLES[stage], "rows": rows}
                for stage, rows in stages.items()
            ],
        }
        for group, stages in sections.items()
    ]


def delegation_rows(rule_set, names):
    return [
        {
            "delegation": d,
            "from": names.body(d.from_body_code),
            "to": names.body(d.to_body_code)
            if d.to_body_code
            else _("the district municipality of the point"),
            "categories": [(c, names.categories.get(c, "")) for c in d.categories],
            "validity": validity_text(d.valid_from, d.valid_to),
        }
        for d in rule_set.delegations.all()
    ]


def rule_set_changes(rule_set, other):
    """Codes of rules and delegations added, removed or changed against ``other``.

    Returns ``{"added", "removed", "changed"}``, each a sorted list of codes,
    or None when there is nothing to compare with.
    """
    if other is None or other.pk == rule_set.pk:
        return None

    def snapshot(target):
        rules = {
            ("rule", r.code): [getattr(r, n) for n in RULE_FIELDS]
            for r in target.rules.all()
        }
        delegations = {
            ("delegation", d.code): [getattr(d, n) for n in DELEGATION_FIELDS]
            for d in target.delegations.all()
        }
        return {**rules, **delegations}

    mine, theirs = snapshot(rule_set), snapshot(other)
    both = mine.keys() & theirs.keys()
    return {
        "version": other.version,
        "added": sorted(code for _kind, code in mine.keys() - theirs.keys()),
        "removed": sorted(code for _kind, code in theirs.keys() - mine.keys()),
        "changed": sorted(key[1] for key in both if mine[key] != theirs[key]),
    }


def active_rule_set():
    return RuleSet.objects.filter(is_active=True).first()


# A decision's trace step, in words; ``%(…)s`` come from the step itself.
TRACE_STATUS = {
    "matched": gettext_lazy("matched: this rule decided"),
    "no_match": gettext_lazy("its condition does not hold here"),
    "farther": gettext_lazy("matched, but another candidate is nearer"),
    "not_valid": gettext_lazy("not valid on this day"),
    "dormant": gettext_lazy("dormant: no active generation of %(layer)s"),
    "tie": gettext_lazy(
        "tie with %(with)s: the nearest owners are %(difference_m)s m apart, "
        "within the margin; the coordinator decides"
    ),
    "no_district": gettext_lazy("no district municipality covers the point"),
    "group_no_owner": gettext_lazy("its rule group named no owner"),
    "group_too_deep": gettext_lazy("rule groups nest too deep"),
}
OWNER_UNKNOWN = gettext_lazy(
    "the feature names owner “%(value)s”, which is no active body"
)
DELEGATED = gettext_lazy(
    "delegation %(delegation)s: from %(from)s to %(to)s (council decision %(decision)s)"
)


def trace_rows(trace, names):
    """The trace of a decision as rows ``{"rule", "status", "text", "group"}``."""
    rows = []
    for step in trace:
        if "delegation" in step:
            rows.append(
                {
                    "rule": step["delegation"],
                    "status": "delegated",
                    "text": DELEGATED
                    % {
                        **step,
                        "from": names.body(step["from"]),
                        "to": names.body(step["to"]),
                    },
                    "group": "",
                }
            )
            continue
        status = step.get("status", "")
        if status.startswith("owner_unknown:"):
            text = OWNER_UNKNOWN % {"value": status.partition(":")[2] or "—"}
            status = "owner_unknown"
        elif status in TRACE_STATUS:
            text = TRACE_STATUS[status] % step
        else:
            text = status
        if status == "matched" and step.get("group"):
            text = _("matched: rule group “%(group)s” names the owner") % step
        rows.append(
            {
                "rule": step.get("rule", ""),
                "status": status,
                "text": text,
                "group": step.get("in_group", ""),
            }
        )
    return rows
