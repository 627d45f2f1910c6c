"""The staff map in a real browser with no internet: every file from geopool.

Drives Debian's Chromium (never a downloaded browser) through Playwright
against pytest-django's live server. Every request to another host is
aborted and recorded; the map must draw all the same. Screenshots go to
``test-artifacts/map-*.png`` for a person to look at.
"""

import pytest

from geopool.models import ServiceRequest
from tests.browser.helpers import log_in, offline_page
from tests.web.helpers import ANTAKYA, point_inside, request_at

DISTRICTS = 15
HOSTILE = "<b>kalın</b> <img src=x onerror=alert(1)> ${alert(2)} `"
READY = 'html[data-map-ready="1"]'
# The district table and the totals fill in after the map is ready.
FIGURES = 'html[data-figures-ready="1"]'
# The width of the whole document, wider than the screen when it scrolls.
PAGE_WIDTH = "document.documentElement.scrollWidth"
# The legend of the districts' colours (the bins' or markers' follows it).
DISTRICT_LEGEND = "[data-testid=legend] > div:first-child"
# How far the district table reaches past its box (> 0: it scrolls sideways).
TABLE_OVERFLOW = """
() => {
    const table = document.querySelector("[data-testid=district-table]");
    return table.scrollWidth - table.parentElement.clientWidth;
}
"""

# Centre the map on (lat, lon) at street zoom, where the marker stands alone.
SHOW_POINT = """
([lat, lon]) => window.staffMap.map.setView([lat, lon], 17, {animate: false})
"""
# Where the point is drawn in the map's frame, for a real mouse click.
POINT_IN_FRAME = """
([lat, lon]) => {
    const point = window.staffMap.map.latLngToContainerPoint([lat, lon]);
    return [point.x, point.y];
}
"""


@pytest.fixture
def map_data(make_staff):
    """A coordinator; a request in every district, one more with hostile text."""
    staff = make_staff("coordinator", body="HBB")
    for name in (
        "Altınözü",
        "Antakya",
        "Arsuz",
        "Belen",
        "Defne",
        "Dörtyol",
        "Erzin",
        "Hassa",
        "İskenderun",
        "Kırıkhan",
        "Kumlu",
        "Payas",
        "Reyhanlı",
        "Samandağ",
        "Yayladağı",
    ):
        request_at("COP", **point_inside(name))
    request_at("SU", **ANTAKYA, description=HOSTILE)
    request_at("COP")  # no location
    return staff


def _antakya_requests(page):
    return page.get_attribute(
        '[data-testid=district-table] tr[data-code="2080"] td[data-key=requests]',
        "data-value",
    )


@pytest.mark.browser
def test_staff_map_draws_filters_and_lists_with_no_internet(live_server, map_data):
    with offline_page(live_server) as offline:
        page = offline.page
        page.goto(f"{live_server.url}/map/")
        log_in(page, map_data)
        page.wait_for_selector(READY, state="attached")

        assert (
            page.locator(
                ".leaflet-overlay-pane path, .leaflet-overlay-pane canvas"
            ).count()
            >= 1
        )
        page.wait_for_selector(FIGURES, state="attached")
        assert page.get_attribute("[data-testid=district-table]", "aria-busy") is None
        assert (
            page.locator("[data-testid=district-table] tbody tr").count() == DISTRICTS
        )
        assert "İskenderun" in page.inner_text("[data-testid=district-table]")
        # At 1400 px the whole table fits its column beside the map.
        assert page.evaluate(TABLE_OVERFLOW) <= 0
        assert _antakya_requests(page) == "2"
        assert page.get_attribute("[data-total=total]", "data-value") == "17"
        assert page.get_attribute("[data-total=without_location]", "data-value") == "1"
        assert page.get_attribute("[data-testid=view-state]", "data-mode") == "markers"
        assert page.evaluate("performance.getEntriesByName('map-ready').length") == 1
        # Each class reads from its lowest district to its highest, with as
        # many digits as it takes to tell neighbouring classes apart.
        assert page.inner_text(DISTRICT_LEGEND).split("\n") == [
            "1.000 kişi başına başvuru",
            "0,0044 – 0,0070",
            "0,0077 – 0,0088",
            "0,0093 – 0,0150",
            "0,0180 – 0,0236",
            "0,0240 – 0,0668",
            "veri yok",
        ]
        # Each further layer has a colour of its own, shown in the switcher.
        colours = page.eval_on_selector_all(
            "[data-testid=layer-swatch]", "els => els.map(e => e.style.background)"
        )
        assert len(colours) >= 2 and len(set(colours)) == len(colours)
        offline.screenshot("map-desktop.png")

        page.evaluate(SHOW_POINT, [ANTAKYA["lat"], ANTAKYA["lon"]])
        page.wait_for_selector('[data-testid=view-state][data-zoom="17"]')
        x, y = page.evaluate(POINT_IN_FRAME, [ANTAKYA["lat"], ANTAKYA["lon"]])
        frame = page.locator("#staff-map").bounding_box()
        page.mouse.click(frame["x"] + x, frame["y"] + y)
        page.wait_for_selector("[data-testid=request-list] li[data-code]")
        listed = page.inner_text("[data-testid=request-list]")
        popup = page.inner_text(".leaflet-popup-content")
        offline.screenshot("map-list.png")

        page.select_option("#id_category", "SU")
        page.click("[data-testid=map-filters] button[type=submit]")
        page.wait_for_selector(FIGURES, state="attached")
        page.wait_for_function(
            "document.querySelector('[data-total=total]').dataset.value === '1'"
        )
        filtered = _antakya_requests(page)
        legend = page.inner_text(DISTRICT_LEGEND).split("\n")
        iskenderun = page.get_attribute(
            '[data-testid=district-table] tr[data-code="1413"] td[data-key=requests]',
            "data-value",
        )

    assert HOSTILE in listed
    assert "Su arızası veya kesintisi" in popup
    assert (filtered, iskenderun) == ("1", "0")
    # Fourteen districts with none, Antakya with one.
    assert legend == ["1.000 kişi başına başvuru", "0", "0,003", "veri yok"]
    assert offline.dialogs == [] and offline.errors == []
    assert offline.blocked == []


@pytest.mark.browser
def test_the_map_is_ready_while_the_district_figures_are_still_loading(
    live_server, map_data
):
    with offline_page(live_server) as offline:
        page = offline.page
        page.goto(f"{live_server.url}/map/")
        held = []
        # Registered last, so asked first: the figures' answer is held back.
        page.route("**/map/data/districts/**", lambda route: held.append(route))
        log_in(page, map_data)
        page.wait_for_selector(READY, state="attached")
        # The figures are asked for once the map is ready.
        for _ in range(200):
            if held:
                break
            page.wait_for_timeout(50)

        waiting = len(held)
        busy = page.get_attribute("[data-testid=district-table]", "aria-busy")
        shown = page.inner_text("[data-testid=district-table] tbody")
        loading = page.evaluate(
            "JSON.parse(document.getElementById('map-config').textContent).text.loading"
        )
        total_before = page.inner_text("[data-total=total]")
        held[0].continue_()
        page.wait_for_selector(FIGURES, state="attached")
        rows = page.locator("[data-testid=district-table] tbody tr").count()
        antakya = _antakya_requests(page)
        total = page.get_attribute("[data-total=total]", "data-value")

    assert waiting == 1
    assert (busy, shown.strip(), total_before) == ("true", loading, "…")
    assert (rows, antakya, total) == (DISTRICTS, "2", "17")
    assert offline.errors == [] and offline.blocked == []


# How many boxes each code in a table's cells is drawn in (2: broken).
CODE_BOXES = (
    "Array.from(document.querySelectorAll('td code'))"
    ".map((code) => code.getClientRects().length)"
)


@pytest.mark.browser
def test_staff_pages_fit_a_phone(live_server, map_data):
    code = ServiceRequest.objects.get(description=HOSTILE).tracking_code
    with offline_page(live_server, width=390, height=844) as offline:
        page = offline.page
        page.goto(f"{live_server.url}/map/")
        log_in(page, map_data)
        page.wait_for_selector(READY, state="attached")
        page.wait_for_selector(FIGURES, state="attached")

        box = page.locator("#staff-map").bounding_box()
        rows = page.locator("[data-testid=district-table] tbody tr").count()
        width = page.evaluate(PAGE_WIDTH)
        menu = page.locator("nav .navbar-nav").bounding_box()
        offline.screenshot("map-phone.png")
        # The coordinator's menu wraps within the screen on the other staff
        # pages too: nothing to scroll sideways.
        widths = {"/map/": width}
        broken = {}
        for path in ("/inbox/", f"/requests/{code}/", "/console/"):
            page.goto(f"{live_server.url}{path}")
            widths[path] = page.evaluate(PAGE_WIDTH)
            # A code in a table (K7M-4TXR) is one box: not broken at its dash.
            broken[path] = page.evaluate(CODE_BOXES)

    assert box["width"] <= 390 and box["height"] >= 300
    assert rows == DISTRICTS
    assert menu["x"] >= 0 and menu["x"] + menu["width"] <= 390
    assert widths == dict.fromkeys(widths, 390)
    assert broken["/inbox/"] and set(broken["/inbox/"]) == {1}, broken
    assert offline.errors == [] and offline.blocked == []
