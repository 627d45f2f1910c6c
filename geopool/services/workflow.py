"""Work on a request: statuses, answers, assignment, transfers, SLA clocks.

Every function here locks the request row (``select_for_update``) before it
looks at the request's state, so two staff acting at once cannot both win:
the second sees what the first did and gets a ``WorkflowError`` saying so
("the request is already accepted"). Every change is an ``Event`` with who,
when, before and after.

Statuses (``geopool.models.Status``) follow ``TRANSITIONS``; resolving needs
a citizen-facing answer, and sending the first answer stops the legal
30-day clock. The SLA clock counts working minutes on the jurisdiction's
calendar (``geopool.worktime``) and pauses while a transfer is pending or
the request waits for information.

Transfers: the owner proposes another body with a reason; the receiving
body accepts (it becomes the owner) or refuses (the request goes to the
pool coordinator's triage queue); a proposal unanswered for the pack's
``transfer_answer_working_days`` (default 2) escalates to the coordinator
(``transfers_escalate_due``, run by ``manage.py run_due_jobs``). A transfer
back to the body that just handed the request over is flagged a dispute.
Each move tells the citizen (``geopool.services.notify``).
"""

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geopool.errors import GeopoolError
from geopool.models import (
    Body,
    Category,
    Contact,
    ServiceRequest,
    Status,
)
from geopool.models.workflow import (
    Answer,
    Note,
    Priority,
    Transfer,
    TransferReason,
    TransferState,
)
from geopool.roles import ADMINISTRATOR, COORDINATOR, can, has_role
from geopool.services.events import event_record
from geopool.services.notify import citizen_notify
from geopool.services.pool_state import pool_state

logger = logging.getLogger(__name__)

# The longest note or answer a person writes (a page's form, the crew page,
# the services behind them): longer text is refused, never stored.
TEXT_MAX = 5000

LEGAL_ANSWER_DAYS = 30

S = Status
TRANSITIONS = {
    S.NEW: {S.ASSIGNED, S.ACCEPTED, S.WAITING_INFO, S.REFUSED, S.DUPLICATE},
    S.ASSIGNED: {S.ACCEPTED, S.IN_PROGRESS, S.WAITING_INFO, S.DUPLICATE},
    S.ACCEPTED: {S.ASSIGNED, S.IN_PROGRESS, S.WAITING_INFO, S.RESOLVED, S.DUPLICATE},
    S.IN_PROGRESS: {S.WAITING_INFO, S.RESOLVED, S.ASSIGNED},
    S.WAITING_INFO: {S.ACCEPTED, S.IN_PROGRESS, S.RESOLVED, S.REFUSED},
    S.REOPENED: {S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS, S.RESOLVED},
    S.RESOLVED: {S.CLOSED, S.REOPENED},
    S.CLOSED: {S.REOPENED},
    S.REFUSED: {S.REOPENED},
    S.DUPLICATE: {S.REOPENED},
}
# Moves that need a citizen-facing answer in the same step.
NEEDS_ANSWER = {S.RESOLVED, S.REFUSED}
# While in these statuses the SLA clock does not run.
PAUSED = {S.WAITING_INFO}
FINISHED = {S.RESOLVED, S.CLOSED, S.REFUSED, S.DUPLICATE}


class WorkflowError(GeopoolError):
    """A move that is not allowed now; the message says why and what to do."""


class WorkflowInputError(WorkflowError):
    """A move that lacks part of its input (an answer, a reason).

    Nothing conflicts with the request as it now is: the same person sends
    it again with ``field`` filled in, so the pages answer 400, not 409.
    """

    def __init__(self, message, field):
        super().__init__(message)
        self.field = field


class TextTooLong(WorkflowInputError):
    """A note or answer over ``TEXT_MAX`` characters; ``field`` names it."""

    def __init__(self, field, length):
        super().__init__(
            _("%(field)s: %(length)s characters; write at most %(limit)s.")
            % {
                "field": FIELD_NAMES.get(field, field),
                "length": length,
                "limit": TEXT_MAX,
            },
            field,
        )


FIELD_NAMES = {
    "note": gettext_lazy("Internal note"),
    "answer": gettext_lazy("Answer to the citizen"),
    "public_description": gettext_lazy("Public text"),
}

# -- who may act ---------------------------------------------------------------


def is_coordinator(user):
    return has_role(user, COORDINATOR, ADMINISTRATOR)


def _body_of(user):
    profile = getattr(user, "staff", None)
    return profile.body if profile else None


def owner_refusal(request):
    """Why staff of another body than ``request``'s owner may not act on it.

    Often the owner changed a moment ago (a transfer accepted while this
    user's page was open): the message names the owner now.
    """
    return _(
        "This request belongs to %(owner)s; only its staff or a pool "
        "coordinator may do this."
    ) % {"owner": Body.objects.get(pk=request.owner_body_id).name}


def require_owner_staff(user, request, permission="work_request"):
    """Staff of the owning body, or a coordinator, holding ``permission``.

    ``permission`` is a ``geopool`` Django permission (``work_request``,
    ``assign_request``, ``transfer_request``), the same the pages check, so
    a caller that skips the page (a script, a test, the API) is held to the
    same rule. Raises WorkflowError naming what is missing.
    """
    if not can(user, permission):
        raise WorkflowError(
            _("Your role does not allow this (it needs the permission “%(perm)s”).")
            % {"perm": permission}
        )
    if is_coordinator(user):
        return
    body = _body_of(user)
    if body is None or body.pk != request.owner_body_id:
        if body is not None and request.owner_body_id is not None:
            raise WorkflowError(owner_refusal(request))
        raise WorkflowError(
            _("Only the owning body's staff or a pool coordinator may do this.")
        )


def locked_request(pk, related=("category", "owner_body")):
    """The request ``pk``, locked for this transaction, with ``related``.

    The row is locked by a statement of its own, then read with its related
    rows. Locked and joined in one statement, a row another transaction
    changed meanwhile (a transfer accepted a moment ago) is read again by
    PostgreSQL after the wait, but its joined rows are not: the request came
    back with its new owner's id and no owner.
    """
    ServiceRequest.objects.select_for_update().filter(pk=pk).values_list("pk").get()
    return ServiceRequest.objects.select_related(*related).get(pk=pk)


def _locked(request):
    return locked_request(request.pk)


# -- clocks ----------------------------------------------------------------------


def _settings():
    return pool_state().settings


def calendar_and_hours(body_code, state=None):
    """The working calendar and the working hours of body ``body_code``."""
    state = state or pool_state()
    return state.calendar, state.hours(body_code)


def sla_minutes(category, priority, state=None):
    state = state or pool_state()
    return state.sla_minutes(getattr(category, "pk", category), priority)


def sla_start(request, at=None, *, state=None, body_code=None, reachable=None):
    """Set the SLA target and start the clock (on creation or a new owner).

    ``state`` (a ``PoolState``) and ``body_code`` (the owner's) spare the
    reads when the caller has them, as intake does; so does ``reachable``
    (see ``is_reachable``) for a request not stored yet.
    """
    at = at or timezone.now()
    state = state or pool_state()
    request.sla_minutes = sla_minutes(request.category_id, request.priority, state)
    request.sla_used_minutes = 0
    request.sla_running_since = at
    request.sla_warned_at = None
    _sla_due(request, state=state, body_code=body_code)
    if reachable is None:
        reachable = is_reachable(request)
    if request.legal_due_at is None and reachable:
        request.legal_due_at = request.requested_at + dt.timedelta(
            days=LEGAL_ANSWER_DAYS
        )


def is_reachable(request, contact=None):
    """Whether the citizen left a way to be answered (a phone or an e-mail).

    Without one there is no legal answer clock and no message to send, as
    for an anonymous report; a name alone cannot be answered. ``contact``
    (the fields about to be stored) spares the read for a new request.
    """
    if request.is_anonymous:
        return False
    if contact is not None:
        return bool(contact.get("phone") or contact.get("email"))
    if request.pk is None:
        return False
    return Contact.objects.filter(request=request).exclude(phone="", email="").exists()


def _sla_due(request, *, state=None, body_code=None):
    if request.sla_minutes is None or request.sla_running_since is None:
        request.sla_due_at = None
        return
    calendar, hours = calendar_and_hours(body_code or request.owner_body.code, state)
    left = max(request.sla_minutes - request.sla_used_minutes, 0)
    request.sla_due_at = calendar.add(request.sla_running_since, left, hours)


def sla_pause(request, at=None):
    at = at or timezone.now()
    if request.sla_running_since is None:
        return
    calendar, hours = calendar_and_hours(request.owner_body.code)
    request.sla_used_minutes += calendar.between(request.sla_running_since, at, hours)
    request.sla_running_since = None
    request.sla_due_at = None


def sla_resume(request, at=None):
    if request.sla_running_since is not None or request.sla_minutes is None:
        return
    request.sla_running_since = at or timezone.now()
    _sla_due(request)


CLOCK_FIELDS = [
    "sla_minutes",
    "sla_warned_at",
    "sla_used_minutes",
    "sla_running_since",
    "sla_due_at",
    "legal_due_at",
]


# -- statuses --------------------------------------------------------------------


def text_check(**texts):
    """Refuse a note or answer longer than ``TEXT_MAX`` characters."""
    for name, value in texts.items():
        if value and len(value) > TEXT_MAX:
            raise TextTooLong(name, len(value))


def status_change(request, to, *, actor, note="", answer="", permission="work_request"):
    """Move ``request`` to status ``to``; return the updated request.

    ``answer`` (citizen-facing) is required to resolve or refuse; a note
    is kept as an internal note. ``permission`` is what ``actor`` must hold
    (an operator closing an information call holds ``enter_call``).
    """
    to = Status(to)
    text_check(note=note, answer=answer)
    with transaction.atomic():
        locked = _locked(request)
        require_owner_staff(actor, locked, permission)
        before = locked.status
        if to not in TRANSITIONS.get(before, set()):
            allowed = ", ".join(
                sorted(str(s.label) for s in TRANSITIONS.get(before, ()))
            )
            raise WorkflowError(
                _(
                    "A request in status “%(from)s” cannot become “%(to)s”; from "
                    "here it can become: %(allowed)s."
                )
                % {"from": Status(before).label, "to": to.label, "allowed": allowed}
            )
        if locked.pending_transfer_id():
            raise WorkflowError(
                _(
                    "A transfer of this request is waiting for an answer; withdraw "
                    "it or wait for the other body."
                )
            )
        if to in NEEDS_ANSWER and not answer.strip() and not locked.answered_at:
            raise WorkflowInputError(
                _(
                    "Resolving or refusing needs an answer to the citizen (the "
                    "reasoned answer the law asks for); write it in the answer field."
                ),
                "answer",
            )
        now = timezone.now()
        if answer.strip():
            _answer(locked, answer, actor, now)
        if note.strip():
            _note(locked, note, actor)
        locked.status = to
        if to in PAUSED:
            sla_pause(locked, now)
        elif before in PAUSED or to == S.REOPENED:
            sla_resume(locked, now)
        if to in FINISHED:
            sla_pause(locked, now)
            if to == S.RESOLVED:
                locked.resolved_at = now
            locked.closed_at = now
        elif to == S.REOPENED:
            locked.closed_at = None
            locked.resolved_at = None
            if locked.sla_running_since is None and locked.sla_minutes is not None:
                sla_resume(locked, now)
        locked.save()
        event_record(
            "request.status",
            locked,
            actor=actor,
            before={"status": before},
            after={"status": to, "note": note or None},
        )
    if to in (S.RESOLVED, S.REOPENED, S.REFUSED):
        citizen_notify(locked, "status")
    return locked


def _answer(request, text, actor, now):
    body = _body_of(actor) or request.owner_body
    answer = Answer.objects.create(
        request=request, text=text.strip(), author=actor, body=body, sent_at=now
    )
    if request.answered_at is None:
        request.answered_at = now
    event_record("request.answer", request, actor=actor, after={"answer": answer.text})
    return answer


def _note(request, text, actor):
    body = _body_of(actor) or request.owner_body
    note = Note.objects.create(request=request, author=actor, body=body, text=text)
    event_record("request.note", request, actor=actor, after={"note": text})
    return note


def answer_send(request, text, *, actor):
    """Send a citizen-facing answer without changing the status."""
    text_check(answer=text)
    if not text.strip():
        raise WorkflowInputError(
            _("The answer is empty; write what the citizen should read."), "text"
        )
    with transaction.atomic():
        locked = _locked(request)
        require_owner_staff(actor, locked)
        answer = _answer(locked, text, actor, timezone.now())
        locked.save(update_fields=["answered_at", "updated_at"])
    citizen_notify(locked, "answer")
    return answer


def note_add(request, text, *, actor):
    text_check(note=text)
    if not text.strip():
        raise WorkflowInputError(_("The note is empty."), "text")
    with transaction.atomic():
        locked = _locked(request)
        require_owner_staff(actor, locked)
        return _note(locked, text.strip(), actor)


def request_assign(request, *, actor, department=None, crew=None, taking=False):
    """Assign within the owning body: a department and/or a crew.

    ``taking``: a member of ``crew`` takes the ticket for it (the field
    crew's "take"), which needs the right to work requests, not to assign.
    """
    with transaction.atomic():
        locked = _locked(request)
        if taking:
            require_owner_staff(actor, locked, "work_request")
            if crew is None or not crew.members.filter(pk=actor.pk).exists():
                raise WorkflowError(_("Only a member of the crew can take it for it."))
        else:
            require_owner_staff(actor, locked, "assign_request")
        for unit in (department, crew):
            if unit is not None and unit.body_id != locked.owner_body_id:
                raise WorkflowError(
                    _("%(unit)s belongs to another body; assign within %(body)s.")
                    % {"unit": unit, "body": locked.owner_body.name}
                )
        before = {
            "department": getattr(locked.owner_department, "code", None),
            "crew": locked.assigned_crew_id,
        }
        if department is not None:
            locked.owner_department = department
        if crew is not None:
            locked.assigned_crew = crew
        if locked.status in (S.NEW, S.ACCEPTED, S.REOPENED):
            locked.status = S.ASSIGNED
        locked.save()
        event_record(
            "request.assign",
            locked,
            actor=actor,
            before=before,
            after={
                "department": getattr(locked.owner_department, "code", None),
                "crew": locked.assigned_crew_id,
            },
        )
    return locked


def requests_accept(requests, *, actor):
    """Bulk accept: returns (accepted, [(tracking code, reason)] refused)."""
    done, refused = [], []
    for item in requests:
        try:
            done.append(status_change(item, S.ACCEPTED, actor=actor))
        except WorkflowError as exc:
            refused.append((item.tracking_code, str(exc)))
    return done, refused


# -- transfers -------------------------------------------------------------------


def _owner_record(request, body, actor, flags, tr, en):
    """Store the move of ownership as a decision (the ownership history)."""
    from routing_rules.models import Decision

    Decision.objects.filter(request=request, is_current=True).update(is_current=False)
    Decision.objects.create(
        request=request,
        owner_body=body,
        owner_department=None,
        rule=None,
        rule_code="",
        rule_set_version=None,
        generations={},
        candidates=[],
        flags=flags,
        trace=[],
        explanation_tr=tr,
        explanation_en=en,
    )


def transfer_propose(request, to_body, reason, *, actor, note=""):
    if isinstance(to_body, str):
        to_body = Body.objects.get(code=to_body, is_active=True)
    reason = TransferReason(reason)
    with transaction.atomic():
        locked = _locked(request)
        require_owner_staff(actor, locked, "transfer_request")
        if locked.status in FINISHED:
            raise WorkflowError(
                _("The request is “%(status)s”; reopen it before transferring it.")
                % {"status": Status(locked.status).label}
            )
        if locked.pending_transfer_id():
            raise WorkflowError(
                _("A transfer of this request is already waiting for an answer.")
            )
        if to_body.pk == locked.owner_body_id:
            raise WorkflowError(
                _("%(body)s already owns this request.") % {"body": to_body.name}
            )
        last = (
            Transfer.objects.filter(request=locked, state=TransferState.ACCEPTED)
            .order_by("-answered_at", "-id")
            .first()
        )
        dispute = bool(
            last
            and last.from_body_id == to_body.pk
            and last.to_body_id == locked.owner_body_id
        )
        now = timezone.now()
        calendar, hours = calendar_and_hours(to_body.code)
        days = int(_settings().get("transfer_answer_working_days", 2))
        transfer = Transfer.objects.create(
            request=locked,
            from_body=locked.owner_body,
            to_body=to_body,
            reason=reason,
            note=note,
            proposed_by=actor,
            proposed_at=now,
            answer_due_at=calendar.working_days_after(now, days, hours),
            is_dispute=dispute,
        )
        sla_pause(locked, now)
        if dispute:
            locked.is_disputed = True
        locked.save()
        event_record(
            "transfer.propose",
            locked,
            actor=actor,
            before={"owner": locked.owner_body.code},
            after={
                "to": to_body.code,
                "reason": reason,
                "note": note or None,
                "dispute": dispute,
            },
        )
    return transfer


def transfer_answer(transfer, accept, *, actor, note=""):
    """The receiving body accepts or refuses (with a reason) a proposal."""
    with transaction.atomic():
        locked = _locked(transfer.request)
        current = Transfer.objects.select_for_update().get(pk=transfer.pk)
        if current.state != TransferState.PENDING:
            raise WorkflowError(
                _("This transfer was already answered: %(state)s.")
                % {"state": TransferState(current.state).label}
            )
        body = _body_of(actor)
        if not is_coordinator(actor) and (
            body is None or body.pk != current.to_body_id
        ):
            raise WorkflowError(
                _("Only %(body)s (or a pool coordinator) may answer it.")
                % {"body": current.to_body.name}
            )
        if not accept and not note.strip():
            raise WorkflowInputError(
                _("Say why the transfer is refused (the reason field)."), "note"
            )
        now = timezone.now()
        current.answered_by, current.answered_at = actor, now
        current.answer_note = note
        if accept:
            current.state = TransferState.ACCEPTED
            previous = locked.owner_body
            locked.owner_body = current.to_body
            locked.owner_department = None
            locked.assigned_crew = None
            locked.needs_triage = False
            locked.status = S.ACCEPTED
            _owner_record(
                locked,
                current.to_body,
                actor,
                ["transfer"],
                f"{previous.name} devretti, {current.to_body.name} kabul etti "
                f"({TransferReason(current.reason).label})",
                f"transferred by {previous.name}, accepted by {current.to_body.name}",
            )
            sla_start(locked, now)
        else:
            current.state = TransferState.REFUSED
            locked.needs_triage = True
            sla_resume(locked, now)
        current.save()
        locked.save()
        event_record(
            "transfer.accept" if accept else "transfer.refuse",
            locked,
            actor=actor,
            before={"owner": current.from_body.code},
            after={"owner": locked.owner_body.code, "note": note or None},
        )
    citizen_notify(locked, "transfer" if accept else "triage")
    return current


def withdraw_refusal(transfer):
    """Why ``transfer`` can no longer be withdrawn, or None if it can."""
    if transfer.state == TransferState.PENDING:
        return None
    return _(
        "Only a transfer waiting for an answer can be withdrawn; this one is "
        "“%(state)s”."
    ) % {"state": TransferState(transfer.state).label}


def transfer_withdraw(transfer, *, actor):
    with transaction.atomic():
        locked = _locked(transfer.request)
        current = Transfer.objects.select_for_update().get(pk=transfer.pk)
        refusal = withdraw_refusal(current)
        if refusal:
            # Checked first: when the other body has just answered, that is
            # what the one withdrawing needs to hear, not who owns it now.
            raise WorkflowError(refusal)
        require_owner_staff(actor, locked, "transfer_request")
        current.state = TransferState.WITHDRAWN
        current.answered_at = timezone.now()
        current.save()
        sla_resume(locked)
        locked.save()
        event_record(
            "transfer.withdraw", locked, actor=actor, after={"transfer": current.pk}
        )
    return current


def coordinator_assign(request, body, *, actor, note=""):
    """The coordinator settles a request: gives it to ``body``."""
    if not is_coordinator(actor):
        raise WorkflowError(_("Only a pool coordinator may assign across bodies."))
    if isinstance(body, str):
        body = Body.objects.get(code=body, is_active=True)
    with transaction.atomic():
        locked = _locked(request)
        now = timezone.now()
        settled = {"settled_at": now, "settled_by": actor, "settled_to": body}
        # A proposal still waiting is answered by this decision; a refusal
        # or an escalation keeps its own outcome, the decision beside it.
        Transfer.objects.filter(request=locked, state=TransferState.PENDING).update(
            state=TransferState.SETTLED, answered_at=now, answered_by=actor, **settled
        )
        Transfer.objects.filter(
            request=locked,
            state__in=[TransferState.REFUSED, TransferState.ESCALATED],
            settled_at__isnull=True,
        ).update(**settled)
        previous = locked.owner_body
        locked.owner_body = body
        locked.owner_department = None
        locked.assigned_crew = None
        locked.needs_triage = False
        if locked.status not in FINISHED:
            locked.status = S.NEW
        _owner_record(
            locked,
            body,
            actor,
            ["coordinator"],
            f"Havuz koordinatörü {body.name} kurumuna verdi"
            + (f": {note}" if note else ""),
            f"the pool coordinator gave it to {body.name}"
            + (f": {note}" if note else ""),
        )
        sla_start(locked)
        locked.save()
        event_record(
            "request.coordinator_assign",
            locked,
            actor=actor,
            before={"owner": previous.code if previous else None},
            after={"owner": body.code, "note": note or None},
        )
    citizen_notify(locked, "transfer")
    return locked


def transfers_escalate_due(now=None):
    """Escalate proposals whose answer time passed; return how many."""
    now = now or timezone.now()
    count = 0
    due = Transfer.objects.filter(state=TransferState.PENDING, answer_due_at__lte=now)
    for transfer in due.select_related("request"):
        with transaction.atomic():
            locked = _locked(transfer.request)
            current = Transfer.objects.select_for_update().get(pk=transfer.pk)
            if current.state != TransferState.PENDING:
                continue
            current.state = TransferState.ESCALATED
            current.save(update_fields=["state"])
            locked.needs_triage = True
            sla_resume(locked, now)
            locked.save()
            event_record(
                "transfer.escalate",
                locked,
                actor_label="run_due_jobs",
                after={"transfer": current.pk, "to": current.to_body.code},
            )
            count += 1
    if count:
        logger.info("%d unanswered transfers escalated to the coordinator", count)
    return count


def request_priority(category):
    return (
        Priority.URGENT
        if Category.objects.filter(pk=category.pk, is_emergency=True).exists()
        else Priority.NORMAL
    )
