"""``GET /planning/generations/<id>/``: a generation's preview.

The map draws the generation beside the layer's active one with the
located problems of its checks (``map``); below it are the check report, the
repaired and skipped features, the impact preview and the actions: activate
(refused while the checks found errors, unless the planner accepts them),
discard a draft, roll the layer back.
"""

from django.conf import settings
from django.shortcuts import get_object_or_404, render

from boundaries.importing.checks import has_errors
from boundaries.models import Generation, GenerationState
from boundaries.services.generations import generation_previous
from geopool.web.l10n import count_text, datetime_text
from geopool.web.planning.access import planner_required
from geopool.web.planning.forms import ActivateForm
from geopool.web.planning.map import preview_map_build
from geopool.web.planning.report import report_display


@planner_required
def generation_preview(request, pk):
    """Show generation ``pk`` on the map beside the active one, with its report."""
    generation = get_object_or_404(
        Generation.objects.select_related("layer", "imported_by"), pk=pk
    )
    layer = generation.layer
    active = layer.generations.filter(is_active=True).first()
    preview = preview_map_build(
        generation,
        active,
        tile_url=settings.GEOPOOL_TILE_URL,
        tile_attribution=settings.GEOPOOL_TILE_ATTRIBUTION,
    )
    state = generation.state
    context = {
        "generation": generation,
        "layer": layer,
        "active": active,
        "state_label": GenerationState(state).label,
        "is_draft": state == GenerationState.DRAFT,
        "can_activate": state in (GenerationState.DRAFT, GenerationState.PREVIOUS),
        "has_errors": has_errors(generation.report.get("checks", [])),
        "previous": generation_previous(layer),
        "map": preview.parts,
        "shown": count_text(preview.this.shown),
        "total": count_text(preview.this.total),
        "active_shown": count_text(preview.active.shown) if preview.active else "",
        "active_total": count_text(preview.active.total) if preview.active else "",
        "problems_on_map": preview.problems,
        "imported_at": datetime_text(generation.imported_at),
        "activate_form": ActivateForm(),
        "report": report_display(generation.report),
    }
    return render(request, "planning/generation.html", context)
