"""Writing the audit trail."""

from geopool.models import Event


def event_record(action, obj, *, actor=None, actor_label="", before=None, after=None):
    """Append one event about ``obj`` (a model instance) to the trail."""
    event = event_new(
        action, obj, actor=actor, actor_label=actor_label, before=before, after=after
    )
    event.save(force_insert=True)
    return event


def event_new(action, obj, *, actor=None, actor_label="", before=None, after=None):
    """The unsaved event ``event_record`` writes (for one multi-row INSERT)."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return Event(
        actor=actor,
        actor_label=actor_label or (actor.get_username() if actor else "system"),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        before=before,
        after=after,
    )
