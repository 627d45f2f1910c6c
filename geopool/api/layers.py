"""Layer lookups for staff and systems: which features cover a point."""

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from boundaries.errors import UnknownLayer
from boundaries.lookup import covering_features
from geopool.api.params import ParameterError, coordinate


@require_GET
def covering(request, layer):
    """``GET /api/layers/<layer>/covering?lon=&lat=``: the active features there.

    Like MapIt's point lookup: every feature of the layer's active generation
    that covers the point (a point on a shared edge gets both).
    """
    try:
        lon = coordinate(request.GET, "lon", -180, 180)
        lat = coordinate(request.GET, "lat", -90, 90)
        hits = covering_features(layer, lon, lat)
    except ParameterError as exc:
        return JsonResponse({"error": str(exc), "field": exc.field}, status=400)
    except UnknownLayer as exc:
        return JsonResponse({"error": str(exc)}, status=404)
    return JsonResponse(
        {
            "layer": layer,
            "lon": lon,
            "lat": lat,
            "features": [
                {"name": h.name, "code": h.code, "generation": h.generation}
                for h in hits
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )
