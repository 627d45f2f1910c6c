"""A citizen files a request on the public form and tracks it, with no internet.

No log-in: the form's map draws the districts from geopool's own layer API,
a click on the map fills the coordinates, the request is routed to the
district municipality and the citizen gets a tracking code and link; the
tracking page shows the status and owner and none of the contact data.
Every request to another host is aborted. Screenshots go to
``test-artifacts/public-*.png``.
"""

import pytest

from geopool.models import Contact, ServiceRequest
from tests.browser.helpers import offline_page
from tests.web.helpers import ANTAKYA

PHONE = "0532 987 65 43"
DESCRIPTION = "Konteyner taşmış, kapı numaram 12"

# The screen position of (lat, lon) on the pin map, for a real click.
MAP_POINT = """
([lat, lon]) => {
    const map = window.geopoolPinMap;
    const point = map.latLngToContainerPoint([lat, lon]);
    const box = document.getElementById("pin-map").getBoundingClientRect();
    return [box.left + point.x, box.top + point.y];
}
"""


@pytest.mark.browser
def test_citizen_files_a_request_with_a_map_click_and_tracks_it(live_server, hatay):
    with offline_page(live_server) as browser:
        page = browser.page
        page.goto(f"{live_server.url}/basvuru/")
        page.wait_for_selector('#pin-map[data-ready="1"]', state="attached")
        page.wait_for_selector('#pin-map[data-districts-ready="1"]', state="attached")
        assert page.locator("#pin-map .leaflet-overlay-pane path").count() >= 15

        page.select_option("select[name=category]", "COP")
        assert page.inner_text("#kvkk-retention-chosen") == "730 gün"
        # Zoom in on the point first, so that a click lands within metres.
        page.evaluate(
            "([lat, lon]) => window.geopoolPinMap.setView([lat, lon], 16, "
            "{animate: false})",
            [ANTAKYA["lat"], ANTAKYA["lon"]],
        )
        x, y = page.evaluate(MAP_POINT, [ANTAKYA["lat"], ANTAKYA["lon"]])
        page.mouse.click(x, y)
        lat = float(page.input_value("input[name=lat]"))
        lon = float(page.input_value("input[name=lon]"))
        assert abs(lat - ANTAKYA["lat"]) < 1e-4 and abs(lon - ANTAKYA["lon"]) < 1e-4
        page.fill("textarea[name=description]", DESCRIPTION)
        page.fill("input[name=first_name]", "Zeliha")
        page.fill("input[name=phone]", PHONE)
        browser.screenshot("public-form.png")

        # Contact without the KVKK tick is refused, with the input kept.
        with page.expect_navigation():
            page.click("[data-testid=submit]")
        assert "aydınlatma metnini okuduğunuzu işaretleyin" in page.inner_text(
            "[data-for=kvkk_read]"
        )
        assert page.input_value("input[name=phone]") == PHONE

        page.check("input[name=kvkk_read]")
        with page.expect_navigation():
            page.click("[data-testid=submit]")
        code = page.inner_text("[data-testid=tracking-code]").strip()
        assert page.inner_text("[data-testid=owner]") == "Antakya Belediyesi"
        browser.screenshot("public-received.png")

        with page.expect_navigation():
            page.click("[data-testid=tracking-link]")
        assert page.url == f"{live_server.url}/t/{code}"
        assert page.inner_text("[data-testid=status]") == "Yeni"
        assert page.inner_text("[data-testid=owner]") == "Antakya Belediyesi"
        body = page.inner_text("body")
        for secret in (PHONE, "05329876543", "Zeliha", DESCRIPTION):
            assert secret not in body
        browser.screenshot("public-tracking.png")

        # Typing the code in small letters without the dash finds it too.
        page.goto(f"{live_server.url}/t/")
        page.fill("input[name=kod]", code.replace("-", "").lower())
        with page.expect_navigation():
            page.click("[data-testid=lookup-form] button")
        assert page.url == f"{live_server.url}/t/{code}"

        assert browser.blocked == []
        assert browser.errors == []

    # The database is read after the browser is gone: Playwright's event loop
    # and Django's ORM do not share a thread.
    request = ServiceRequest.objects.get()
    assert request.tracking_code == code
    assert request.channel == "web"
    assert request.owner_body.name == "Antakya Belediyesi"
    assert Contact.objects.get(request=request).phone == "05329876543"
