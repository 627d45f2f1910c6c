"""The body inbox: the list with its filters, bulk acceptance, transfers
offered to the body, and the exports.

Every action goes through ``geopool.services.workflow`` with the user as
the actor, so the audit trail names them and a refusal comes back as the
service's own sentence (``WorkflowError``), shown at the top of the page.
"""

import logging

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from geopool.models import Body, Transfer, TransferState
from geopool.roles import can
from geopool.services.events import event_record
from geopool.services.workflow import WorkflowError, requests_accept, transfer_answer
from geopool.web.inbox import export, sla
from geopool.web.inbox.access import (
    body_of,
    inbox_requests,
    inbox_required,
    refuse,
    sees_pool,
)
from geopool.web.inbox.counts import counts_per_body
from geopool.web.inbox.districts import districts_active
from geopool.web.inbox.filters import InboxFilter, inbox_filtered
from geopool.web.l10n import count_text

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
# The most requests one bulk acceptance takes.
BULK_LIMIT = 500

ACCEPTED = gettext_lazy("Accepted: %(codes)s.")
NOT_ACCEPTED = gettext_lazy("%(code)s not accepted: %(reason)s")
NOT_IN_INBOX = gettext_lazy("Not in your inbox, nothing done: %(codes)s.")
NONE_SELECTED = gettext_lazy("Select the requests to accept first.")
TOO_MANY = gettext_lazy(
    "At most %(limit)s requests can be accepted at once; select fewer."
)
BULK_REFUSED = gettext_lazy(
    "Accepting several requests at once is for body managers and pool "
    "coordinators; accept them one by one on each request's page."
)
EXPORT_REFUSED = gettext_lazy(
    "Exporting request lists is for body managers and pool coordinators."
)
EXPORT_TOO_LARGE = gettext_lazy(
    "The list holds %(count)s requests; an export takes at most %(limit)s. "
    "Narrow the filters and export again."
)
FILTERS_INVALID = gettext_lazy("The filters are not valid: %(errors)s")
TRANSFER_REFUSED = gettext_lazy(
    "Answering transfers is for the staff who work requests (the transfer permission)."
)
TRANSFER_ACCEPTED = gettext_lazy("%(code)s: the transfer was accepted; it is yours.")
TRANSFER_REFUSED_DONE = gettext_lazy(
    "%(code)s: the transfer was refused; the pool coordinator decides."
)


def _district_names():
    return dict(districts_active())


def _filter_form(request):
    return InboxFilter(request.GET, user=request.user)


@inbox_required
def inbox(request):
    """``GET /inbox/``: the body's requests, filtered, sorted and paged."""
    form = _filter_form(request)
    if form.sort_notice():
        messages.warning(request, form.sort_notice())
    now = timezone.now()
    rows = inbox_filtered(form, now)
    page = Paginator(rows if rows is not None else [], PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    names = _district_names()
    items = [
        {
            "request": item,
            "district": names.get(item.district_code, item.district_code or ""),
            "sla_state": item.sla_state,
            "sla_label": sla.LABELS.get(item.sla_state, ""),
            "row_class": sla.ROW_CLASSES.get(item.sla_state, ""),
        }
        for item in page
    ]
    body = form.selected_body() if form.is_valid() else None
    context = {
        "form": form,
        "page": page,
        "items": items,
        "total": count_text(page.paginator.count),
        "counts": counts_per_body(request.user, body, now),
        "for_pool": sees_pool(request.user),
        "body": body if sees_pool(request.user) else body_of(request.user),
        "offered_count": _offered(request.user, body).count(),
        "may_accept": can(request.user, "assign_request"),
        "may_export": can(request.user, "export_requests"),
        "tab": "inbox",
        "filters_invalid": FILTERS_INVALID % {"errors": errors_text(form)}
        if rows is None
        else "",
    }
    # Filters that cannot be read are the request's fault, as on the map.
    status = 400 if rows is None else 200
    return render(request, "inbox/inbox.html", context, status=status)


@inbox_required
@require_POST
def inbox_accept(request):
    """``POST /inbox/accept``: accept the selected requests at once."""
    back = redirect(_back(request))
    if not can(request.user, "assign_request"):
        return refuse(request, BULK_REFUSED)
    codes = request.POST.getlist("codes")
    codes = list(dict.fromkeys(code for code in codes if code))
    if not codes:
        messages.error(request, NONE_SELECTED)
        return back
    if len(codes) > BULK_LIMIT:
        messages.error(request, TOO_MANY % {"limit": BULK_LIMIT})
        return back
    found = {
        item.tracking_code: item
        for item in inbox_requests(request.user).filter(tracking_code__in=codes)
    }
    missing = [code for code in codes if code not in found]
    done, refused = requests_accept(
        [found[code] for code in codes if code in found], actor=request.user
    )
    logger.info(
        "%s accepted %d requests at once (%d refused, %d not in the inbox)",
        request.user,
        len(done),
        len(refused),
        len(missing),
    )
    if done:
        accepted = ", ".join(item.tracking_code for item in done)
        messages.success(request, ACCEPTED % {"codes": accepted})
    for code, reason in refused:
        messages.error(request, NOT_ACCEPTED % {"code": code, "reason": reason})
    if missing:
        messages.error(request, NOT_IN_INBOX % {"codes": ", ".join(missing)})
    return back


def _back(request):
    """Where a POST returns: the inbox with the filters it was sent from."""
    query = QueryDict(request.POST.get("back", "")).urlencode()
    return reverse("inbox") + (f"?{query}" if query else "")


def errors_text(form):
    """The form's errors as one line: ``Field: message; ...``."""
    parts = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        text = " ".join(errors)
        parts.append(f"{field.label}: {text}" if field else text)
    return "; ".join(parts)


def _offered(user, body=None):
    """Pending transfers to ``user``'s body (coordinators: all, or ``body``'s)."""
    pending = Transfer.objects.filter(state=TransferState.PENDING)
    if sees_pool(user):
        return pending.filter(to_body=body) if body is not None else pending
    own = body_of(user)
    return pending.filter(to_body=own) if own else pending.none()


@inbox_required
def inbox_offered(request):
    """``GET /inbox/offered``: transfers waiting for our answer."""
    for_pool = sees_pool(request.user)
    body, offered = None, _offered(request.user)
    code = request.GET.get("body", "")
    if for_pool and code:
        body = Body.objects.filter(code=code).first()
        offered = _offered(request.user, body) if body else offered.none()
    transfers = offered.select_related(
        "request__category", "from_body", "to_body", "proposed_by"
    ).order_by("answer_due_at", "id")
    page = Paginator(transfers, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "transfers": list(page),
        "total": count_text(page.paginator.count),
        "offered_count": page.paginator.count,
        "for_pool": for_pool,
        "body": body if for_pool else body_of(request.user),
        "may_answer": can(request.user, "transfer_request"),
        "now": timezone.now(),
        "tab": "offered",
    }
    return render(request, "inbox/offered.html", context)


@inbox_required
@require_POST
def transfer_decide(request, pk):
    """``POST /inbox/transfers/<id>/answer``: accept or refuse an offer."""
    if not can(request.user, "transfer_request"):
        return refuse(request, TRANSFER_REFUSED)
    # Someone else's offer is as unknown as a missing one.
    transfer = get_object_or_404(
        Transfer.objects.select_related("request"),
        pk__in=_offered(request.user).values("pk"),
        pk=pk,
    )
    decision = request.POST.get("decision")
    if decision not in ("accept", "refuse"):
        messages.error(request, _("Choose whether to accept or refuse the transfer."))
        return redirect("inbox-offered")
    accept = decision == "accept"
    code = transfer.request.tracking_code
    try:
        transfer_answer(
            transfer, accept, actor=request.user, note=request.POST.get("note", "")
        )
    except WorkflowError as exc:
        messages.error(request, f"{code}: {exc}")
        return redirect("inbox-offered")
    done = TRANSFER_ACCEPTED if accept else TRANSFER_REFUSED_DONE
    messages.success(request, done % {"code": code})
    return redirect("inbox-offered")


@inbox_required
def inbox_export(request, fmt):
    """``GET /inbox/export.csv`` and ``.xlsx``: the filtered list, all pages."""
    if fmt not in ("csv", "xlsx"):
        raise Http404("export formats: csv, xlsx")
    if not can(request.user, "export_requests"):
        return refuse(request, EXPORT_REFUSED)
    form = _filter_form(request)
    rows = inbox_filtered(form)
    if rows is None:
        return HttpResponse(
            FILTERS_INVALID % {"errors": errors_text(form)},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    count = rows.count()
    if count > export.EXPORT_LIMIT:
        return HttpResponse(
            EXPORT_TOO_LARGE
            % {"count": count_text(count), "limit": count_text(export.EXPORT_LIMIT)},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    names = _district_names()
    data = export.export_rows(rows, names)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"gelen-kutusu-{stamp}.{fmt}"
    if fmt == "csv":
        content = export.rows_csv(data)
        content_type = "text/csv; charset=utf-8"
    else:
        content = export.rows_xlsx(data, title=str(_("Inbox")))
        content_type = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    event_record(
        "requests.export",
        request.user,
        actor=request.user,
        after={"format": fmt, "rows": count, "filters": request.GET.urlencode()},
    )
    logger.info("%s exported %d requests as %s", request.user, count, fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
