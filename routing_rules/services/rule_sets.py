"""Loading and activating rule sets."""

import logging

from django.db import transaction
from django.utils import timezone

from geopool.errors import PackError
from geopool.services.events import event_record
from routing_rules.models import Rule, RuleSet, Stage

logger = logging.getLogger(__name__)

_STAGES = {label: value for value, label in Stage.choices}


def _rule_values(row):
    return {
        "code": row["code"],
        "stage": _STAGES[row["stage"]],
        "priority": int(row.get("priority") or 100),
        "categories": sorted(row.get("categories", "").replace(",", " ").split()),
        "condition": row["condition"],
        "owner_kind": row["owner_kind"],
        "owner_body_code": row.get("owner_body", ""),
        "owner_department_code": row.get("owner_department", ""),
        "description": row.get("description", ""),
    }


# What a rule is made of, as the pack gives it (also the admin's columns).
RULE_FIELDS = [
    "code",
    "stage",
    "priority",
    "categories",
    "condition",
    "owner_kind",
    "owner_body_code",
    "owner_department_code",
    "description",
]


def _stored_values(rule):
    return {name: getattr(rule, name) for name in RULE_FIELDS}


def rule_set_activate(rule_set, actor=None, actor_label=""):
    """Make ``rule_set`` the one live rule set (audited)."""
    with transaction.atomic():
        previous = RuleSet.objects.select_for_update().filter(is_active=True).first()
        if previous == rule_set:
            return rule_set
        if previous:
            previous.is_active = False
            previous.save(update_fields=["is_active"])
        rule_set.is_active = True
        rule_set.activated_at = timezone.now()
        rule_set.save(update_fields=["is_active", "activated_at"])
        event_record(
            "rule_set.activate",
            rule_set,
            actor=actor,
            actor_label=actor_label,
            before={"active_version": previous.version if previous else None},
            after={"active_version": rule_set.version},
        )
    logger.info("rule set v%s is now active", rule_set.version)
    return rule_set


def rule_set_load_from_pack(pack):
    """Store the pack's rule set; activate it when it is new.

    A rule-set version, once stored, never changes: loading a pack whose rules
    differ from the stored version of the same number is refused, so that
    every stored decision still names the rules that made it.
    """
    meta = pack.meta["rule_set"]
    wanted = [_rule_values(row) for row in pack.rules]
    existing = RuleSet.objects.filter(version=meta["version"]).first()
    if existing is not None:
        stored = sorted(
            (_stored_values(r) for r in existing.rules.all()), key=lambda v: v["code"]
        )
        if stored != sorted(wanted, key=lambda v: v["code"]):
            raise PackError(
                [
                    f"rule set version {meta['version']} is already stored with "
                    "different rules; give the changed rules a new "
                    "rule_set.version in pack.yaml"
                ]
            )
        active = RuleSet.objects.filter(is_active=True).first()
        if active is None:
            rule_set_activate(existing, actor_label="load_jurisdiction")
            active = existing
        return {
            "version": existing.version,
            "created": False,
            "rules": len(wanted),
            "active": active.version,
        }

    rule_set = RuleSet.objects.create(
        version=meta["version"], name=meta["name"], source=str(pack.path)
    )
    Rule.objects.bulk_create(Rule(rule_set=rule_set, **values) for values in wanted)
    rule_set_activate(rule_set, actor_label="load_jurisdiction")
    return {
        "version": rule_set.version,
        "created": True,
        "rules": len(wanted),
        "active": rule_set.version,
    }
