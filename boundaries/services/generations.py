"""Activating, rolling back and discarding generations (all audited).

Activation is a separate step from import: a planner looks at the checks
and the impact preview first. A generation whose checks found an error is
not activated unless the planner explicitly accepts it (``force``); a
rollback returns to the previously active generation in one step.

Activations of one layer are serialised on the layer's row. A planner
decides to activate generation 5 seeing generation 3 live; if generation 4
went live meanwhile (another planner, at the same moment), activating 5
would replace 4 unseen, so it is refused, saying so: the planner looks at
the layer again and decides.
"""

import logging

from django.db import transaction
from django.utils import timezone

from boundaries.errors import ActivationRefused
from boundaries.importing.checks import has_errors
from boundaries.models import Generation, GenerationState, Layer
from geopool.services.events import event_record

logger = logging.getLogger(__name__)


_UNSEEN = object()


def generation_activate(
    generation, *, actor=None, force=False, reason="activate", seen_active=_UNSEEN
):
    """Make ``generation`` the active one of its layer.

    ``seen_active`` is the active generation (or None) the decision rests on,
    read now if not given; if another went live before this call gets the
    layer, it is refused (see the module's docstring).
    """
    if seen_active is _UNSEEN:
        seen_active = _active_of(generation.layer_id)
    seen_pk = seen_active.pk if seen_active is not None else None
    with transaction.atomic():
        layer = Layer.objects.select_for_update().get(pk=generation.layer_id)
        generation = Generation.objects.select_for_update().get(pk=generation.pk)
        if generation.state == GenerationState.DISCARDED:
            raise ActivationRefused(
                f"{generation} was discarded; import the file again to use it"
            )
        problems = generation.report.get("checks", [])
        if has_errors(problems) and not force:
            errors = [p["message"] for p in problems if p["severity"] == "error"]
            raise ActivationRefused(
                f"{generation} has {len(errors)} error(s) and was not activated: "
                + "; ".join(errors[:5])
                + ". Fix the file, or accept the errors explicitly (--force)"
            )
        current = (
            Generation.objects.select_for_update()
            .filter(layer=layer, is_active=True)
            .first()
        )
        if current == generation:
            return generation
        if (current.pk if current else None) != seen_pk:
            raise ActivationRefused(
                f"generation {current.number} of layer {layer.code} became active "
                f"meanwhile, so {generation} was not activated; look at the layer "
                f"again and activate {generation} if it should replace generation "
                f"{current.number}"
            )
        if current:
            current.is_active = False
            current.save(update_fields=["is_active"])
        generation.is_active = True
        generation.activated_at = timezone.now()
        fields = ["is_active", "activated_at"]
        if reason != "rollback":
            # A rollback keeps the target's own history, so that the next
            # rollback goes further back instead of forth again.
            generation.replaced = current
            fields.append("replaced")
        generation.save(update_fields=fields)
        # What went live is the mapping the next import of the layer starts
        # from (a draft that never goes live does not change it).
        if generation.field_mapping:
            layer.field_mapping = generation.field_mapping
            layer.save(update_fields=["field_mapping"])
        event_record(
            f"generation.{reason}",
            generation,
            actor=actor,
            actor_label="" if actor else "command line",
            before={"active": current.number if current else None},
            after={"active": generation.number, "forced": force},
        )
    logger.info("%s is now active (%s)", generation, reason)
    return generation


def _active_of(layer_id):
    return Generation.objects.filter(layer_id=layer_id, is_active=True).first()


def generation_previous(layer):
    """The generation the active one replaced, i.e. a rollback's target, or None."""
    current = layer.generations.filter(is_active=True).select_related("replaced")
    current = current.first()
    if current is None or current.replaced is None:
        return None
    return current.replaced


def generation_rollback(layer, *, actor=None):
    """Return ``layer`` to its previously active generation."""
    current = _active_of(layer.pk)
    previous = current.replaced if current is not None else None
    if previous is None:
        raise ActivationRefused(
            f"layer {layer.code} has no previous generation to roll back to"
        )
    # It was live before; its checks were accepted then.
    return generation_activate(
        previous, actor=actor, force=True, reason="rollback", seen_active=current
    )


def generation_discard(generation, *, actor=None):
    """Abandon a draft; the active generation is untouched."""
    with transaction.atomic():
        generation = Generation.objects.select_for_update().get(pk=generation.pk)
        if generation.state != GenerationState.DRAFT:
            raise ActivationRefused(
                f"{generation} is {GenerationState(generation.state).label}; only "
                "drafts can be discarded"
            )
        generation.discarded_at = timezone.now()
        generation.save(update_fields=["discarded_at"])
        event_record(
            "generation.discard",
            generation,
            actor=actor,
            actor_label="" if actor else "command line",
        )
    return generation
