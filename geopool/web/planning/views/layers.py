"""``GET /planning/layers/``: every layer with its generations and actions."""

from django.db.models import Prefetch
from django.shortcuts import render

from boundaries.models import Generation, GenerationState, Layer
from boundaries.services.generations import generation_previous
from geopool.web.l10n import count_text, datetime_text
from geopool.web.planning.access import planner_required


@planner_required
def layers_list(request):
    """List the layers, their generations, and what a planner may do with them."""
    generations = Generation.objects.select_related("imported_by").order_by("-number")
    layers = Layer.objects.prefetch_related(
        Prefetch("generations", queryset=generations)
    ).order_by("code")
    rows = [_layer_row(layer) for layer in layers]
    return render(request, "planning/layers.html", {"layers": rows})


def _layer_row(layer):
    generations = list(layer.generations.all())
    active = next((g for g in generations if g.is_active), None)
    return {
        "layer": layer,
        "kind": layer.get_geometry_kind_display(),
        "active": active,
        "active_features": count_text(active.feature_count) if active else "",
        "active_imported_at": _when(active.imported_at) if active else "",
        "previous": generation_previous(layer),
        "generations": [_generation_row(g) for g in generations],
    }


def _generation_row(generation):
    state = generation.state
    return {
        "generation": generation,
        "state": state,
        "state_label": GenerationState(state).label,
        "is_draft": state == GenerationState.DRAFT,
        "features": count_text(generation.feature_count),
        "imported_by": (
            generation.imported_by.get_username() if generation.imported_by else "—"
        ),
        "imported_at": _when(generation.imported_at),
        "activated_at": _when(generation.activated_at),
    }


def _when(value):
    return datetime_text(value) if value else "—"
