"""Rule sets: loading from the pack, drafting, editing, activating.

A rule set that has been live never changes again: decisions name it. New
rules are written in a *draft* (``rule_set_draft`` copies the active set
under the next version number), checked on every save
(``routing_rules.validation``), tested and simulated without touching live
routing, and made live by ``rule_set_activate`` (an audited event).
Every edit of a draft and its activation lock the set's row first, so an
edit never lands in a set that went live meanwhile: it is refused with
``RuleSetChanged``.
"""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from geopool import locks
from geopool.errors import PackError
from geopool.models import Event
from geopool.services.events import event_record
from routing_rules.context import live_context_clear
from routing_rules.errors import Problem, ProblemList, RuleError, RuleSetChanged
from routing_rules.models import Delegation, Rule, RuleSet
from routing_rules.validation import (
    STAGE_LABELS,
    catalogue_from_db,
    delegation_spec,
    rule_spec,
    validate,
)

logger = logging.getLogger(__name__)

CANNOT_GO_LIVE = gettext_noop("rule set v%(version)s cannot go live: %(problems)s")
NOT_A_DRAFT = gettext_noop(
    "rule set v%(version)s has been live and can no longer change; make a "
    "draft from it and edit that"
)

# What a rule is made of, as stored (also the admin's and the export's columns).
RULE_FIELDS = [
    "code",
    "stage",
    "priority",
    "group",
    "categories",
    "condition",
    "owner_kind",
    "owner_body_code",
    "owner_department_code",
    "owner_attribute",
    "owner_group",
    "valid_from",
    "valid_to",
    "description",
]

DELEGATION_FIELDS = [
    "code",
    "from_body_code",
    "to_body_code",
    "categories",
    "district_codes",
    "valid_from",
    "valid_to",
    "decision_ref",
    "description",
]


def rule_model_values(spec):
    """Model field values of a RuleSpec."""
    return {
        "code": spec.code,
        "stage": spec.stage,
        "priority": spec.priority,
        "group": spec.group,
        "categories": sorted(spec.categories),
        "condition": spec.condition,
        "terms": spec.terms,
        "owner_kind": spec.owner_kind,
        "owner_body_code": spec.owner_body,
        "owner_department_code": spec.owner_department,
        "owner_attribute": spec.owner_attribute,
        "owner_group": spec.owner_group,
        "valid_from": spec.valid_from,
        "valid_to": spec.valid_to,
        "description": spec.description,
    }


def delegation_model_values(spec, description=""):
    return {
        "code": spec.code,
        "from_body_code": spec.from_body,
        "to_body_code": spec.to_body,
        "categories": sorted(spec.categories),
        "district_codes": sorted(spec.district_codes),
        "valid_from": spec.valid_from,
        "valid_to": spec.valid_to,
        "decision_ref": spec.decision_ref,
        "description": description,
    }


def _comparable(values):
    return {k: v for k, v in values.items() if k != "terms"}


_ACTIVATING = locks.key_of("routing_rules.ruleset.activate")


def rule_set_activate(rule_set, actor=None, actor_label=""):
    """Make ``rule_set`` the one live rule set (audited).

    The set's row is locked first, as every edit of a draft locks it: an
    edit waiting for it then finds the set live and is refused, and the
    rules checked here are the rules that go live. Activations run one at a
    time (``_ACTIVATING``): two drafts going live at once would each wait
    for the live set's row, and the second, finding it no longer live,
    would take no set as the one it replaces.
    """
    with transaction.atomic():
        locks.hold(_ACTIVATING)
        if rule_set.pk:
            RuleSet.objects.select_for_update().filter(pk=rule_set.pk).values_list(
                "pk"
            ).get()
        previous = RuleSet.objects.select_for_update().filter(is_active=True).first()
        if previous == rule_set:
            return rule_set
        if rule_set.pk:
            rules = list(_specs(rule_set))
            errors, _ = validate(
                rules, _delegation_specs(rule_set), catalogue_from_db()
            )
            if errors:
                raise RuleError(
                    Problem(
                        CANNOT_GO_LIVE,
                        version=rule_set.version,
                        problems=ProblemList(errors),
                    )
                )
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
    live_context_clear()
    logger.info("rule set v%s is now active", rule_set.version)
    return rule_set


def _specs(rule_set):
    from routing_rules.context import RuleSpec

    return [RuleSpec.from_rule(r) for r in rule_set.rules.all()]


def _delegation_specs(rule_set):
    from routing_rules.context import DelegationSpec

    return [DelegationSpec.from_delegation(d) for d in rule_set.delegations.all()]


def pack_rule_specs(pack):
    """RuleSpecs and DelegationSpecs of the pack; RuleError names the line."""
    files = pack.meta["files"]
    rules, delegations, problems = [], [], []
    for row in pack.rules:
        try:
            rules.append((rule_spec(row), row))
        except RuleError as exc:
            problems.append(f"{files['rules']} line {row['_line']}: {exc}")
    for row in pack.delegations:
        try:
            delegations.append((delegation_spec(row), row))
        except RuleError as exc:
            problems.append(f"{files['delegations']} line {row['_line']}: {exc}")
    return rules, delegations, problems


def rule_set_load_from_pack(pack):
    """Store the pack's rule set; activate it when it is new.

    A rule-set version, once stored, never changes: loading a pack whose rules
    differ from the stored version of the same number is refused, so that
    every stored decision still names the rules that made it.
    """
    meta = pack.meta["rule_set"]
    rules, delegations, problems = pack_rule_specs(pack)
    if problems:
        raise PackError(problems)
    wanted = sorted(
        (_comparable(rule_model_values(spec)) for spec, _ in rules),
        key=lambda v: v["code"],
    )
    wanted_delegations = sorted(
        (
            delegation_model_values(spec, row.get("description", ""))
            for spec, row in delegations
        ),
        key=lambda v: v["code"],
    )
    existing = RuleSet.objects.filter(version=meta["version"]).first()
    if existing is not None:
        stored = sorted(
            (
                _comparable({n: getattr(r, n) for n in RULE_FIELDS})
                for r in existing.rules.all()
            ),
            key=lambda v: v["code"],
        )
        stored_delegations = sorted(
            (
                {n: getattr(d, n) for n in DELEGATION_FIELDS}
                for d in existing.delegations.all()
            ),
            key=lambda v: v["code"],
        )
        if stored != wanted or stored_delegations != wanted_delegations:
            raise PackError(
                [
                    f"rule set version {meta['version']} is already stored with "
                    "different rules or delegations; give the changed rules a new "
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
            "delegations": len(wanted_delegations),
            "active": active.version,
        }

    rule_set = RuleSet.objects.create(
        version=meta["version"], name=meta["name"], source=str(pack.path)
    )
    Rule.objects.bulk_create(
        Rule(rule_set=rule_set, **rule_model_values(spec)) for spec, _ in rules
    )
    Delegation.objects.bulk_create(
        Delegation(rule_set=rule_set, **values) for values in wanted_delegations
    )
    active = RuleSet.objects.filter(is_active=True).first()
    if active is None or active.version < rule_set.version:
        rule_set_activate(rule_set, actor_label="load_jurisdiction")
        active = rule_set
    return {
        "version": rule_set.version,
        "created": True,
        "rules": len(wanted),
        "delegations": len(wanted_delegations),
        "active": active.version,
    }


# The transaction-level advisory lock that numbers new rule sets. Locking
# the highest row does not do it: a second draft waits for that row, then
# reads it again and takes the same number as the first.
_NUMBERING_LOCK = locks.key_of("routing_rules.ruleset.version")


def version_next(*, lock=False):
    """The version a new rule set gets: one past the highest, drafts included.

    ``lock`` (inside a transaction): hold the numbering lock until it ends,
    so that drafts made at once get one number each.
    """
    if lock:
        locks.hold(_NUMBERING_LOCK)
    last = RuleSet.objects.order_by("-version").first()
    return last.version + 1 if last else 1


def rule_set_draft(base=None, name="", actor=None):
    """A new draft: a copy of ``base`` (default: the active set), next version."""
    base = base or RuleSet.objects.filter(is_active=True).first()
    with transaction.atomic():
        draft = RuleSet.objects.create(
            version=version_next(lock=True),
            name=name or (f"Taslak (v{base.version} kopyası)" if base else "Taslak"),
            based_on=base,
            source="draft",
        )
        if base is not None:
            Rule.objects.bulk_create(
                Rule(
                    rule_set=draft,
                    terms=r.terms,
                    **{n: getattr(r, n) for n in RULE_FIELDS},
                )
                for r in base.rules.all()
            )
            Delegation.objects.bulk_create(
                Delegation(
                    rule_set=draft, **{n: getattr(d, n) for n in DELEGATION_FIELDS}
                )
                for d in base.delegations.all()
            )
        event_record(
            "rule_set.draft",
            draft,
            actor=actor,
            after={
                "version": draft.version,
                "based_on": getattr(base, "version", None),
            },
        )
    return draft


def _draft_locked(rule_set):
    """``rule_set`` read again and locked until the transaction ends.

    Saving or deleting a rule or delegation and activating the set all lock
    the set's row first, so an edit never lands in a set that went live
    meanwhile: whoever comes second sees what the first did. Raises
    RuleSetChanged (``LIVE``) when the set is no draft (any more).
    """
    locked = RuleSet.objects.select_for_update().get(pk=rule_set.pk)
    if not locked.is_draft:
        raise RuleSetChanged(
            Problem(NOT_A_DRAFT, version=locked.version),
            reason=RuleSetChanged.LIVE,
            version=locked.version,
        )
    return locked


def rule_save(rule_set, values, rule=None, actor=None, seen=None):
    """Create or change one rule of a draft after checking the whole set.

    ``values`` are written values (as a form gives them); ``seen`` is the
    ``updated_at`` of ``rule`` when the form was read (None: not checked).
    Returns ``(rule, warnings)``; raises RuleError with every problem found,
    or RuleSetChanged when the set went live meanwhile or ``rule`` was
    deleted or saved by someone else since ``seen``.
    """
    spec = rule_spec(values)
    with transaction.atomic():
        rule_set = _draft_locked(rule_set)
        if rule is not None:
            rule = _rule_current(rule_set, rule, seen)
        others = [s for s in _specs(rule_set) if rule is None or s.id != rule.pk]
        errors, warnings = validate(
            [*others, spec], _delegation_specs(rule_set), catalogue_from_db()
        )
        if errors:
            raise RuleError(ProblemList(errors))

        fields = rule_model_values(spec)
        before = None
        if rule is None:
            rule = Rule.objects.create(rule_set=rule_set, **fields)
        else:
            before = {"condition": rule.condition, "owner": rule.owner_text}
            for name, value in fields.items():
                setattr(rule, name, value)
            rule.save()
        event_record(
            "rule.save",
            rule_set,
            actor=actor,
            before=before,
            after={
                "rule": rule.code,
                "stage": STAGE_LABELS[rule.stage],
                "condition": rule.condition,
                "owner": rule.owner_text,
            },
        )
    return rule, warnings


def _rule_current(rule_set, rule, seen=None):
    """``rule`` as stored now in the locked ``rule_set``.

    RuleSetChanged when it is gone, or when it was saved since ``seen``
    (its ``updated_at`` as the caller read it; None: not checked).
    """
    current = Rule.objects.filter(pk=rule.pk, rule_set=rule_set).first()
    if current is None:
        by, at = _last_event(rule_set, "rule.delete", before__rule=rule.code)
        raise RuleSetChanged(
            f"rule {rule.code} was deleted meanwhile",
            reason=RuleSetChanged.DELETED,
            version=rule_set.version,
            code=rule.code,
            by=by,
            at=at,
        )
    if seen is not None and current.updated_at != seen:
        by, _at = _last_event(rule_set, "rule.save", after__rule=current.code)
        raise RuleSetChanged(
            f"rule {current.code} was changed at {current.updated_at.isoformat()}, "
            f"after it was read at {seen.isoformat()}",
            reason=RuleSetChanged.CHANGED,
            version=rule_set.version,
            code=current.code,
            by=by,
            at=current.updated_at,
        )
    return current


def _last_event(rule_set, action, **detail):
    """(who, when) of the latest ``action`` event on ``rule_set`` matching
    ``detail``, or ("", None) when the audit trail has none."""
    event = (
        Event.objects.filter(
            object_type=RuleSet._meta.label_lower,
            object_id=str(rule_set.pk),
            action=action,
            **detail,
        )
        .order_by("-id")
        .first()
    )
    return (event.actor_label, event.at) if event else ("", None)


def rule_delete(rule, actor=None, seen=None):
    """Remove a rule from a draft, after checking the rules that remain.

    ``seen`` as for ``rule_save``: a rule saved since is not deleted.
    """
    with transaction.atomic():
        rule_set = _draft_locked(rule.rule_set)
        rule = _rule_current(rule_set, rule, seen)
        remaining = [s for s in _specs(rule_set) if s.id != rule.pk]
        errors, _ = validate(
            remaining, _delegation_specs(rule_set), catalogue_from_db()
        )
        if errors:
            raise RuleError(ProblemList(errors))

        event_record("rule.delete", rule_set, actor=actor, before={"rule": rule.code})
        rule.delete()


def delegation_delete(delegation, actor=None):
    """Remove a delegation from a draft (nothing else can depend on it)."""
    with transaction.atomic():
        rule_set = _draft_locked(delegation.rule_set)
        event_record(
            "delegation.delete",
            rule_set,
            actor=actor,
            before={"delegation": delegation.code},
        )
        Delegation.objects.filter(pk=delegation.pk).delete()


def delegation_save(rule_set, values, delegation=None, actor=None):
    """Create or change one delegation of a draft after checking the set."""
    spec = delegation_spec(values)
    fields = delegation_model_values(spec, values.get("description", ""))
    with transaction.atomic():
        rule_set = _draft_locked(rule_set)
        others = [
            d
            for d in _delegation_specs(rule_set)
            if delegation is None or d.code != delegation.code
        ]
        errors, _ = validate(_specs(rule_set), [*others, spec], catalogue_from_db())
        if errors:
            raise RuleError(ProblemList(errors))

        if delegation is None:
            delegation = Delegation.objects.create(rule_set=rule_set, **fields)
        else:
            for name, value in fields.items():
                setattr(delegation, name, value)
            delegation.save()
        event_record(
            "delegation.save", rule_set, actor=actor, after={"delegation": spec.code}
        )
    return delegation


def rule_set_check(rule_set):
    """(errors, warnings) of a stored rule set against today's data."""
    return validate(_specs(rule_set), _delegation_specs(rule_set), catalogue_from_db())
