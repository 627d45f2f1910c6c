"""The preview map: a generation beside the layer's active one, and its problems.

``preview_map_build`` draws the generation being looked at (orange) over the
active generation of the same layer (blue); both can be switched off in the
layer control. Problems of the generation's checks that have a location
(overlaps, gaps, slivers, features outside the province) are red circles
whose tooltip and popup give the check's message. Illustrative layers say
so ("temsili") in the layer control and the attribution.

Everything is offline (``OfflineMap``). Names, codes and check messages come
from uploaded files: they are HTML-escaped here, because Leaflet shows
tooltips, popups, layer names and attributions as HTML.
"""

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.translation import gettext as _

import folium

from boundaries.models import GenerationState
from geopool.web.folium_offline import MapParts, OfflineMap, map_parts
from geopool.web.planning.features import DisplayFeatures, features_for_display

THIS_STYLE = {"color": "#d9480f", "weight": 2, "fillColor": "#fd7e14"}
THIS_FILL_OPACITY = 0.3
ACTIVE_STYLE = {"color": "#1d4e89", "weight": 1.5, "fillColor": "#6a9fd4"}
ACTIVE_FILL_OPACITY = 0.12
PROBLEM_COLOUR = "#dc3545"
MAX_ZOOM = 18
ZOOM_SNAP = 0.5
# A single small feature or problem is shown with some surroundings.
FIT_MAX_ZOOM = 14


@dataclass(frozen=True)
class PreviewMap:
    parts: MapParts
    this: DisplayFeatures
    active: DisplayFeatures | None
    problems: int


def preview_map_build(generation, active, tile_url="", tile_attribution=""):
    """Return the PreviewMap of ``generation`` beside ``active`` (or None)."""
    layer = generation.layer
    this = features_for_display(generation.pk)
    shown_active = None
    if active is not None and active.pk != generation.pk:
        shown_active = features_for_display(active.pk)
    problems = [
        p
        for p in generation.report.get("checks", [])
        if p.get("lon") is not None and p.get("lat") is not None
    ]

    fmap = OfflineMap(location=None, tiles=None, maxZoom=MAX_ZOOM, zoomSnap=ZOOM_SNAP)
    if tile_url:
        folium.TileLayer(
            tiles=tile_url, attr=tile_attribution, max_zoom=MAX_ZOOM
        ).add_to(fmap)
    if shown_active is not None:
        _features_layer(
            shown_active,
            _("Active generation %(number)s") % {"number": active.number},
            layer,
            ACTIVE_STYLE,
            ACTIVE_FILL_OPACITY,
        ).add_to(fmap)
    state = GenerationState(generation.state).label
    _features_layer(
        this,
        _("Generation %(number)s (%(state)s)")
        % {"number": generation.number, "state": state},
        layer,
        THIS_STYLE,
        THIS_FILL_OPACITY,
    ).add_to(fmap)
    if problems:
        _problems_layer(problems).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)

    # Fit what is being reviewed; the active generation is context around it.
    bounds = _bounds(this, problems)
    if bounds:
        west, south, east, north = bounds
        fmap.fit_bounds([[south, west], [north, east]], max_zoom=FIT_MAX_ZOOM)
    return PreviewMap(map_parts(fmap), this, shown_active, len(problems))


def layer_label(text, layer):
    """Return ``text`` for the map, marked "temsili" for illustrative layers."""
    if layer.is_illustrative:
        return f"{text} — {_('illustrative')}"
    return text


def _features_layer(features, title, layer, style, fill_opacity):
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "tooltip": escape(f"{name} ({code})" if code else name),
                },
            }
            for name, code, geometry in features.rows
        ],
    }
    attribution = layer_label(layer.attribution, layer) if layer.attribution else ""
    if not attribution and layer.is_illustrative:
        attribution = _("illustrative")
    return folium.GeoJson(
        collection,
        name=escape(layer_label(f"{layer.code}: {title}", layer)),
        style_function=lambda feature: {**style, "fillOpacity": fill_opacity},
        marker=folium.CircleMarker(radius=5, fill=True),
        # folium's tooltip sets the property as innerHTML: it is escaped above.
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
        attribution=escape(attribution) if attribution else None,
    )


def _problems_layer(problems):
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [float(p["lon"]), float(p["lat"])],
                },
                "properties": {"message": escape(p["message"])},
            }
            for p in problems
        ],
    }
    return folium.GeoJson(
        collection,
        name=escape(_("Problems (%(count)s)") % {"count": len(problems)}),
        style_function=lambda feature: {
            "color": PROBLEM_COLOUR,
            "fillColor": PROBLEM_COLOUR,
            "fillOpacity": 0.5,
            "weight": 2,
        },
        marker=folium.CircleMarker(radius=9, fill=True),
        tooltip=folium.GeoJsonTooltip(fields=["message"], labels=False),
        popup=folium.GeoJsonPopup(fields=["message"], labels=False),
    )


def _bounds(this, problems):
    boxes = [this.bounds] if this.bounds else []
    boxes += [(p["lon"], p["lat"], p["lon"], p["lat"]) for p in problems]
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
