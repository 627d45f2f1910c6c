"""The state changes of generations: activate, discard, roll back (POST only).

Each calls the generations service with the planner as the actor (so the
audit trail names them) and reports the outcome as a message: the success
text below, or the service's refusal. Then it returns to the page the
button was on (``next``, if it is a URL of this site) or to the layer list.
"""

import logging

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from boundaries.importing.checks import has_errors
from boundaries.models import Generation, Layer
from boundaries.services.generations import (
    generation_activate,
    generation_discard,
    generation_rollback,
)
from geopool.errors import GeopoolError
from geopool.web.planning.access import planner_required
from geopool.web.planning.forms import ActivateForm

logger = logging.getLogger(__name__)

ACTIVATED = _("Generation %(number)s of layer %(layer)s is now active.")
ACTIVATED_FORCED = _(
    "Generation %(number)s of layer %(layer)s is now active; its check errors "
    "were accepted."
)
DISCARDED = _("The draft generation %(number)s of layer %(layer)s was discarded.")
ROLLED_BACK = _(
    "Layer %(layer)s was rolled back: generation %(number)s is active again."
)
REFUSED = _("Not done: %(reason)s")


@planner_required
@require_POST
def generation_activate_view(request, pk):
    """``POST /planning/generations/<id>/activate/`` (``force`` to accept errors)."""
    generation = get_object_or_404(Generation.objects.select_related("layer"), pk=pk)
    form = ActivateForm(request.POST)
    force = form.is_valid() and form.cleaned_data["force"]
    try:
        generation_activate(generation, actor=request.user, force=force)
    except GeopoolError as exc:
        return _refused(request, exc)
    text = (
        ACTIVATED_FORCED
        if force and has_errors(generation.report.get("checks", []))
        else ACTIVATED
    )
    messages.success(request, text % _names(generation))
    return _back(request)


@planner_required
@require_POST
def generation_discard_view(request, pk):
    """``POST /planning/generations/<id>/discard/``: abandon a draft."""
    generation = get_object_or_404(Generation.objects.select_related("layer"), pk=pk)
    try:
        generation_discard(generation, actor=request.user)
    except GeopoolError as exc:
        return _refused(request, exc)
    messages.success(request, DISCARDED % _names(generation))
    return _back(request)


@planner_required
@require_POST
def layer_rollback_view(request, code):
    """``POST /planning/layers/<code>/rollback/``: back to the previous generation."""
    layer = get_object_or_404(Layer, code=code)
    try:
        generation = generation_rollback(layer, actor=request.user)
    except GeopoolError as exc:
        return _refused(request, exc)
    messages.success(request, ROLLED_BACK % _names(generation))
    return _back(request)


def _names(generation):
    return {"number": generation.number, "layer": generation.layer.code}


def _refused(request, exc):
    logger.info("refused to %s: %s", request.user.get_username(), exc)
    messages.error(request, REFUSED % {"reason": exc})
    return _back(request)


def _back(request):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("planning:layers")
