"""``GET /planning/generations/<id>/``: a generation's preview.

The map draws the generation beside the layer's active one with the
located problems of its checks (``map``); below it are the check report, the
repaired and skipped features, the impact preview and the actions: activate
(refused while the checks found errors, unless the planner accepts them),
discard a draft, roll the layer back.

A generation that could go live (a draft, or the one it replaced) of a layer
the active rules consult, or of the district layer, also offers a
simulation: the requests of the last months routed as if it were active,
compared with their owners today (``routing_rules.services.simulation``).
It runs only when the planner presses "simulate", not on every view of the
page: it routes every request of the period (hundreds of thousands in a
large pool, seconds of work), and the page is shown again after each action
on it; the import's impact preview, computed when the draft was stored, is
there at once.
"""

import logging

from django.conf import settings
from django.shortcuts import get_object_or_404, render

from boundaries.importing.checks import has_errors
from boundaries.models import Generation, GenerationState
from boundaries.services.generations import generation_previous
from geopool.web.l10n import count_text, datetime_text
from geopool.web.planning.access import planner_required
from geopool.web.planning.describe import jurisdiction_settings
from geopool.web.planning.forms import ActivateForm
from geopool.web.planning.map import preview_map_build
from geopool.web.planning.report import report_display
from geopool.web.rules.forms import SimulateForm
from geopool.web.rules.simulation import (
    generation_simulation_offered,
    simulation_display,
)
from routing_rules.errors import RoutingError
from routing_rules.services.simulation import simulate

logger = logging.getLogger(__name__)


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
    can_activate = state in (GenerationState.DRAFT, GenerationState.PREVIOUS)
    context = {
        "generation": generation,
        "layer": layer,
        "active": active,
        "state_label": GenerationState(state).label,
        "is_draft": state == GenerationState.DRAFT,
        "can_activate": can_activate,
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
    if can_activate:
        context.update(_simulation(request, generation))
    return render(request, "planning/generation.html", context)


def _simulation(request, generation):
    """The simulation part of the page: offered?, its form, its result."""
    layer = generation.layer
    district_layer = jurisdiction_settings().get("district_layer", "")
    if not generation_simulation_offered(layer, district_layer):
        return {"simulation_offered": False}
    form = SimulateForm(request.GET) if "since" in request.GET else SimulateForm()
    result = None
    if form.is_bound and form.is_valid():
        try:
            result = simulation_display(
                simulate(generations={layer.code: generation}, since=form.since_time())
            )
        except RoutingError as exc:
            logger.info("simulation of %s refused: %s", generation, exc)
            form.add_error(None, str(exc))
    return {"simulation_offered": True, "simulate_form": form, "simulation": result}
