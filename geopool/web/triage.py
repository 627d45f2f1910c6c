"""The pool coordinator's triage queue.

Requests that no rule could give an owner (outside every district beyond
the snap tolerance, no location, a district without a municipality) are
owned by the coordinator and flagged ``needs_triage``. This page lists the
open ones, newest first, with why each is there (``triage_reason``: a
refused or unanswered transfer, from whom to whom and the refusal's reason;
a tie between rules; the routing decision's own reason, e.g. outside the
area or no location) and the nearest district, so the coordinator can
place each one, or route it again after a layer or rule change (POST
``reroute`` with its tracking code).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from geopool.models import ServiceRequest, Status, Transfer, TransferState
from geopool.roles import ADMINISTRATOR, COORDINATOR, has_role
from geopool.services.rerouting import request_reroute
from geopool.services.workflow import WorkflowError
from geopool.web.access import staff_required
from geopool.web.l10n import count_text
from routing_rules.errors import RoutingError
from routing_rules.models import Decision

PAGE_SIZE = 50


@staff_required
def triage_queue(request):
    """``GET /triage/``: open requests waiting for the coordinator."""
    if not has_role(request.user, COORDINATOR, ADMINISTRATOR):
        reason = _(
            "The triage queue is for the pool coordinators. Ask the pool "
            "administrator for the coordinator role."
        )
        return render(request, "403.html", {"reason": reason}, status=403)
    if request.method == "POST":
        return _reroute(request)
    queue = (
        ServiceRequest.objects.filter(needs_triage=True)
        .exclude(status__in=Status.closed_values())
        .select_related("category")
        .prefetch_related(
            Prefetch(
                "decisions",
                queryset=Decision.objects.filter(is_current=True),
                to_attr="current",
            ),
            Prefetch(
                "transfers",
                queryset=Transfer.objects.select_related(
                    "from_body", "to_body"
                ).order_by("-proposed_at", "-id"),
                to_attr="transfer_list",
            ),
        )
        .order_by("-requested_at", "-id")
    )
    page = Paginator(queue, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for item in page:
        decision = item.current[0] if item.current else None
        nearest = decision.candidates[0] if decision and decision.candidates else None
        rows.append(
            {
                "request": item,
                "explanation": decision.explanation_tr if decision else "",
                "reason": triage_reason(item, decision),
                "flags": decision.flags if decision else [],
                "nearest": nearest,
            }
        )
    return render(
        request,
        "web/triage.html",
        {"page": page, "rows": rows, "total": count_text(page.paginator.count)},
    )


def triage_reason(item, decision):
    """``{"kind", "text"}``: why ``item`` waits for the coordinator.

    The latest transfer decides when it was refused or went unanswered
    (the routing decision still names the first owner's rule, which is not
    why the request is here); else a tie between rules, else the routing
    decision's own explanation (outside the area, no location, ...).
    """
    latest = item.transfer_list[0] if item.transfer_list else None
    if latest is not None and latest.state == TransferState.REFUSED:
        text = _("Transfer refused: %(source)s proposed it to %(target)s, who refused.")
        text %= {"source": latest.from_body.name, "target": latest.to_body.name}
        if latest.answer_note:
            text += " " + _("Reason: %(reason)s") % {"reason": latest.answer_note}
        return {"kind": "refused", "text": text}
    if latest is not None and latest.state == TransferState.ESCALATED:
        text = _(
            "Transfer unanswered: %(source)s proposed it to %(target)s, who did "
            "not answer in time."
        ) % {"source": latest.from_body.name, "target": latest.to_body.name}
        return {"kind": "escalated", "text": text}
    if decision is not None and "tie" in (decision.flags or []):
        text = _("Tie: rules of the same priority name different owners. %(why)s")
        return {"kind": "tie", "text": text % {"why": decision.explanation_tr}}
    return {"kind": "routing", "text": decision.explanation_tr if decision else ""}


def _reroute(request):
    code = (request.POST.get("tracking_code") or "").strip()
    item = ServiceRequest.objects.filter(tracking_code=code).first()
    if item is None:
        messages.error(request, _("No request has the tracking code %s.") % code)
        return redirect("triage")
    try:
        decision = request_reroute(item, actor=request.user, reason="asked")
    except (RoutingError, WorkflowError) as exc:
        messages.error(request, str(exc))
        return redirect("triage")
    messages.success(request, f"{code}: {decision.explanation_tr}")
    return redirect("triage")
