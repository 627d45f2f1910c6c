"""Storing decisions: append-only, one current per request."""

from django.db import transaction

from geopool.services.events import event_record
from routing_rules.models import Decision


def decision_record(request, outcome, *, actor=None, actor_label=""):
    """Store ``outcome`` as ``request``'s current decision and copy its owner.

    The previous current decision (if any) is retired, never changed
    otherwise; the request's owner fields follow the new decision.
    """
    with transaction.atomic():
        previous = (
            Decision.objects.select_for_update(of=("self",))
            .filter(request=request, is_current=True)
            .first()
        )
        if previous:
            previous.is_current = False
            previous.save(update_fields=["is_current"])
        decision = decision_new(request, outcome)
        decision.save(force_insert=True)
        request.owner_body_id = outcome.owner_body_id
        request.owner_department_id = outcome.owner_department_id
        request.needs_triage = outcome.needs_triage
        request.is_urgent = outcome.is_urgent
        request.save(
            update_fields=[
                "owner_body",
                "owner_department",
                "needs_triage",
                "is_urgent",
                "updated_at",
            ]
        )
        event_record(
            "request.route",
            request,
            actor=actor,
            actor_label=actor_label,
            before={"owner": previous.owner_body.code} if previous else None,
            after={
                "owner": outcome.owner_body.code,
                "department": getattr(outcome.owner_department, "code", None),
                "rule": outcome.rule_code,
                "flags": outcome.flags,
            },
        )
    return decision


def decision_new(request, outcome):
    """The unsaved current ``Decision`` of ``outcome`` for ``request``."""
    return Decision(
        request=request,
        owner_body_id=outcome.owner_body_id,
        owner_department_id=outcome.owner_department_id,
        rule_id=outcome.rule_id,
        rule_code=outcome.rule_code,
        rule_set_version=outcome.rule_set_version,
        generations=outcome.generations,
        candidates=outcome.candidates,
        flags=outcome.flags,
        trace=outcome.trace,
        explanation_tr=outcome.explanation_tr,
        explanation_en=outcome.explanation_en,
    )
