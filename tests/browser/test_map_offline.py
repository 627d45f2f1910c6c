"""The staff map in a real browser with no internet: every file from geopool.

Drives Debian's Chromium (never a downloaded browser) through Playwright
against pytest-django's live server. Every request to another host is
aborted and recorded; the map must draw all the same. The screenshot goes to
``test-artifacts/map.png`` for a person to look at.
"""

import re

import pytest

from tests.browser.helpers import log_in, offline_page
from tests.web.helpers import ANTAKYA, point_inside, request_at
from tests.web.test_map_data import DISTRICTS_TR_ORDER

TOOLTIP = re.compile(r"\(\d+\) — konuma göre: \d+ · sahibine göre: \d+")
HOSTILE = "<b>kalın</b> <img src=x onerror=alert(1)> ${alert(2)} `"

# Open the popup of the request at ANTAKYA: the cluster zooms until the
# marker stands alone. folium names the map's global variable after its div.
OPEN_POPUP = """
([lat, lon]) => new Promise((done) => {
    const map = window[document.querySelector(".folium-map").id];
    map.eachLayer((layer) => {
        if (!layer.zoomToShowLayer) return;
        const marker = layer.getLayers().find(
            (m) => m.getLatLng().equals([lat, lon]));
        layer.zoomToShowLayer(marker, () => { marker.openPopup(); done(); });
    });
})
"""


@pytest.fixture
def map_data(make_staff):
    """A staff user and requests in every district, one with hostile text."""
    staff = make_staff("operator", body="HBB")
    for name in DISTRICTS_TR_ORDER:
        request_at("COP", **point_inside(name))
    request_at("COP", **ANTAKYA, description=HOSTILE)
    return staff


@pytest.mark.browser
def test_map_draws_districts_and_requests_with_no_internet(live_server, map_data):
    with offline_page(live_server) as offline:
        page = offline.page
        page.goto(f"{live_server.url}/map/")
        log_in(page, map_data)
        page.wait_for_selector('html[data-map-ready="1"]', state="attached")

        assert page.locator(".leaflet-overlay-pane path").count() >= 15
        assert "İskenderun" in page.inner_text("[data-testid=district-table]")
        assert page.evaluate("performance.getEntriesByName('map-ready').length") == 1
        tooltip = _hover_a_district(page)
        assert TOOLTIP.search(tooltip), tooltip
        offline.screenshot("map.png")

        page.evaluate(OPEN_POPUP, [ANTAKYA["lat"], ANTAKYA["lon"]])
        popup = page.inner_text(".leaflet-popup-content")

    assert HOSTILE in popup
    assert offline.dialogs == [] and offline.errors == []
    assert offline.blocked == []


def _hover_a_district(page):
    """Hover district outlines until one shows its tooltip; return its text."""
    paths = page.locator(".leaflet-overlay-pane path")
    for index in range(paths.count()):
        paths.nth(index).hover(force=True)
        tooltip = page.locator(".leaflet-tooltip")
        if tooltip.count() and TOOLTIP.search(tooltip.first.inner_text()):
            return tooltip.first.inner_text()
    return ""
