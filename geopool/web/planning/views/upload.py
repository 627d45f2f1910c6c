"""Step 1 of the upload, ``/planning/upload/``: the file and its target layer.

The file is stored as a pending upload (``pending``) and the planner goes on
to the questions the file leaves open (``source``).
"""

import logging

from django.shortcuts import redirect, render

from geopool.web.planning.access import planner_required
from geopool.web.planning.forms import UploadForm
from geopool.web.planning.pending import pending_create

logger = logging.getLogger(__name__)


@planner_required
def upload_start(request):
    """Show the upload form; store a valid upload and go on to its questions."""
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            pending = pending_create(request, form.cleaned_data["file"], form.options())
            return redirect("planning:upload-source", token=pending.token)
    else:
        form = UploadForm(initial={"layer": request.GET.get("layer") or None})
    return render(request, "planning/upload.html", {"form": form, "step": 1})
