"""Step 3, ``/planning/upload/<token>/check/``: the dry run, then the draft.

``GET`` runs the import as a dry run (``layer_import(commit=False)``: every
step and check, nothing kept) and shows its report and impact preview.
``POST`` ("Taslak olarak kaydet") runs it again with ``commit=True`` and
``activate=False``, which stores a draft generation, and goes to the draft's
preview. A refusal is shown on the page with a way back to the step that
settles it.
"""

import logging

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from boundaries.errors import CrsUnknown, EncodingUnknown, FieldMissing, SeveralLayers
from boundaries.importing.service import layer_import
from geopool.errors import GeopoolError
from geopool.web.l10n import count_text
from geopool.web.planning.access import planner_required
from geopool.web.planning.pending import pending_get, pending_remove
from geopool.web.planning.report import report_display

logger = logging.getLogger(__name__)

DRAFT_SAVED = _(
    "Generation %(number)s of layer %(layer)s is stored as a draft; nothing "
    "routes on it until it is activated."
)


@planner_required
def import_check(request, token):
    """Dry-run the pending upload (GET) or store it as a draft (POST)."""
    pending = pending_get(request, token)
    if not pending.options.get("mapping"):
        return redirect("planning:upload-fields", token=token)
    commit = request.method == "POST"
    try:
        report = _import(request, pending, commit)
    except GeopoolError as exc:
        logger.info("upload %s refused: %s", token, exc)
        context = {"pending": pending, "refusal": str(exc), "back": _back(exc, token)}
        return render(request, "planning/check.html", {**context, "step": 3})

    if commit:
        pending_remove(request, pending)
        generation = report.generation
        messages.success(
            request,
            DRAFT_SAVED % {"number": generation.number, "layer": generation.layer.code},
        )
        return redirect("planning:generation", pk=generation.pk)
    context = {
        "pending": pending,
        "summary": report,
        "feature_count": count_text(report.feature_count),
        "report": report_display(report.as_stored()),
        "step": 3,
    }
    return render(request, "planning/check.html", context)


def _import(request, pending, commit):
    options = pending.options
    mapping = options["mapping"]
    return layer_import(
        pending.path,
        options["layer"],
        name_field=mapping["name"],
        code_field=mapping["code"],
        attributes=mapping["attributes"],
        source_layer=options.get("source_layer", ""),
        srid=options.get("srid"),
        encoding=options.get("encoding", ""),
        geometry_kind=options.get("geometry_kind", ""),
        title=options.get("title", ""),
        commit=commit,
        activate=False,
        actor=request.user,
        original_name=pending.path.name,
    )


def _back(refusal, token):
    """The step that settles ``refusal``: its URL."""
    if isinstance(refusal, SeveralLayers | CrsUnknown | EncodingUnknown):
        return reverse("planning:upload-source", kwargs={"token": token})
    if isinstance(refusal, FieldMissing):
        return reverse("planning:upload-fields", kwargs={"token": token})
    return reverse("planning:upload")
