"""Many circle markers as one folium element, added to a cluster in bulk.

One ``folium.CircleMarker`` with a ``folium.Popup`` per request renders a
few kilobytes of JavaScript each: 2,000 requests made a 2 MB page that took
about two seconds to render in Python. ``CircleMarkerBatch`` sends the same
markers as one JSON array and builds Leaflet circle markers from it in the
browser, then hands them to the cluster with one ``addLayers`` call (which
Leaflet.markercluster clusters in one pass).

Popup texts must be safe HTML already (built with ``format_html``): Leaflet
sets them as ``innerHTML``. They travel as JSON, which keeps them from ever
being read as JavaScript (folium's popups paste text into a JavaScript
template literal, where ``${...}`` in a citizen's description would run).
"""

from folium.elements import MacroElement
from folium.template import Template


class CircleMarkerBatch(MacroElement):
    """Circle markers from ``(lat, lon, popup_html, colour)`` rows.

    Add it to an ``OfflineMarkerCluster`` (anything with ``addLayers``).
    Coordinates go out as JSON numbers, always with a decimal point.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var rows = {{ this.rows|tojson }};
            var style = {{ this.style|tojson }};
            var markers = rows.map(function (row) {
                var options = Object.assign({}, style, {color: row[3]});
                return L.circleMarker([row[0], row[1]], options)
                    .bindPopup(row[2], {maxWidth: 320});
            });
            {{ this._parent.get_name() }}.addLayers(markers);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, rows, radius=6, weight=2, fill_opacity=0.6):
        super().__init__()
        self._name = "CircleMarkerBatch"
        self.rows = [
            [float(lat), float(lon), str(html), str(colour)]
            for lat, lon, html, colour in rows
        ]
        self.style = {"radius": radius, "weight": weight, "fillOpacity": fill_opacity}
