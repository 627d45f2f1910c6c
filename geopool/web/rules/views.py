"""The rule pages: list, rule set, edit, test one point, simulate, activate.

Every change goes through ``routing_rules.services.rule_sets`` with the
coordinator as the actor, so the audit trail names them; a refusal
(``RuleError``) is shown beside the form that caused it, in the
coordinator's language, with what the coordinator typed kept. A draft that
went live while the form was open (``RuleSetChanged``: the services lock
the set's row, so the edit waited for the activation and then saw it) is
refused with 409, the typed values kept, and nothing is written. The rule
form carries the rule's ``updated_at`` as read (``seen``): a save or delete
after someone else saved the rule is refused the same way, naming who and
when, with the rule as it is now beside what was typed. Testing a point and
simulating build the chosen rule set's own routing context
(``build_context``): a draft is tried exactly as live routing would run it,
and nothing is written.
"""

import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from geopool.web.access import staff_required
from geopool.web.l10n import datetime_text
from geopool.web.rules import display
from geopool.web.rules.access import coordinator_required, is_coordinator
from geopool.web.rules.forms import (
    DelegationForm,
    PointForm,
    RuleForm,
    SimulateForm,
    seen_read,
)
from geopool.web.rules.point_map import point_map_build
from geopool.web.rules.simulation import simulation_display
from routing_rules.context import build_context
from routing_rules.decide import decide
from routing_rules.errors import (
    RoutingError,
    RuleError,
    RuleSetChanged,
    UnknownCategory,
    translated,
)
from routing_rules.models import Delegation, Rule, RuleSet
from routing_rules.services.rule_sets import (
    delegation_delete,
    delegation_save,
    rule_delete,
    rule_save,
    rule_set_activate,
    rule_set_check,
    rule_set_draft,
    version_next,
)
from routing_rules.services.simulation import simulate

logger = logging.getLogger(__name__)

DRAFT_CREATED = _("Draft v%(version)s was made from v%(base)s.")
NO_ACTIVE_SET = _("No rule set is active, so there is nothing to copy.")
NOT_A_DRAFT = _(
    "Rule set v%(version)s has been live and can no longer change; make a "
    "draft from it and edit that."
)
RULE_SAVED = _("Rule %(code)s was saved.")
RULE_DELETED = _("Rule %(code)s was deleted.")
DELEGATION_SAVED = _("Delegation %(code)s was saved.")
DELEGATION_DELETED = _("Delegation %(code)s was deleted.")
NOT_SAVED = _("Not saved: %(reason)s")
NOT_DELETED = _("Not deleted: %(reason)s")
ACTIVATED = _("Rule set v%(version)s is now active: new requests are routed with it.")
ALREADY_ACTIVE = _("Rule set v%(version)s is already active.")
NOT_ACTIVATED = _("Not activated: %(reason)s")
# A draft or rule changed while the form was open (409, what was typed kept).
SET_WENT_LIVE = _(
    "Nothing was changed: rule set v%(version)s was activated meanwhile and "
    "can no longer change. Copy it to a new draft to change it."
)
RULE_GONE = _(
    "Not saved: rule %(code)s was deleted after you opened it (by %(who)s, "
    "%(when)s). Your values are kept below; saving them makes a new rule."
)
RULE_CHANGED = _(
    "Not saved: rule %(code)s was changed after you opened it (by %(who)s, "
    "%(when)s). Your values are kept below, beside the rule as it is now; save "
    "again to replace it with them."
)
RULE_CHANGED_BEFORE_DELETE = _(
    "Not deleted: rule %(code)s was changed after you opened the page (by "
    "%(who)s, %(when)s). Look at it again and delete it if it should still go."
)
ALREADY_DELETED = _("Rule %(code)s was already deleted (by %(who)s, %(when)s).")
SOMEONE = _("someone else")
TIME_UNKNOWN = _("time unknown")


def _conflict_text(exc, message):
    """``message`` filled in from the RuleSetChanged ``exc``."""
    if exc.reason == RuleSetChanged.LIVE:
        return SET_WENT_LIVE % {"version": exc.version}
    return message % {
        "code": exc.code,
        "who": exc.by or SOMEONE,
        "when": datetime_text(exc.at) if exc.at else TIME_UNKNOWN,
    }


def _rule_set(version):
    return get_object_or_404(RuleSet, version=version)


def _detail(rule_set, anchor=""):
    url = reverse("rules:rule-set", args=[rule_set.version])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _state(rule_set):
    state = display.rule_set_state(rule_set)
    return {
        "state": state,
        "state_label": display.STATE_LABELS[state],
        "state_badge": display.STATE_BADGES[state],
    }


def _page(request, rule_set, **values):
    """The context every page of one rule set shares, and ``values``."""
    return {
        "rule_set": rule_set,
        **_state(rule_set),
        "is_coordinator": is_coordinator(request.user),
        **values,
    }


@staff_required
def rule_set_list(request):
    """``GET /rules/``: every rule set, newest first."""
    rule_sets = (
        RuleSet.objects.select_related("based_on")
        .annotate(
            rule_count=Count("rules", distinct=True),
            delegation_count=Count("delegations", distinct=True),
        )
        .order_by("-version")
    )
    rows = [
        {
            "rule_set": rule_set,
            **_state(rule_set),
            "activated_at": datetime_text(rule_set.activated_at)
            if rule_set.activated_at
            else "",
            "created_at": datetime_text(rule_set.created_at),
        }
        for rule_set in rule_sets
    ]
    context = {
        "rows": rows,
        "active": display.active_rule_set(),
        # The button names the version its draft will get.
        "next_version": version_next(),
        "can_edit": is_coordinator(request.user),
    }
    return render(request, "rules/list.html", context)


@coordinator_required
@require_POST
def draft_create(request):
    """``POST /rules/drafts/``: a new draft, a copy of ``base`` or the active set."""
    base_version = request.POST.get("base", "")
    if base_version.isdigit():
        base = _rule_set(int(base_version))
    else:
        base = display.active_rule_set()
    if base is None:
        messages.error(request, NO_ACTIVE_SET)
        return redirect("rules:list")
    draft = rule_set_draft(base=base, actor=request.user)
    logger.info(
        "%s made draft v%s from v%s",
        request.user.get_username(),
        draft.version,
        base.version,
    )
    messages.success(
        request, DRAFT_CREATED % {"version": draft.version, "base": base.version}
    )
    return _detail(draft)


@staff_required
def rule_set_detail(request, version):
    """``GET /rules/<version>/``: rules by stage and group, delegations, checks."""
    rule_set = get_object_or_404(
        RuleSet.objects.select_related("based_on"), version=version
    )
    return _rule_set_page(request, rule_set)


def _rule_set_page(request, rule_set, status=200):
    """The page of ``rule_set`` as it is now (409 after a refused change)."""
    names = display.Names.load()
    errors, warnings = rule_set_check(rule_set)
    context = _page(
        request,
        rule_set,
        activated_at=datetime_text(rule_set.activated_at)
        if rule_set.activated_at
        else "",
        sections=display.rule_sections(rule_set, names, display.live_layers()),
        delegations=display.delegation_rows(rule_set, names),
        errors=[translated(e) for e in errors],
        warnings=[translated(w) for w in warnings],
        can_edit=is_coordinator(request.user) and rule_set.is_draft,
        changes=display.rule_set_changes(rule_set, rule_set.based_on)
        if rule_set.is_draft
        else None,
    )
    return render(request, "rules/rule_set.html", context, status=status)


def _refuse_if_live(request, rule_set):
    """A redirect with the reason when ``rule_set`` is no draft, else None.

    For opening a form. A form sent to a set that is live by then goes to
    the services, which refuse it under the set's lock (409, the typed
    values kept), however long ago the set went live.
    """
    if rule_set.is_draft or request.method == "POST":
        return None
    messages.error(request, NOT_A_DRAFT % {"version": rule_set.version})
    return _detail(rule_set)


@coordinator_required
def rule_edit(request, version, pk=None):
    """``/rules/<version>/rules/new/`` and ``…/rules/<id>/``: write one rule."""
    rule_set = _rule_set(version)
    refused = _refuse_if_live(request, rule_set)
    if refused:
        return refused
    rule = get_object_or_404(Rule, pk=pk, rule_set=rule_set) if pk else None
    status, current, gone = 200, None, False
    if request.method == "POST":
        form = RuleForm(request.POST)
        if form.is_valid():
            try:
                saved, warnings = rule_save(
                    rule_set,
                    form.values(),
                    rule=rule,
                    actor=request.user,
                    seen=form.cleaned_data["seen"],
                )
            except RuleSetChanged as exc:
                logger.info("rule not saved in v%s: %s", rule_set.version, exc)
                form, current = _form_after_conflict(request, rule, exc)
                status, gone = 409, exc.reason == RuleSetChanged.DELETED
            except RuleError as exc:
                logger.info("rule refused in v%s: %s", rule_set.version, exc)
                form.add_error(None, NOT_SAVED % {"reason": exc.translated()})
            else:
                messages.success(request, RULE_SAVED % {"code": saved.code})
                for warning in warnings:
                    messages.warning(request, translated(warning))
                return _detail(rule_set, f"rule-{saved.code}")
    else:
        form = RuleForm(initial=RuleForm.initial_of(rule) if rule else None)
    context = _page(
        request, rule_set, rule=rule, form=form, current=current, rule_gone=gone
    )
    return render(request, "rules/rule_form.html", context, status=status)


def _form_after_conflict(request, rule, exc):
    """The rule form after RuleSetChanged ``exc``, and the rule as it is now.

    What was typed is kept. A rule changed by someone else is shown beside
    the form, whose ``seen`` becomes the rule's current stamp: saving again
    replaces their change knowingly. A rule deleted meanwhile is None, and
    the form then saves a new rule.
    """
    data = request.POST.copy()
    current = None
    if exc.reason == RuleSetChanged.CHANGED:
        current = Rule.objects.get(pk=rule.pk)
        data["seen"] = current.updated_at.isoformat()
    elif exc.reason == RuleSetChanged.DELETED:
        data["seen"] = ""
    form = RuleForm(data)
    form.is_valid()
    message = RULE_CHANGED if current is not None else RULE_GONE
    form.add_error(None, _conflict_text(exc, message))
    return form, current


@coordinator_required
@require_POST
def rule_remove(request, version, pk):
    """``POST /rules/<version>/rules/<id>/delete/``."""
    rule_set = _rule_set(version)
    rule = get_object_or_404(Rule, pk=pk, rule_set=rule_set)
    try:
        seen = seen_read(request.POST.get("seen"))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return _detail(rule_set)
    try:
        rule_delete(rule, actor=request.user, seen=seen)
    except RuleSetChanged as exc:
        message = (
            RULE_CHANGED_BEFORE_DELETE
            if exc.reason == RuleSetChanged.CHANGED
            else ALREADY_DELETED
        )
        messages.error(request, _conflict_text(exc, message))
        return _rule_set_page(request, _rule_set(version), status=409)
    except RuleError as exc:
        messages.error(request, NOT_DELETED % {"reason": exc.translated()})
    else:
        messages.success(request, RULE_DELETED % {"code": rule.code})
    return _detail(rule_set)


@coordinator_required
def delegation_edit(request, version, pk=None):
    """``/rules/<version>/delegations/new/`` and ``…/delegations/<id>/``."""
    rule_set = _rule_set(version)
    refused = _refuse_if_live(request, rule_set)
    if refused:
        return refused
    delegation = get_object_or_404(Delegation, pk=pk, rule_set=rule_set) if pk else None
    status = 200
    if request.method == "POST":
        form = DelegationForm(request.POST)
        if form.is_valid():
            try:
                saved = delegation_save(
                    rule_set, form.values(), delegation=delegation, actor=request.user
                )
            except RuleSetChanged as exc:
                form.add_error(None, _conflict_text(exc, SET_WENT_LIVE))
                status = 409
            except RuleError as exc:
                logger.info("delegation refused in v%s: %s", rule_set.version, exc)
                form.add_error(None, NOT_SAVED % {"reason": exc.translated()})
            else:
                messages.success(request, DELEGATION_SAVED % {"code": saved.code})
                return _detail(rule_set, "delegations")
    else:
        initial = DelegationForm.initial_of(delegation) if delegation else None
        form = DelegationForm(initial=initial)
    context = _page(request, rule_set, delegation=delegation, form=form)
    return render(request, "rules/delegation_form.html", context, status=status)


@coordinator_required
@require_POST
def delegation_remove(request, version, pk):
    """``POST /rules/<version>/delegations/<id>/delete/`` (drafts only, audited)."""
    rule_set = _rule_set(version)
    delegation = get_object_or_404(Delegation, pk=pk, rule_set=rule_set)
    try:
        delegation_delete(delegation, actor=request.user)
    except RuleSetChanged as exc:
        messages.error(request, _conflict_text(exc, SET_WENT_LIVE))
        return _rule_set_page(request, _rule_set(version), status=409)
    messages.success(request, DELEGATION_DELETED % {"code": delegation.code})
    return _detail(rule_set, "delegations")


@coordinator_required
def rule_set_activate_view(request, version):
    """``GET``: what going live changes, and the button; ``POST``: activate."""
    rule_set = _rule_set(version)
    if rule_set.is_active:
        messages.info(request, ALREADY_ACTIVE % {"version": rule_set.version})
        return _detail(rule_set)
    if request.method == "POST":
        try:
            rule_set_activate(rule_set, actor=request.user)
        except RuleError as exc:
            logger.info("activation of v%s refused: %s", rule_set.version, exc)
            messages.error(request, NOT_ACTIVATED % {"reason": exc.translated()})
            return redirect("rules:activate", version=rule_set.version)
        messages.success(request, ACTIVATED % {"version": rule_set.version})
        return _detail(rule_set)
    errors, warnings = rule_set_check(rule_set)
    active = display.active_rule_set()
    context = _page(
        request,
        rule_set,
        active=active,
        changes=display.rule_set_changes(rule_set, active),
        errors=[translated(e) for e in errors],
        warnings=[translated(w) for w in warnings],
    )
    return render(request, "rules/activate.html", context)


@staff_required
def point_test(request, version):
    """``GET /rules/<version>/test/?lon=&lat=&category=&date=``: route one point."""
    rule_set = _rule_set(version)
    form = PointForm(request.GET) if request.GET else PointForm()
    page = _page(request, rule_set, form=form, result=None)
    try:
        context = build_context(rule_set=rule_set)
    except RoutingError as exc:
        page["setup_error"] = str(exc)
        return render(request, "rules/point.html", page)
    outcome = _route(form, context) if form.is_bound and form.is_valid() else None
    point = (None, None)
    if outcome is not None:
        data = form.cleaned_data
        point = (data["lon"], data["lat"])
        page["result"] = _outcome_display(outcome, context, data["category"])
    page["map"] = point_map_build(
        context,
        *point,
        candidates=outcome.candidates if outcome is not None else (),
        tile_url=settings.GEOPOOL_TILE_URL,
        tile_attribution=settings.GEOPOOL_TILE_ATTRIBUTION,
    )
    return render(request, "rules/point.html", page)


def _route(form, context):
    """The Outcome for the valid ``form``, or None with the refusal on it."""
    data = form.cleaned_data
    try:
        return decide(
            (data["lon"], data["lat"]),
            data["category"],
            at=form.decision_time(),
            context=context,
        )
    except UnknownCategory as exc:
        form.add_error("category", str(exc))
    except RoutingError as exc:
        form.add_error(None, str(exc))
    return None


def _outcome_display(outcome, context, category):
    names = display.Names.load()
    return {
        "outcome": outcome,
        "owner": outcome.owner_label,
        "owner_code": outcome.owner_body.code,
        "trace": display.trace_rows(outcome.trace, names),
        "candidates": [
            {**c, "body_name": names.body(c["body"]) if c.get("body") else ""}
            for c in outcome.candidates
        ],
        "generations": sorted(outcome.generations.items()),
        "category": context.categories[category],
    }


@coordinator_required
def simulation(request, version):
    """``GET /rules/<version>/simulate/?since=YYYY-MM-DD``: what would change."""
    rule_set = _rule_set(version)
    form = SimulateForm(request.GET) if "since" in request.GET else SimulateForm()
    result = None
    if form.is_bound and form.is_valid():
        try:
            result = simulation_display(
                simulate(rule_set=rule_set, since=form.since_time())
            )
        except RoutingError as exc:
            form.add_error(None, str(exc))
    context = _page(request, rule_set, form=form, result=result)
    return render(request, "rules/simulate.html", context)
