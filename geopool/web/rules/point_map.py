"""The map of "test one point": the point, its candidates, and a click to choose.

``point_map_build`` draws the districts of the routing context (thin grey,
for orientation), the candidate features of a decision (orange, each with a
popup giving its layer, code, distance in metres, the rule that offered it
and the body it would go to) and the point itself (red). Clicking the map
writes the clicked longitude and latitude into the form's fields
(``ClickToChoose``), so a coordinator can try another place.

Candidate geometries are read from ``boundaries.Feature`` by layer and code
in the generation the context routes on (a draft generation under test
included), simplified for display only. Every name comes from imported
files or the pack, so every text is HTML-escaped before it reaches
Leaflet, which shows tooltips and popups as HTML. Offline, like every map
of geopool (``OfflineMap``).
"""

import json
import math
from dataclasses import dataclass

from django.db import connection
from django.utils.html import escape, format_html, format_html_join
from django.utils.translation import gettext as _

import folium
from folium.elements import MacroElement
from folium.template import Template

from boundaries.models import Layer
from geopool.web.folium_offline import MapParts, OfflineMap, map_parts
from geopool.web.planning.features import features_for_display
from geopool.web.planning.map import layer_label

DISPLAY_TOLERANCE_DEG = 0.00005  # about 5 m here; display only
DISTRICT_STYLE = {"color": "#6c757d", "weight": 1, "fillOpacity": 0.03}
CANDIDATE_STYLE = {"color": "#d9480f", "weight": 5, "fillColor": "#fd7e14"}
CANDIDATE_FILL_OPACITY = 0.2
# A polygon covering the point (its district, a park) fills the whole view
# when zoomed in: outline only, lightly filled.
COVERING_STYLE = {**CANDIDATE_STYLE, "weight": 2, "fillOpacity": 0.06}
POINT_COLOUR = "#dc3545"
MAX_ZOOM = 19
ZOOM_SNAP = 0.5
# Around the point the map shows at least this much, and the nearest
# candidates with some room.
MIN_RADIUS_M = 300
MARGIN_M = 60
METRES_PER_DEGREE = 111_320

_FEATURES = """
    SELECT name, code,
           ST_AsGeoJSON(ST_SimplifyPreserveTopology(geometry, %(tolerance)s), 6)
    FROM boundaries_feature
    WHERE generation_id = %(generation)s
      AND (code = ANY(%(codes)s) OR (code = '' AND name = ANY(%(names)s)))
    ORDER BY code, name, id
"""


class ClickToChoose(MacroElement):
    """Clicking the map fills the inputs ``lon_id`` and ``lat_id``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var lon = document.getElementById({{ this.lon_id|tojson }});
            var lat = document.getElementById({{ this.lat_id|tojson }});
            var chosen = null;
            map.on("click", function (event) {
                lon.value = event.latlng.lng.toFixed(6);
                lat.value = event.latlng.lat.toFixed(6);
                if (chosen) {
                    chosen.setLatLng(event.latlng);
                } else {
                    chosen = L.circleMarker(event.latlng, {{ this.style|tojson }})
                        .addTo(map);
                }
                document.documentElement.dataset.pointChosen = "1";
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, lon_id, lat_id):
        super().__init__()
        self._name = "ClickToChoose"
        self.lon_id, self.lat_id = lon_id, lat_id
        self.style = {"radius": 7, "color": "#0d6efd", "fillOpacity": 0.6}


def candidate_features(context, candidates):
    """GeoJSON features of the candidates, one per feature, popups merged."""
    by_feature = {}
    for candidate in candidates:
        key = (candidate["layer"], candidate.get("code", ""), candidate["feature"])
        by_feature.setdefault(key, []).append(candidate)
    wanted = {}
    for layer, code, name in by_feature:
        wanted.setdefault(layer, ([], []))[0 if code else 1].append(code or name)
    layers = {layer.code: layer for layer in Layer.objects.filter(code__in=wanted)}
    features = []
    with connection.cursor() as cursor:
        for layer, (codes, names) in sorted(wanted.items()):
            generation = context.generations.get(layer)
            if generation is None:
                continue
            cursor.execute(
                _FEATURES,
                {
                    "tolerance": DISPLAY_TOLERANCE_DEG,
                    "generation": generation[0],
                    "codes": codes,
                    "names": names,
                },
            )
            for name, code, geometry in cursor.fetchall():
                offered = by_feature.get((layer, code, name))
                if offered is None:
                    continue
                features.append(
                    {
                        "type": "Feature",
                        "geometry": json.loads(geometry),
                        "properties": {
                            "covers": any(c.get("covers") for c in offered),
                            "tooltip": escape(f"{name} ({code})" if code else name),
                            "popup": candidate_popup(
                                _layer_title(layers.get(layer), layer),
                                name,
                                code,
                                offered,
                                context.bodies,
                            ),
                        },
                    }
                )
    return features


def candidate_popup(layer, name, code, offered, bodies):
    """Safe HTML: the feature, then each rule that offered it and how far."""
    lines = format_html_join(
        "", "<li>{}</li>", ((_candidate_line(c, bodies),) for c in offered)
    )
    return format_html(
        "<strong>{}</strong> <small>{} · {}</small><ul class='mb-0 ps-3'>{}</ul>",
        name,
        layer,
        code or "—",
        lines,
    )


def _layer_title(layer, code):
    """The layer's code, marked "illustrative" for drawn demo layers."""
    return layer_label(code, layer) if layer is not None else code


def _candidate_line(candidate, bodies):
    metres = _("%(distance)s m") % {"distance": _metres(candidate["distance_m"])}
    if candidate.get("covers"):
        metres = _("covers the point")
    parts = [metres]
    if candidate.get("rule"):
        parts.append(_("rule %(rule)s") % {"rule": candidate["rule"]})
    body = bodies.get(candidate.get("body") or "")
    if body is not None:
        parts.append(f"{body.name} ({body.code})")
    return " · ".join(parts)


def _metres(value):
    """Metres with one decimal, Turkish style: ``4,9``."""
    text = f"{float(value):.1f}".replace(".", ",")
    return text[:-2] if text.endswith(",0") else text


def point_map_build(
    context,
    lon=None,
    lat=None,
    candidates=(),
    lon_id="id_lon",
    lat_id="id_lat",
    tile_url="",
    tile_attribution="",
):
    """Return the ``MapParts`` of the point map (the point and its candidates).

    Without a point, the map shows the districts to click on.
    """
    fmap = OfflineMap(location=None, tiles=None, maxZoom=MAX_ZOOM, zoomSnap=ZOOM_SNAP)
    if tile_url:
        folium.TileLayer(
            tiles=tile_url, attr=tile_attribution, max_zoom=MAX_ZOOM
        ).add_to(fmap)
    districts = context.generations.get(context.district_layer)
    shown = features_for_display(districts[0]) if districts else None
    if shown and shown.rows:
        layer = Layer.objects.filter(code=context.district_layer).first()
        attribution = layer.attribution if layer is not None else ""
        _districts_layer(shown, attribution).add_to(fmap)
    features = candidate_features(context, candidates) if candidates else []
    if features:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            name=escape(_("Candidates (%(count)s)") % {"count": len(features)}),
            style_function=_candidate_style,
            marker=folium.CircleMarker(radius=6, fill=True),
            # The properties are escaped (tooltip) or safe HTML (popup).
            tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
            popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
        ).add_to(fmap)
    if lon is not None and lat is not None:
        folium.CircleMarker(
            location=[lat, lon],
            radius=7,
            color=POINT_COLOUR,
            fill=True,
            fill_opacity=0.8,
            tooltip=escape(
                _("The point: %(lat).6f, %(lon).6f") % {"lat": lat, "lon": lon}
            ),
        ).add_to(fmap)
        west, south, east, north = _around(lon, lat, candidates)
        fmap.fit_bounds([[south, west], [north, east]], max_zoom=MAX_ZOOM)
    elif shown and shown.bounds:
        west, south, east, north = shown.bounds
        fmap.fit_bounds([[south, west], [north, east]])
    folium.LayerControl(collapsed=True).add_to(fmap)
    ClickToChoose(lon_id, lat_id).add_to(fmap)
    return PointMap(map_parts(fmap), len(features))


def _candidate_style(feature):
    if feature["properties"]["covers"]:
        return COVERING_STYLE
    return {**CANDIDATE_STYLE, "fillOpacity": CANDIDATE_FILL_OPACITY}


def _around(lon, lat, candidates):
    """A box round the point wide enough for the candidates within reach."""
    near = [
        float(c["distance_m"])
        for c in candidates
        if not c.get("covers") and c.get("distance_m") is not None
    ]
    radius = max([MIN_RADIUS_M, *(d + MARGIN_M for d in near)])
    dlat = radius / METRES_PER_DEGREE
    dlon = radius / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


@dataclass(frozen=True)
class PointMap:
    parts: MapParts
    candidates: int  # candidate features drawn


def _districts_layer(shown, attribution):
    return folium.GeoJson(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": geometry,
                    "properties": {
                        "tooltip": escape(f"{name} ({code})" if code else name)
                    },
                }
                for name, code, geometry in shown.rows
            ],
        },
        name=escape(_("Districts")),
        style_function=lambda feature: DISTRICT_STYLE,
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
        # Leaflet shows a layer's attribution as HTML while the layer is on.
        attribution=escape(attribution) if attribution else None,
    )
