"""The staff map: districts with their request counts, and the newest requests.

``district_map_build`` turns ``map_data``'s rows into an offline folium map
and returns its three parts for the Django page to embed (``MapParts``):
the scripts and styles for ``<head>``, the map's ``<div>``, and the script
that draws it. Embedding, rather than an ``<iframe srcdoc>``, keeps one
document, so the page's own scripts and tests see the map.

Geometries are stored in WGS 84 already and go to Leaflet as they are; only
their outlines are simplified, in ``map_data``, for display. Every text a
citizen or an import wrote (descriptions, names) is HTML-escaped here, before
it reaches Leaflet, which shows popups and tooltips as HTML.
"""

from django.utils.html import escape, format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

import folium

from geopool.models import Status
from geopool.web.circle_markers import CircleMarkerBatch
from geopool.web.folium_offline import (
    OfflineMap,
    OfflineMarkerCluster,
    map_parts,
)
from geopool.web.l10n import count_text, datetime_text
from geopool.web.map_data import DESCRIPTION_CHARS
from routing_rules.decide import owner_label

DISTRICT_STYLE = {"color": "#1d4e89", "weight": 1.5, "fillColor": "#6a9fd4"}
DISTRICT_FILL_OPACITY = 0.15
DISTRICT_HIGHLIGHT = {"weight": 3, "fillOpacity": 0.3}
MARKER_COLOURS = {"open": "#0d6efd", "closed": "#6c757d", "urgent": "#dc3545"}
STATUS_LABELS = dict(Status.choices)
# Leaflet.markercluster needs the map's maximum zoom, which a map without
# tiles does not otherwise have.
MAX_ZOOM = 18
# Half zoom steps let the province fill the frame when the map fits it.
ZOOM_SNAP = 0.5


def district_map_build(districts, requests, tile_url="", tile_attribution=""):
    """Return the ``MapParts`` of a map of ``districts`` and ``requests``.

    ``districts`` are ``map_data.DistrictCounts``; ``requests`` are
    ``ServiceRequest`` rows from ``map_data.requests_list_newest_located``.
    With an empty ``tile_url`` the map has no background tiles.
    """
    bounds = _bounds(districts, requests)
    fmap = OfflineMap(
        location=_centre(bounds),
        zoom_start=9,
        tiles=None,
        maxZoom=MAX_ZOOM,
        zoomSnap=ZOOM_SNAP,
    )
    if tile_url:
        folium.TileLayer(
            tiles=tile_url, attr=tile_attribution, max_zoom=MAX_ZOOM
        ).add_to(fmap)
    if districts:
        _district_layer(districts).add_to(fmap)
    cluster = OfflineMarkerCluster(name=_("Requests")).add_to(fmap)
    CircleMarkerBatch([_marker_row(r) for r in requests]).add_to(cluster)
    if bounds:
        west, south, east, north = bounds
        fmap.fit_bounds([[south, west], [north, east]])
    return map_parts(fmap)


def district_tooltip(district):
    """Return the escaped tooltip of a district, e.g. "Antakya (2080) — …"."""
    return escape(
        _("%(name)s (%(code)s) — by location: %(located)s · by owner: %(owned)s")
        % {
            "name": district.name,
            "code": district.code,
            "located": count_text(district.by_location),
            "owned": count_text(district.by_owner),
        }
    )


def request_popup(request):
    """Return the popup of one request as safe HTML."""
    return format_html(
        '<div class="request-popup"><strong>{}</strong> <small>{}</small>'
        '<div class="request-popup-text">{}</div>'
        '<div class="small">{}: {}<br>{}: {}<br>{}</div></div>',
        _category_name(request.category),
        request.tracking_code,
        _description_start(request.description_head),
        _("Owner"),
        _owner_text(request),
        _("Status"),
        STATUS_LABELS.get(request.status, request.status),
        datetime_text(request.requested_at),
    )


def _district_layer(districts):
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": d.feature_id,
                "geometry": d.outline,
                "properties": {
                    "name": d.name,
                    "code": d.code,
                    "tooltip": district_tooltip(d),
                },
            }
            for d in districts
        ],
    }
    return folium.GeoJson(
        collection,
        name=_("Districts"),
        style_function=lambda feature: {
            **DISTRICT_STYLE,
            "fillOpacity": DISTRICT_FILL_OPACITY,
        },
        highlight_function=lambda feature: DISTRICT_HIGHLIGHT,
        # folium's tooltip sets the property as innerHTML: it is escaped above.
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
        # Leaflet shows a layer's attribution while the layer is on the map.
        attribution=escape(_("© OpenStreetMap contributors (ODbL)")),
    )


def _marker_row(request):
    if request.is_urgent:
        colour = MARKER_COLOURS["urgent"]
    else:
        colour = MARKER_COLOURS[Status.open311(request.status)]
    return (request.location.y, request.location.x, request_popup(request), colour)


def _category_name(category):
    if (get_language() or "").startswith("en") and category.name_en:
        return category.name_en
    return category.name


def _description_start(head):
    head = head or ""
    if len(head) > DESCRIPTION_CHARS:
        return head[:DESCRIPTION_CHARS] + "…"
    return head


def _owner_text(request):
    if request.owner_body is None:
        return "—"
    return owner_label(request.owner_body, request.owner_department)


def _bounds(districts, requests):
    """Return (west, south, east, north) of the districts, else of requests."""
    if districts:
        boxes = [d.bounds for d in districts]
    else:
        boxes = [(r.location.x, r.location.y) * 2 for r in requests]
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _centre(bounds):
    if bounds is None:
        return None
    west, south, east, north = bounds
    return [(south + north) / 2, (west + east) / 2]
