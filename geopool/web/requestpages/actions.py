"""The actions on a request's page: each a POST under ``/requests/<code>/``.

Every action finds the request through the same visibility check as the
page (404 otherwise), checks the user's right for that action (403 with
the reason), validates its form (400, with what was typed kept) and calls
one service. A move the service finds incomplete (resolving without an
answer: ``WorkflowInputError``) is 400 as well. The services lock the
request row: when two staff act at once the second waits, sees what the
first did and gets a ``WorkflowError`` ("this transfer was already
answered"), shown on the page as it now is (409), again with the typed text
kept. Success redirects to the page with a message saying what happened.

The public text and the public photos (``geopool.services.publication``)
are set by the same people who work the request; a public text another
user changed meanwhile is refused (409) with what it reads now, and the
typed text kept.

Re-routing (``request_reroute``, ``request_change`` in
``geopool.services.rerouting``) locks the row, refuses while a transfer
waits or once the request is finished, and resets a request whose owner
changed, for this page and the triage queue alike.
"""

import logging

from django.contrib import messages
from django.forms import Textarea
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from geopool.models import Photo, Status
from geopool.services.photos import PhotoRefused, photo_store
from geopool.services.publication import photo_publish, public_text_set
from geopool.services.rerouting import REROUTE_FINISHED as REROUTE_FINISHED
from geopool.services.rerouting import REROUTE_PENDING as REROUTE_PENDING
from geopool.services.rerouting import request_change, request_reroute
from geopool.services.workflow import (
    WorkflowError,
    WorkflowInputError,
    answer_send,
    coordinator_assign,
    note_add,
    owner_refusal,
    request_assign,
    require_owner_staff,
    status_change,
    transfer_answer,
    transfer_propose,
    transfer_withdraw,
    withdraw_refusal,
)
from geopool.web.access import staff_required
from geopool.web.requestpages import access
from geopool.web.requestpages.forms import (
    ACCEPT,
    AnswerForm,
    AssignForm,
    ChangeForm,
    CoordinatorAssignForm,
    NoteForm,
    PhotoForm,
    PublicTextForm,
    StatusForm,
    TransferAnswerForm,
    TransferForm,
)
from geopool.web.requestpages.views import explanation, render_page
from routing_rules.errors import OutsideServiceArea, RoutingError

logger = logging.getLogger(__name__)

# What the page says after each action (tests import these).
STATUS_CHANGED = _("The status is now “%(status)s”.")
ANSWER_SENT = _("The answer to the citizen was recorded.")
NOTE_ADDED = _("The note was added.")
PHOTO_ADDED = _("The photo was added (stored without its EXIF data).")
ASSIGNED = _("Assigned: %(what)s.")
TRANSFER_PROPOSED = _(
    "Transfer to %(body)s proposed; the SLA clock is paused until it is answered."
)
TRANSFER_WITHDRAWN = _("The transfer to %(body)s was withdrawn.")
TRANSFER_ACCEPTED = _("Transfer accepted: %(body)s now owns the request.")
TRANSFER_REFUSED = _(
    "Transfer refused: the request goes to the pool coordinator, who decides."
)
COORDINATOR_ASSIGNED = _("%(body)s now owns the request.")
OUTSIDE_AREA = _(
    "Not changed: this point lies beyond the service area, far from every "
    "district. Check the latitude and the longitude (degrees with a decimal "
    "point, not swapped)."
)
NOT_ROUTED = _("Not routed: %(reason)s")
ROUTED = _("Routed again. Owner: %(body)s. %(explanation)s")
CHANGED = _("Changed and routed again. Owner: %(body)s. %(explanation)s")
NOTHING_CHANGED = _("Nothing changed: the category and the location are as they were.")
NOT_SAVED = _("Not saved: %(errors)s")
PUBLIC_TEXT_SAVED = _(
    "The public text was saved: the tracking page and Open311 show it now."
)
PUBLIC_TEXT_CLEARED = _(
    "The public text was removed: the tracking page and Open311 show no description."
)
PUBLIC_TEXT_UNCHANGED = _("Nothing changed: the public text is as it was.")
PHOTO_PUBLISHED = _("The photo is now shown on the tracking page and in Open311.")
PHOTO_WITHDRAWN = _("The photo was withdrawn: the public no longer sees it.")
PHOTO_ALREADY_PUBLIC = _("Nothing changed: the photo was already public.")
PHOTO_ALREADY_PRIVATE = _("Nothing changed: the photo was not public.")

# Refusals before any service is called.
WORK_REFUSED = _(
    "Only the owning body's staff with the right to work on requests, or a "
    "pool coordinator, may do this."
)
ASSIGN_REFUSED = _(
    "Assigning needs the right to assign (body managers) in the owning body, "
    "or a pool coordinator."
)
TRANSFER_NOT_ALLOWED = _(
    "Transfers are proposed and withdrawn by the owning body's staff with the "
    "right to transfer, or a pool coordinator."
)
ANSWER_NOT_ALLOWED = _(
    "Only %(body)s (or a pool coordinator) may answer this transfer, with the "
    "right to transfer."
)
COORDINATOR_ONLY = _("Only a pool coordinator may do this.")
CHANGE_NOT_ALLOWED = _(
    "The category and the pin are changed by call-centre operators, pool "
    "coordinators and the owning body's staff."
)


def _errors_text(form):
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        text = " ".join(str(e) for e in errors)
        parts.append(f"{label}: {text}" if label else text)
    return "; ".join(parts)


def _invalid(request, code, name, form):
    messages.error(request, NOT_SAVED % {"errors": _errors_text(form)})
    return render_page(request, code, bound={name: form}, status=400)


def _refused(request, code, message, *, bound=None, status=None):
    if status is None:
        # Input the service found missing is the sender's to fix (400); any
        # other refusal conflicts with the request as it now is (409).
        status = 400 if isinstance(message, WorkflowInputError) else 409
    messages.error(request, str(message))
    return render_page(
        request, code, bound=bound, status=status, unsaved=_typed_texts(bound)
    )


def _not_allowed(request, code, item, message):
    """403 for a user the page does not let act; when their body is not the
    owner (any more), the answer says who owns the request now."""
    body_id = getattr(getattr(request.user, "staff", None), "body_id", None)
    if body_id is not None and item.owner_body_id not in (None, body_id):
        message = owner_refusal(item)
    return _refused(request, code, message, status=403)


def _typed_texts(bound):
    """The free text typed into the bound forms, as ``{"label", "value"}``."""
    typed = []
    for form in (bound or {}).values():
        for name, field in form.fields.items():
            value = (form.data.get(form.add_prefix(name)) or "").strip()
            if value and isinstance(field.widget, Textarea):
                typed.append({"label": field.label, "value": value})
    return typed


def _done(request, item, message):
    messages.success(request, message)
    return redirect("requestpages:detail", code=item.tracking_code)


def _actor(request):
    return request.user.get_username()


# -- work inside the owning body -------------------------------------------------


@staff_required
@require_POST
def status_update(request, code):
    """``POST status/``: one move of ``TRANSITIONS`` (answer to resolve/refuse)."""
    item = access.visible_request(request.user, code)
    form = StatusForm(request.POST, current=item.status)
    if not access.may_work(request.user, item):
        return _not_allowed(request, code, item, WORK_REFUSED)
    if not form.is_valid():
        return _invalid(request, code, "status_form", form)
    data = form.cleaned_data
    try:
        done = status_change(
            item,
            data["to"],
            actor=request.user,
            note=data["note"],
            answer=data["answer"],
        )
    except WorkflowError as exc:
        return _refused(request, code, exc, bound={"status_form": form})
    logger.info("%s: %s set status %s", code, _actor(request), done.status)
    return _done(request, done, STATUS_CHANGED % {"status": Status(done.status).label})


@staff_required
@require_POST
def answer_create(request, code):
    """``POST answer/``: a citizen-facing answer without a status change."""
    item = access.visible_request(request.user, code)
    form = AnswerForm(request.POST)
    if not access.may_work(request.user, item):
        return _not_allowed(request, code, item, WORK_REFUSED)
    if not form.is_valid():
        return _invalid(request, code, "answer_form", form)
    try:
        answer_send(item, form.cleaned_data["text"], actor=request.user)
    except WorkflowError as exc:
        return _refused(request, code, exc, bound={"answer_form": form})
    return _done(request, item, ANSWER_SENT)


@staff_required
@require_POST
def note_create(request, code):
    """``POST note/``: an internal note (never shown to the citizen)."""
    item = access.visible_request(request.user, code)
    form = NoteForm(request.POST)
    if not access.may_work(request.user, item):
        return _not_allowed(request, code, item, WORK_REFUSED)
    if not form.is_valid():
        return _invalid(request, code, "note_form", form)
    try:
        note_add(item, form.cleaned_data["text"], actor=request.user)
    except WorkflowError as exc:
        return _refused(request, code, exc, bound={"note_form": form})
    return _done(request, item, NOTE_ADDED)


@staff_required
@require_POST
def photo_upload(request, code):
    """``POST photo/``: a photo, checked and stored without EXIF."""
    item = access.visible_request(request.user, code)
    form = PhotoForm(request.POST, request.FILES)
    if not access.may_work(request.user, item):
        return _not_allowed(request, code, item, WORK_REFUSED)
    if not form.is_valid():
        return _invalid(request, code, "photo_form", form)
    try:
        require_owner_staff(request.user, item)
        photo_store(
            item,
            form.cleaned_data["photo"],
            actor=request.user,
            is_public=form.cleaned_data["is_public"],
        )
    except WorkflowError as exc:
        return _refused(request, code, exc)
    except PhotoRefused as exc:
        return _refused(request, code, exc, status=400)
    return _done(request, item, PHOTO_ADDED)


def _photo_public(request, code, pk, public):
    item = access.visible_request(request.user, code)
    photo = get_object_or_404(Photo, pk=pk, request=item)
    if not access.may_work(request.user, item):
        return _not_allowed(request, code, item, WORK_REFUSED)
    try:
        _photo, changed = photo_publish(photo, public, actor=request.user)
    except WorkflowError as exc:
        return _refused(request, code, exc)
    if not changed:
        messages.info(
            request, PHOTO_ALREADY_PUBLIC if public else PHOTO_ALREADY_PRIVATE
        )
        return redirect("requestpages:detail", code=item.tracking_code)
    logger.info(
        "%s: %s %s photo %s",
        code,
        _actor(request),
        "published" if public else "withdrew",
        photo.pk,
    )
    return _done(request, item, PHOTO_PUBLISHED if public else PHOTO_WITHDRAWN)


@staff_required
@require_POST
def photo_make_public(request, code, pk):
    """``POST photos/<pk>/publish/``: the tracking page and Open311 show it."""
    return _photo_public(request, code, pk, True)


@staff_required
@require_POST
def photo_withdraw(request, code, pk):
    """``POST photos/<pk>/withdraw/``: the public no longer sees the photo."""
    return _photo_public(request, code, pk, False)


@staff_required
@require_POST
def public_text_update(request, code):
    """``POST public-text/``: set, change or clear the text the public reads."""
    item = access.visible_request(request.user, code)
    form = PublicTextForm(request.POST)
    if not access.may_work(request.user, item):
        return _not_allowed(request, code, item, WORK_REFUSED)
    if not form.is_valid():
        return _invalid(request, code, "public_text_form", form)
    bound = {"public_text_form": form}
    try:
        done, changed = public_text_set(
            item,
            form.cleaned_data["text"],
            actor=request.user,
            shown=form.cleaned_data["shown"] or None,
        )
    except WorkflowInputError as exc:
        return _refused(request, code, exc, bound=bound)
    except WorkflowError as exc:
        # The form shows the text as it now is; what was typed is kept
        # beside it, to use again.
        messages.error(request, str(exc))
        return render_page(request, code, status=409, unsaved=_typed_texts(bound))
    if not changed:
        messages.info(request, PUBLIC_TEXT_UNCHANGED)
        return redirect("requestpages:detail", code=item.tracking_code)
    logger.info("%s: %s set the public text", code, _actor(request))
    if done.public_description:
        return _done(request, done, PUBLIC_TEXT_SAVED)
    return _done(request, done, PUBLIC_TEXT_CLEARED)


@staff_required
@require_POST
def assign(request, code):
    """``POST assign/``: a department and/or crew of the owning body."""
    item = access.visible_request(request.user, code)
    form = AssignForm(request.POST, body=item.owner_body)
    if not access.may_assign(request.user, item):
        return _not_allowed(request, code, item, ASSIGN_REFUSED)
    if not form.is_valid():
        return _invalid(request, code, "assign_form", form)
    department, crew = form.cleaned_data["department"], form.cleaned_data["crew"]
    try:
        done = request_assign(
            item, actor=request.user, department=department, crew=crew
        )
    except WorkflowError as exc:
        return _refused(request, code, exc, bound={"assign_form": form})
    what = ", ".join(
        unit.name for unit in (done.owner_department, done.assigned_crew) if unit
    )
    return _done(request, done, ASSIGNED % {"what": what})


# -- transfers -------------------------------------------------------------------


@staff_required
@require_POST
def transfer_create(request, code):
    """``POST transfer/``: propose that another body take the request."""
    item = access.visible_request(request.user, code)
    form = TransferForm(request.POST, body=item.owner_body)
    if not access.may_propose_transfer(request.user, item):
        return _not_allowed(request, code, item, TRANSFER_NOT_ALLOWED)
    if not form.is_valid():
        return _invalid(request, code, "transfer_form", form)
    data = form.cleaned_data
    try:
        transfer = transfer_propose(
            item, data["to_body"], data["reason"], actor=request.user, note=data["note"]
        )
    except WorkflowError as exc:
        return _refused(request, code, exc, bound={"transfer_form": form})
    logger.info("%s: %s proposed %s", code, _actor(request), transfer.to_body.code)
    return _done(request, item, TRANSFER_PROPOSED % {"body": transfer.to_body.name})


@staff_required
@require_POST
def transfer_cancel(request, code, pk):
    """``POST transfers/<pk>/withdraw/``: the owner takes its proposal back."""
    item = access.visible_request(request.user, code)
    transfer = get_object_or_404(item.transfers.select_related("to_body"), pk=pk)
    refusal = withdraw_refusal(transfer)
    if refusal:
        return _refused(request, code, refusal)
    if not access.may_propose_transfer(request.user, item):
        return _not_allowed(request, code, item, TRANSFER_NOT_ALLOWED)
    try:
        transfer_withdraw(transfer, actor=request.user)
    except WorkflowError as exc:
        return _refused(request, code, exc)
    return _done(request, item, TRANSFER_WITHDRAWN % {"body": transfer.to_body.name})


@staff_required
@require_POST
def transfer_reply(request, code, pk):
    """``POST transfers/<pk>/answer/``: the receiving body accepts or refuses."""
    item = access.visible_request(request.user, code)
    transfer = get_object_or_404(item.transfers.select_related("to_body"), pk=pk)
    form = TransferAnswerForm(request.POST)
    user = request.user
    if not access.may_answer_transfer(user, transfer):
        message = ANSWER_NOT_ALLOWED % {"body": transfer.to_body.name}
        return _refused(request, code, message, status=403)
    if not form.is_valid():
        return _invalid(request, code, "transfer_answer_form", form)
    accept = form.cleaned_data["decision"] == ACCEPT
    try:
        transfer_answer(transfer, accept, actor=user, note=form.cleaned_data["note"])
    except WorkflowError as exc:
        return _refused(request, code, exc, bound={"transfer_answer_form": form})
    logger.info(
        "%s: %s %s the transfer to %s",
        code,
        _actor(request),
        "accepted" if accept else "refused",
        transfer.to_body.code,
    )
    if accept:
        return _done(request, item, TRANSFER_ACCEPTED % {"body": transfer.to_body.name})
    return _done(request, item, TRANSFER_REFUSED)


# -- coordinators, operators: across bodies --------------------------------------


@staff_required
@require_POST
def coordinator_give(request, code):
    """``POST coordinator-assign/``: a coordinator gives it to any body."""
    item = access.visible_request(request.user, code)
    form = CoordinatorAssignForm(request.POST)
    if not access.may_coordinate(request.user):
        return _refused(request, code, COORDINATOR_ONLY, status=403)
    if not form.is_valid():
        return _invalid(request, code, "coordinator_form", form)
    body = form.cleaned_data["body"]
    try:
        coordinator_assign(
            item, body, actor=request.user, note=form.cleaned_data["note"]
        )
    except WorkflowError as exc:
        return _refused(request, code, exc, bound={"coordinator_form": form})
    return _done(request, item, COORDINATOR_ASSIGNED % {"body": body.name})


def _routing_refused(request, code, exc, bound=None):
    # Routing errors are written for the API, in English; staff read Turkish.
    if isinstance(exc, OutsideServiceArea):
        message = OUTSIDE_AREA
    else:
        message = NOT_ROUTED % {"reason": exc}
    logger.info("%s: routing refused: %s", code, exc)
    return _refused(request, code, message, bound=bound, status=400)


def _route_message(template, decision):
    return template % {
        "body": decision.owner_body.name,
        "explanation": explanation(decision),
    }


@staff_required
@require_POST
def reroute(request, code):
    """``POST reroute/``: a coordinator routes it again with today's rules."""
    item = access.visible_request(request.user, code)
    if not access.may_coordinate(request.user):
        return _refused(request, code, COORDINATOR_ONLY, status=403)
    try:
        decision = request_reroute(item, actor=request.user, reason="asked")
    except WorkflowError as exc:
        return _refused(request, code, exc)
    except RoutingError as exc:
        return _routing_refused(request, code, exc)
    return _done(request, item, _route_message(ROUTED, decision))


@staff_required
@require_POST
def change(request, code):
    """``POST change/``: a corrected category and/or pin, routed again."""
    item = access.visible_request(request.user, code)
    form = ChangeForm(request.POST)
    if not access.may_change(request.user, item):
        return _refused(request, code, CHANGE_NOT_ALLOWED, status=403)
    if not form.is_valid():
        return _invalid(request, code, "change_form", form)
    bound = {"change_form": form}
    try:
        decision = request_change(
            item,
            category=form.cleaned_data["category"],
            location=form.location(),
            actor=request.user,
        )
    except WorkflowError as exc:
        return _refused(request, code, exc, bound=bound)
    except RoutingError as exc:
        return _routing_refused(request, code, exc, bound)
    if decision is None:
        messages.info(request, NOTHING_CHANGED)
        return redirect("requestpages:detail", code=item.tracking_code)
    return _done(request, item, _route_message(CHANGED, decision))
