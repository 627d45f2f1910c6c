"""``/requests/<tracking code>/``: one request's staff page.

The page shows everything staff need to work the request — who owns it,
its clocks, the routing decision and why, the caller's contact masked,
answers, notes, photos, possible duplicates, transfers and the whole
history — and the forms of the actions the user may take (``actions``).

Personal data is shown masked (``0532 *** ** 17``). The "show" button posts
a reason to ``contact/``, which records the read as a ``contact.view``
event and redirects to the page (post/redirect/get) with a one-time mark in
the session: the next view of the page shows the full values (never
cached) and consumes the mark, so reloading it shows them masked and
records nothing. Photos are served
by ``photo_file`` after the same visibility check as the page, never from a
public media URL.
"""

import logging

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from geocoding.reverse import reverse_geocode
from geopool.models import (
    Channel,
    Contact,
    Photo,
    Priority,
    ServiceRequest,
    Status,
)
from geopool.services.duplicates import duplicates_of
from geopool.services.personal_data import (
    PersonalDataRefused,
    contact_reveal,
    masked,
)
from geopool.services.publication import public_text_digest
from geopool.visibility import requests_visible_to
from geopool.web.access import staff_required
from geopool.web.l10n import datetime_text
from geopool.web.requestpages import access, display, placemap
from geopool.web.requestpages.forms import (
    AnswerForm,
    AssignForm,
    ChangeForm,
    CoordinatorAssignForm,
    NoteForm,
    PhotoForm,
    PublicTextForm,
    RevealForm,
    StatusForm,
    TransferAnswerForm,
    TransferForm,
    allowed_statuses,
)
from routing_rules.models import Decision

logger = logging.getLogger(__name__)

CONTACT_NOT_ALLOWED = gettext_lazy(
    "Only the owning body's staff and pool coordinators with the right to see "
    "personal data may show the caller's details."
)
CONTACT_NO_REASON = gettext_lazy(
    "Not shown: say why you need the caller's details (the reason field)."
)
CONTACT_SHOWN = gettext_lazy(
    "The caller's details are shown below this once, and your reading is "
    "recorded. Reload the page to hide them."
)
# Session key of the one-time mark ``contact_show`` leaves for the page.
REVEAL_SESSION_KEY = "geopool.contact_reveal"
CONTACT_NONE = gettext_lazy("This request has no contact data.")


def _label(enum, value):
    try:
        return enum(value).label
    except ValueError:
        return value


def explanation(decision):
    """The decision's explanation in the page's language (Turkish by default)."""
    if decision is None:
        return ""
    if (get_language() or "").startswith("en") and decision.explanation_en:
        return decision.explanation_en
    return decision.explanation_tr


def _masked_rows(contact):
    values = masked(contact)
    rows = []
    if values.get("name"):
        rows.append({"key": "name", "label": _("Name"), "value": values["name"]})
    for key in ("phone", "email", "tc_kimlik_no"):
        if values.get(key):
            rows.append(
                {"key": key, "label": display.CONTACT_FIELDS[key], "value": values[key]}
            )
    return rows


def _revealed_rows(contact):
    return [
        {"key": key, "label": label, "value": getattr(contact, key)}
        for key, label in display.CONTACT_FIELDS.items()
        if getattr(contact, key)
    ]


def _duplicates(user, item):
    """Possible duplicates the user may see, nearest first."""
    found = duplicates_of(item)
    if not found:
        return []
    visible = set(
        requests_visible_to(
            user, ServiceRequest.objects.filter(pk__in=[r.pk for r, _m in found])
        ).values_list("pk", flat=True)
    )
    return [
        {
            "request": other,
            "metres": metres,
            "status": _label(Status, other.status),
            "requested_at": datetime_text(other.requested_at),
        }
        for other, metres in found
        if other.pk in visible
    ]


def _forms(item, bound):
    owner = item.owner_body
    forms = {
        "status_form": StatusForm(current=item.status),
        "answer_form": AnswerForm(),
        "note_form": NoteForm(),
        "photo_form": PhotoForm(),
        "public_text_form": PublicTextForm(
            initial={
                "text": item.public_description,
                "shown": public_text_digest(item.public_description),
            }
        ),
        "assign_form": AssignForm(
            body=owner,
            initial={
                "department": item.owner_department_id,
                "crew": item.assigned_crew_id,
            },
        ),
        "transfer_form": TransferForm(body=owner),
        "coordinator_form": CoordinatorAssignForm(initial={"body": item.owner_body_id}),
        "change_form": ChangeForm(
            initial={
                "category": item.category_id,
                "lat": f"{item.location.y:.6f}" if item.location else "",
                "lon": f"{item.location.x:.6f}" if item.location else "",
            }
        ),
        "reveal_form": RevealForm(),
        "transfer_answer_form": TransferAnswerForm(),
    }
    forms.update(bound or {})
    return forms


def page_context(request, item, *, bound=None, revealed=None):
    """Everything the page template shows about ``item`` for this user."""
    user = request.user
    transfers = display.transfer_rows(item)
    pending = next((row for row in transfers if row["is_pending"]), None)
    for row in transfers:
        row["may_withdraw"] = row["is_pending"] and access.may_propose_transfer(
            user, item
        )
        row["may_answer"] = row["is_pending"] and access.may_answer_transfer(
            user, row["transfer"]
        )
    decision = (
        Decision.objects.filter(request=item, is_current=True)
        .select_related("owner_body", "owner_department")
        .first()
    )
    contact = Contact.objects.filter(request=item).first()
    finished = access.is_finished(item)
    may_work = access.may_work(user, item)
    return {
        "item": item,
        "status_label": _label(Status, item.status),
        "priority_label": _label(Priority, item.priority),
        "channel_label": _label(Channel, item.channel),
        "received": datetime_text(item.requested_at),
        "sla": display.sla_clock(item, transfer_pending=pending is not None),
        "legal": display.legal_clock(item),
        "decision": decision,
        "explanation": explanation(decision),
        "place_map": placemap.place_map(user, item, decision),
        "coordinates": display.coordinates_text(item.location.x, item.location.y)
        if item.location
        else "",
        "place": reverse_geocode(item.location.x, item.location.y)
        if item.location
        else None,
        "has_contact": contact is not None,
        "contact_rows": _masked_rows(contact),
        "revealed_rows": revealed,
        "answers": item.answers.select_related("author", "body").order_by(
            "sent_at", "id"
        ),
        "notes": item.notes.select_related("author", "body").order_by(
            "created_at", "id"
        ),
        "photos": item.photos.select_related("uploaded_by").order_by(
            "created_at", "id"
        ),
        "duplicates": _duplicates(user, item),
        "transfers": transfers,
        "pending": pending,
        "history": display.history(item),
        "moves": allowed_statuses(item.status),
        "may": {
            "work": may_work,
            # The public text and photos: those who work the request.
            "publish": may_work,
            "status": may_work and pending is None,
            "assign": access.may_assign(user, item) and not finished,
            "transfer": access.may_propose_transfer(user, item)
            and pending is None
            and not finished,
            "coordinate": access.may_coordinate(user),
            "change": access.may_change(user, item)
            and pending is None
            and not finished,
            "show_contact": contact is not None and access.may_show_contact(user, item),
        },
        **_forms(item, bound),
    }


def render_page(request, code, *, bound=None, revealed=None, status=200, unsaved=None):
    """Render the page of ``code`` afresh (another user may have changed it).

    ``unsaved`` lists ``{"label", "value"}`` of text the user typed into an
    action that lost to another user's: the page may no longer show that
    action's form, so the text is shown on its own to be used again.
    """
    item = access.visible_request(request.user, code)
    context = page_context(request, item, bound=bound, revealed=revealed)
    context["unsaved"] = unsaved or []
    return render(request, "requestpages/detail.html", context, status=status)


@staff_required
@require_safe
def request_detail(request, code):
    """``GET /requests/<code>/``: the request's page (404 if not visible).

    Right after a logged reveal (``contact_show``) this one view shows the
    caller's details in full; the mark is consumed, so a reload masks them.
    """
    item = access.visible_request(request.user, code)
    marks = request.session.get(REVEAL_SESSION_KEY) or []
    if item.tracking_code not in marks:
        return render_page(request, code)
    marks.remove(item.tracking_code)
    request.session[REVEAL_SESSION_KEY] = marks
    contact = Contact.objects.filter(request=item).first()
    if contact is None or not access.may_show_contact(request.user, item):
        return render_page(request, code)
    response = render_page(request, code, revealed=_revealed_rows(contact))
    # The full values must not stay in a browser or proxy cache.
    response["Cache-Control"] = "no-store"
    return response


@staff_required
@require_POST
def contact_show(request, code):
    """``POST /requests/<code>/contact/``: the caller's details, once, logged."""
    item = access.visible_request(request.user, code)
    form = RevealForm(request.POST)
    if not access.may_show_contact(request.user, item):
        logger.warning(
            "personal data of %s refused to %s",
            item.tracking_code,
            request.user.get_username(),
        )
        messages.error(request, CONTACT_NOT_ALLOWED)
        return render_page(request, code, status=403)
    if not form.is_valid():
        messages.error(request, CONTACT_NO_REASON)
        return render_page(request, code, bound={"reveal_form": form}, status=400)
    try:
        contact = contact_reveal(item, request.user, form.cleaned_data["reason"])
    except PersonalDataRefused as exc:
        messages.error(request, str(exc))
        return render_page(request, code, status=403)
    if contact is None:
        messages.info(request, CONTACT_NONE)
        return render_page(request, code)
    messages.info(request, CONTACT_SHOWN)
    marks = request.session.get(REVEAL_SESSION_KEY) or []
    request.session[REVEAL_SESSION_KEY] = [*marks, item.tracking_code]
    url = reverse("requestpages:detail", args=[item.tracking_code])
    return redirect(f"{url}#contact")


@staff_required
@require_safe
def photo_file(request, code, pk):
    """``GET /requests/<code>/photos/<pk>/``: the photo, to staff who see it."""
    item = access.visible_request(request.user, code)
    photo = get_object_or_404(Photo, pk=pk, request=item)
    try:
        handle = photo.image.open("rb")
    except (FileNotFoundError, ValueError):
        logger.warning("photo %s of %s has no file", photo.pk, item.tracking_code)
        raise Http404("photo file missing") from None
    response = FileResponse(handle, content_type=photo.content_type)
    response["Content-Disposition"] = (
        f'inline; filename="{item.tracking_code}-{photo.pk}.'
        f'{photo.content_type.split("/")[-1].replace("jpeg", "jpg")}"'
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response
