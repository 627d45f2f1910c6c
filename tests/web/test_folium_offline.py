"""folium's CDN links become geopool's static files, per instance."""

import pytest

import folium
from folium.plugins import MarkerCluster

from geopool.web.folium_offline import (
    MAP_CSS,
    OfflineMap,
    OfflineMarkerCluster,
    UnknownFoliumAsset,
    local_assets,
)


def _urls(element):
    return [url for _, url in element.default_js + element.default_css]


def test_offline_map_links_only_static_files():
    urls = _urls(OfflineMap(tiles=None))

    assert "/static/vendor/leaflet/leaflet.js" in urls
    assert "/static/vendor/leaflet/leaflet.css" in urls
    assert all(url.startswith("/static/vendor/") for url in urls)


def test_offline_marker_cluster_links_only_static_files():
    urls = _urls(OfflineMarkerCluster())

    assert urls == [
        "/static/vendor/leaflet.markercluster/leaflet.markercluster.js",
        "/static/vendor/leaflet.markercluster/MarkerCluster.css",
        "/static/vendor/leaflet.markercluster/MarkerCluster.Default.css",
    ]


def test_folium_classes_keep_their_own_defaults():
    OfflineMap(tiles=None)
    OfflineMarkerCluster()

    assert any("cdn" in url for url in _urls(folium.Map(tiles=None)))
    assert any("cdn" in url for url in _urls(MarkerCluster()))


def test_rendered_offline_map_has_no_external_asset():
    page = OfflineMap(tiles=None).get_root().render()

    assert "cdn" not in page
    assert "https://" not in page


def test_an_asset_without_a_local_copy_is_refused():
    with pytest.raises(UnknownFoliumAsset, match="'new_plugin' from https://cdn"):
        local_assets([("new_plugin", "https://cdn/x.js")], MAP_CSS)
