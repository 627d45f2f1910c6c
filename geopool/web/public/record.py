"""What the public tracking page may show about a request, and nothing else.

``public_record(request)`` copies the public facts into a plain
``PublicRecord``; the templates get only that, never the request row, so a
template cannot reach the caller's contact data, the citizen's own words,
internal notes or the staff who worked on it by accident.

Public: the category, the status, the current owner, the dates (received,
answered, resolved, closed), the answers sent to the citizen (with the
answering body, not the person), the moves between bodies (accepted
transfers and the pool coordinator's assignments, without their internal
notes), photos staff marked public, and the description only when staff
approved a public text (``public_description``).
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from geopool.models import Answer, Body, Event, Photo, Status, Transfer, TransferState
from geopool.web.public.turkish import from_body, to_body
from routing_rules.decide import owner_label

TRANSFERRED = _("Transferred from %(from)s to %(to)s")
COORDINATOR_MOVED = _("The pool coordinator gave the request from %(from)s to %(to)s")
COORDINATOR_GAVE = _("The pool coordinator gave the request to %(to)s")
COORDINATOR_ACTION = "request.coordinator_assign"


@dataclass
class PublicAnswer:
    sent_at: datetime
    body: str
    text: str


@dataclass
class PublicMove:
    at: datetime
    text: str


@dataclass
class PublicPhoto:
    url: str
    width: int
    height: int


@dataclass
class PublicRecord:
    code: str
    category: str
    status: str
    status_code: str
    is_closed: bool
    owner: str
    in_triage: bool
    received_at: datetime
    answered_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    description: str
    answers: list = field(default_factory=list)
    moves: list = field(default_factory=list)
    photos: list = field(default_factory=list)


def _turkish():
    return (get_language() or "").startswith("tr")


def _names(from_name, to_name):
    """The two names with Turkish case endings when the page is Turkish."""
    if _turkish():
        return {"from": from_body(from_name), "to": to_body(to_name)}
    return {"from": from_name, "to": to_name}


def _transfer_moves(request):
    accepted = Transfer.objects.filter(
        request=request, state=TransferState.ACCEPTED
    ).select_related("from_body", "to_body")
    return [
        PublicMove(
            transfer.answered_at or transfer.proposed_at,
            TRANSFERRED % _names(transfer.from_body.name, transfer.to_body.name),
        )
        for transfer in accepted
    ]


def _coordinator_moves(request):
    events = list(
        Event.objects.filter(
            object_type=request._meta.label_lower,
            object_id=str(request.pk),
            action=COORDINATOR_ACTION,
        )
    )
    codes = set()
    for event in events:
        codes |= {(event.before or {}).get("owner"), (event.after or {}).get("owner")}
    bodies = Body.objects.filter(code__in=codes - {None})
    names = dict(bodies.values_list("code", "name"))
    moves = []
    for event in events:
        before = names.get((event.before or {}).get("owner"))
        after = names.get((event.after or {}).get("owner"))
        if after is None or before == after:
            continue  # not a move the citizen can see
        if before is None:
            text = COORDINATOR_GAVE % {"to": to_body(after) if _turkish() else after}
        else:
            text = COORDINATOR_MOVED % _names(before, after)
        moves.append(PublicMove(event.at, text))
    return moves


def _photos(request):
    photos = Photo.objects.filter(request=request, is_public=True).order_by(
        "created_at", "id"
    )
    return [
        PublicPhoto(
            reverse("public:photo", args=[request.tracking_code, photo.pk]),
            photo.width,
            photo.height,
        )
        for photo in photos
    ]


def _closed_at(request):
    """When it was closed, refused or found a duplicate; None while resolved.

    A resolved request is finished too (its ``closed_at`` is the moment it
    was resolved), but it is not closed until its owner closes it: the page
    shows the resolution date under its own label until then.
    """
    if request.status == Status.RESOLVED:
        return None
    return request.closed_at


def public_record(request):
    """The public facts of ``request`` (a ServiceRequest)."""
    answers = Answer.objects.filter(request=request).select_related("body")
    moves = _transfer_moves(request) + _coordinator_moves(request)
    moves.sort(key=lambda move: move.at)
    owner = (
        owner_label(request.owner_body, request.owner_department)
        if request.owner_body_id
        else ""
    )
    return PublicRecord(
        code=request.tracking_code,
        category=request.category.name,
        status=Status(request.status).label,
        status_code=request.status,
        is_closed=request.status in Status.closed_values(),
        owner=owner,
        in_triage=request.needs_triage,
        received_at=request.requested_at,
        answered_at=request.answered_at,
        resolved_at=request.resolved_at,
        closed_at=_closed_at(request),
        description=request.public_description,
        answers=[PublicAnswer(a.sent_at, a.body.name, a.text) for a in answers],
        moves=moves,
        photos=_photos(request),
    )
