"""The planners' pages, under ``/planning/``."""

from django.urls import path
from django.views.generic import RedirectView

from geopool.web.planning.access import planner_required
from geopool.web.planning.views import (
    actions,
    check,
    generation,
    layers,
    mapping,
    source,
    upload,
)

app_name = "planning"

urlpatterns = [
    # The right is checked first: a non-planner gets the 403 here, not after
    # a redirect.
    path(
        "",
        planner_required(RedirectView.as_view(pattern_name="planning:layers")),
        name="home",
    ),
    path("layers/", layers.layers_list, name="layers"),
    path("layers/<slug:code>/rollback/", actions.layer_rollback_view, name="rollback"),
    path("upload/", upload.upload_start, name="upload"),
    path("upload/<str:token>/source/", source.source_choose, name="upload-source"),
    path("upload/<str:token>/fields/", mapping.fields_map, name="upload-fields"),
    path("upload/<str:token>/check/", check.import_check, name="upload-check"),
    path("generations/<int:pk>/", generation.generation_preview, name="generation"),
    path(
        "generations/<int:pk>/activate/",
        actions.generation_activate_view,
        name="activate",
    ),
    path(
        "generations/<int:pk>/discard/",
        actions.generation_discard_view,
        name="discard",
    ),
]
