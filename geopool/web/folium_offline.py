"""folium with no internet: every script and stylesheet from geopool itself.

folium links Leaflet, jQuery, Bootstrap, Font Awesome and its marker plugins
from public CDNs. geopool's servers, and often the staff browsers in front of
them, have no internet access, so a stock folium page would load without
Leaflet and draw nothing. ``OfflineMap`` and ``OfflineMarkerCluster`` swap
each asset for the npm copy that WhiteNoise serves (``package-lock.json``,
mapped by ``STATICFILES_DIRS``) and drop the ones geopool does not use:

- Bootstrap's CSS comes from the page itself (``templates/base.html``), and
  no folium element geopool draws needs Bootstrap's JavaScript;
- awesome-markers, its Font Awesome font, folium's GitHub-hosted rotate CSS
  and Bootstrap 3's glyphicons serve ``folium.Marker`` icons only, and some
  are on no npm registry. Use ``CircleMarker`` (plain SVG) instead.

The replacement lists are set on each instance, never on folium's classes,
so other folium users in the same process still get folium's defaults. An
asset this module does not know (a folium upgrade adding one) raises
``UnknownFoliumAsset`` instead of quietly linking a CDN.
"""

from dataclasses import dataclass

from django.templatetags.static import static

from folium import Map
from folium.plugins import MarkerCluster

# folium's asset name -> path under STATIC_URL, or None to drop the asset.
MAP_JS = {
    "leaflet": "vendor/leaflet/leaflet.js",
    "jquery": "vendor/jquery/jquery.min.js",
    "bootstrap": None,
    "awesome_markers": None,
}
MAP_CSS = {
    "leaflet_css": "vendor/leaflet/leaflet.css",
    "bootstrap_css": None,
    "glyphicons_css": None,
    "awesome_markers_font_css": None,
    "awesome_markers_css": None,
    "awesome_rotate_css": None,
}
MARKER_CLUSTER_JS = {
    "markerclusterjs": "vendor/leaflet.markercluster/leaflet.markercluster.js",
}
MARKER_CLUSTER_CSS = {
    "markerclustercss": "vendor/leaflet.markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "vendor/leaflet.markercluster/MarkerCluster.Default.css",
}


class UnknownFoliumAsset(Exception):
    """folium links an asset that has no local replacement here."""


def local_assets(folium_assets, replacements):
    """Return ``folium_assets`` (name, url) pairs pointing at static files.

    >>> local_assets([("leaflet", "https://cdn/leaflet.js")], MAP_JS)
    [('leaflet', '/static/vendor/leaflet/leaflet.js')]
    """
    local = []
    for name, url in folium_assets:
        if name not in replacements:
            raise UnknownFoliumAsset(
                f"folium links {name!r} from {url}, which has no local copy; add "
                f"{name!r} to geopool/web/folium_offline.py with a static path "
                "(from an npm package in package.json) or None to drop it"
            )
        if replacements[name] is not None:
            local.append((name, static(replacements[name])))
    return local


class OfflineMap(Map):
    """A ``folium.Map`` with scripts and styles from geopool's static files."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_js = local_assets(Map.default_js, MAP_JS)
        self.default_css = local_assets(Map.default_css, MAP_CSS)


class OfflineMarkerCluster(MarkerCluster):
    """A ``MarkerCluster`` with plugin files from geopool's static files."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_js = local_assets(MarkerCluster.default_js, MARKER_CLUSTER_JS)
        self.default_css = local_assets(MarkerCluster.default_css, MARKER_CLUSTER_CSS)


@dataclass(frozen=True)
class MapParts:
    """A rendered folium map split for embedding in a Django page."""

    header: str  # <script>/<link>/<style> tags for <head>
    html: str  # the map's container <div>
    script: str  # JavaScript drawing the map; embed in a <script> element


def map_parts(fmap):
    """Render ``fmap`` and return its MapParts."""
    figure = fmap.get_root()
    figure.render()
    return MapParts(
        header=figure.header.render(),
        html=figure.html.render(),
        script=figure.script.render(),
    )
