"""Step 1b, ``/planning/upload/<token>/source/``: what the file leaves open.

The file is described as the import will read it (``describe``). Where the
import would refuse and ask, the page asks instead: which layer of a
GeoPackage or zip (``SeveralLayers``), which CRS for a file without one
(``CrsUnknown``, with the jurisdiction's suggestions), which encoding for a
shapefile's text (``EncodingUnknown``, showing how the text reads in each).
Each answer is kept with the pending upload and the file is described
again; once nothing is open the planner goes on to the field mapping.
"""

import logging

from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from boundaries.errors import CrsUnknown, EncodingUnknown, SeveralLayers, Unreadable
from geopool.errors import GeopoolError
from geopool.web.planning.access import planner_required
from geopool.web.planning.describe import upload_describe
from geopool.web.planning.forms import CrsForm, EncodingForm, SourceLayerForm
from geopool.web.planning.pending import pending_get, pending_update

logger = logging.getLogger(__name__)

QUESTION_LAYER = _("The file holds several layers: choose the one to import.")
QUESTION_CRS = _(
    "The file does not say its coordinate reference system (no .prj?), and "
    "geopool never guesses one: choose one of the suggestions or type an "
    "EPSG code."
)
QUESTION_ENCODING = _(
    "The text encoding of the file cannot be known for sure: choose the "
    "encoding in which the text reads right."
)
UNREADABLE = _(
    "%(name)s could not be read as a map layer: the file is damaged or is not "
    "in a format geopool reads. Accepted formats: GeoJSON (.geojson), "
    "GeoPackage (.gpkg), KML (.kml) or a shapefile zipped with its .shp, "
    ".shx, .dbf and .prj files (.zip)."
)
# What each refusal asks, the form that answers it, and its detail.
QUESTIONS = {
    SeveralLayers: ("source_layer", SourceLayerForm, "layers", QUESTION_LAYER),
    CrsUnknown: ("srid", CrsForm, "suggestions", QUESTION_CRS),
    EncodingUnknown: ("encoding", EncodingForm, "previews", QUESTION_ENCODING),
}


@planner_required
def source_choose(request, token):
    """Ask what the file leaves open; go on to the mapping when nothing is."""
    pending = pending_get(request, token)
    try:
        upload_describe(pending.path, pending.options)
    except (SeveralLayers, CrsUnknown, EncodingUnknown) as refusal:
        return _ask(request, pending, refusal)
    except GeopoolError as exc:
        logger.info("upload %s refused: %s", token, exc)
        refusal = str(exc)
        if isinstance(exc, Unreadable):
            refusal = UNREADABLE % {"name": exc.details["name"]}
        return render(
            request,
            "planning/source.html",
            {"pending": pending, "refusal": refusal, "step": 1},
        )
    return redirect("planning:upload-fields", token=token)


def _ask(request, pending, refusal):
    option, form_class, detail, question = QUESTIONS[type(refusal)]
    kwargs = {detail: refusal.details.get(detail)}
    if request.method == "POST":
        form = form_class(request.POST, **kwargs)
        if form.is_valid():
            pending_update(request, pending, **{option: form.cleaned_data[option]})
            return redirect("planning:upload-source", token=pending.token)
    else:
        form = form_class(**kwargs)
    context = {
        "pending": pending,
        "question": question,
        # Command-line advice ("Pass --srid ...") means nothing on the page.
        "refusal": refusal.details.get("page_text") or str(refusal),
        "form": form,
        "step": 1,
    }
    return render(request, "planning/source.html", context)
