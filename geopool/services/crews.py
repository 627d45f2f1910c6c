"""Field crews working tickets from the phone: take, start, resolve.

Each action goes through the workflow services (``geopool.services.workflow``:
status rules, the row lock, events, the citizen's answer needed to
resolve) and adds what the crew page needs on top:

- *take*: a crew member assigns an unassigned ticket of their body to their
  own crew (a crew taking its own work needs no manager's right to
  assign); a ticket another crew has taken is refused, naming that crew;
- *start*: the ticket becomes "in progress";
- *resolve*: the ticket becomes "resolved" with the answer to the citizen,
  an optional internal note and an optional photo (stored without EXIF).

A field crew member may start and resolve only tickets of their own crews.

Phones send actions they queued while out of coverage later. Each action
carries ``seen``, the ticket's ``updated_at`` when the crew last read it;
if the ticket changed since (someone else moved, answered or reassigned
it), the action is refused with ``TicketChanged``, which carries the
ticket as it is now, and nothing is applied: the phone shows the conflict
and keeps what was typed.
"""

import datetime as dt
import io
import logging

from django.db import transaction
from django.utils.translation import gettext as _

from geopool.models import ServiceRequest, Status
from geopool.roles import FIELD_CREW, can, has_role
from geopool.services import photos
from geopool.services.nearby import crews_of
from geopool.services.workflow import (
    TRANSITIONS,
    WorkflowError,
    is_coordinator,
    locked_request,
    request_assign,
    require_owner_staff,
    status_change,
)

logger = logging.getLogger(__name__)

TAKE, START, RESOLVE = "take", "start", "resolve"
ACTIONS = (TAKE, START, RESOLVE)


class TicketChanged(WorkflowError):
    """The ticket changed after the crew read it; ``current`` is it now."""

    def __init__(self, message, current):
        super().__init__(message)
        self.current = current


def seen_parse(raw):
    """The ``seen`` stamp (ISO 8601) sent by the phone, or None when absent."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise WorkflowError(
            _("seen=%(raw)s is not a time; send the ticket's updated_at as listed.")
            % {"raw": raw}
        ) from None
    if value.tzinfo is None:
        raise WorkflowError(
            _("seen=%(raw)s has no UTC offset; send updated_at as listed.")
            % {"raw": raw}
        )
    return value


def _is_field_crew(user):
    return has_role(user, FIELD_CREW) and not is_coordinator(user)


def own_crew(user, item):
    """The user's crew in the ticket's owning body (first by name), or None.

    TODO(scope): a member of several crews of one body takes tickets for the
    first of them; the page does not offer a choice yet.
    """
    return crews_of(user, body_id=item.owner_body_id).first()


def allowed_actions(user, item, crew_ids=None):
    """The actions the crew page offers ``user`` on ``item`` now."""
    if not can(user, "work_request") or item.status in Status.closed_values():
        return []
    profile = getattr(user, "staff", None)
    own_body = profile is not None and profile.body_id == item.owner_body_id
    if not own_body and not is_coordinator(user):
        return []
    # ``crew_ids``: the user's crews in their own body (what the list passes).
    if crew_ids is None or not own_body:
        crew_ids = set(
            crews_of(user, body_id=item.owner_body_id).values_list("pk", flat=True)
        )
    mine = item.assigned_crew_id is not None and item.assigned_crew_id in crew_ids
    actions = []
    if crew_ids and not mine and item.assigned_crew_id is None:
        actions.append(TAKE)
    if _is_field_crew(user) and not mine:
        return actions
    moves = TRANSITIONS.get(item.status, set())
    if Status.IN_PROGRESS in moves:
        actions.append(START)
    if Status.RESOLVED in moves:
        actions.append(RESOLVE)
    return actions


def _photo_checked(upload):
    """The photo's bytes, checked before anything is changed (PhotoRefused)."""
    data = upload.read(photos.MAX_BYTES + 1)
    if len(data) > photos.MAX_BYTES or not data:
        # Refused by the size check, before anything is stored.
        photos.photo_store(None, io.BytesIO(data))
    photos.clean_image(data)
    return data


def _locked(item):
    return locked_request(item.pk, ("category", "owner_body", "assigned_crew"))


def _check_seen(locked, seen):
    if seen is None or locked.updated_at == seen:
        return
    raise TicketChanged(
        _(
            "%(code)s changed after you read it (now “%(status)s”%(crew)s); "
            "nothing was done. Look at it again and repeat what is still needed."
        )
        % {
            "code": locked.tracking_code,
            "status": Status(locked.status).label,
            "crew": f", {locked.assigned_crew.name}" if locked.assigned_crew else "",
        },
        locked,
    )


def crew_act(item, action, *, actor, seen=None, note="", answer="", photo=None):
    """Apply one crew ``action`` to ``item``; return the ticket after it."""
    if action not in ACTIONS:
        raise WorkflowError(
            _("Unknown action “%(action)s”; expected one of: %(known)s.")
            % {"action": action, "known": ", ".join(ACTIONS)}
        )
    with transaction.atomic():
        locked = _locked(item)
        _check_seen(locked, seen)
        require_owner_staff(actor, locked)
        if not can(actor, "work_request"):
            raise WorkflowError(_("Your role may not work on requests."))
        crew = own_crew(actor, locked)
        mine = crew is not None and locked.assigned_crew_id in set(
            crews_of(actor, body_id=locked.owner_body_id).values_list("pk", flat=True)
        )
        if action == TAKE:
            if crew is None:
                raise WorkflowError(
                    _("You are not a member of a crew of %(body)s; a manager adds you.")
                    % {"body": locked.owner_body.name}
                )
            if mine:
                return locked
            if locked.assigned_crew_id is not None:
                raise TicketChanged(
                    _("%(code)s was already taken by %(crew)s.")
                    % {"code": locked.tracking_code, "crew": locked.assigned_crew.name},
                    locked,
                )
            if locked.status in Status.closed_values():
                raise WorkflowError(
                    _("%(code)s is “%(status)s”; there is nothing to take.")
                    % {
                        "code": locked.tracking_code,
                        "status": Status(locked.status).label,
                    }
                )
            done = request_assign(locked, actor=actor, crew=crew, taking=True)
        else:
            if _is_field_crew(actor) and not mine:
                raise WorkflowError(
                    _("%(code)s is not your crew's ticket; take it first.")
                    % {"code": locked.tracking_code}
                )
            to = Status.IN_PROGRESS if action == START else Status.RESOLVED
            data = _photo_checked(photo) if action == RESOLVE and photo else None
            done = status_change(locked, to, actor=actor, note=note, answer=answer)
            if data is not None:
                photos.photo_store(done, io.BytesIO(data), actor=actor)
        logger.info("%s: %s %s", locked.tracking_code, actor.get_username(), action)
    return ServiceRequest.objects.select_related(
        "category", "owner_body", "assigned_crew"
    ).get(pk=done.pk)
