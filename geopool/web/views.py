"""Staff pages: the district map with request counts.

Every view here is wrapped in ``staff_required`` (``geopool.web.access``).
"""

from django.conf import settings
from django.shortcuts import render

from geopool.models import Jurisdiction
from geopool.visibility import requests_visible_to, scope_body_of
from geopool.web.access import staff_required
from geopool.web.district_map import district_map_build
from geopool.web.l10n import count_text
from geopool.web.map_data import (
    districts_count_requests,
    requests_count_located,
    requests_list_newest_located,
)

# Newest requests drawn as markers; more would slow the browser down, and
# the district counts cover the rest.
MARKER_LIMIT = 2000


@staff_required
def district_map(request):
    """``GET /map/``: districts with request counts and the newest requests."""
    layer = _district_layer()
    scope = scope_body_of(request.user)
    visible = requests_visible_to(request.user)
    districts = districts_count_requests(layer, scope) if layer else []
    totals = requests_count_located(visible)
    newest = requests_list_newest_located(MARKER_LIMIT, visible)
    parts = district_map_build(
        districts,
        newest,
        tile_url=settings.GEOPOOL_TILE_URL,
        tile_attribution=settings.GEOPOOL_TILE_ATTRIBUTION,
    )

    located_in_districts = sum(d.by_location for d in districts)
    context = {
        "map": parts,
        "layer": layer,
        "districts": [
            {
                "name": d.name,
                "code": d.code,
                "by_location": count_text(d.by_location),
                "by_owner": count_text(d.by_owner),
            }
            for d in districts
        ],
        "shown": count_text(len(newest)),
        "with_location": count_text(totals.with_location),
        "without_location": count_text(totals.without_location),
        "outside_districts": count_text(totals.with_location - located_in_districts),
        "total_by_location": count_text(located_in_districts),
        "total_by_owner": count_text(sum(d.by_owner for d in districts)),
    }
    return render(request, "web/map.html", context)


def _district_layer():
    jurisdiction = Jurisdiction.objects.order_by("id").first()
    if jurisdiction is None:
        return None
    return jurisdiction.settings.get("district_layer")
