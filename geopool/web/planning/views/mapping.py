"""Step 2, ``/planning/upload/<token>/fields/``: the field mapping.

The form offers the file's real field names for the name, the code and each
attribute the layer defines (``Layer.attribute_names``), filled in from the
layer's last mapping where the file has those fields. Its button is the dry
run ("Kuru çalıştır").
"""

from django.shortcuts import redirect, render

from boundaries.models import Layer
from geopool.errors import GeopoolError
from geopool.web.l10n import count_text
from geopool.web.planning.access import planner_required
from geopool.web.planning.describe import upload_describe
from geopool.web.planning.forms import MappingForm
from geopool.web.planning.pending import pending_get, pending_update


@planner_required
def fields_map(request, token):
    """Show the mapping form for the pending upload; keep a valid mapping."""
    pending = pending_get(request, token)
    try:
        description = upload_describe(pending.path, pending.options)
    except GeopoolError:
        # A question is open again (or the file cannot be read): ask it there.
        return redirect("planning:upload-source", token=token)

    layer = Layer.objects.filter(code=pending.options["layer"]).first()
    kwargs = {
        "file_fields": description.source.fields,
        "attribute_names": layer.attribute_names if layer else [],
        "saved": pending.options.get("mapping")
        or (layer.field_mapping if layer else {}),
    }
    if request.method == "POST":
        form = MappingForm(request.POST, **kwargs)
        if form.is_valid():
            pending_update(request, pending, mapping=form.mapping())
            return redirect("planning:upload-check", token=token)
    else:
        form = MappingForm(**kwargs)
    context = {
        "pending": pending,
        "layer": layer,
        "description": description,
        "feature_count": count_text(description.source.feature_count),
        "form": form,
        "step": 2,
    }
    return render(request, "planning/mapping.html", context)
