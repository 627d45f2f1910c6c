"""The console's address search in a real browser with no internet.

The operator types what the caller says; the page lists the places the
gazetteer reads in it and draws them on the map. A sure neighbourhood
(one with its polygon) moves the map there, marked approximate: its point
is not the place, so the operator clicks it and the routing preview
follows; a name found in several districts is listed with its
alternatives, each only approximate.
"""

import pytest

from tests.browser.helpers import CONSOLE_SCREEN_POINT, log_in, offline_page

MARKERS = """
() => {
    let count = 0;
    window.geopoolConsoleMap.eachLayer((layer) => {
        if (layer instanceof L.CircleMarker) { count += 1; }
    });
    return count;
}
"""


@pytest.mark.browser
def test_operator_types_an_address_and_pins_the_place_it_shows(live_server, make_staff):
    operator = make_staff("operator", body="HBB")
    with offline_page(live_server) as browser:
        page = browser.page
        page.goto(f"{live_server.url}/console/")
        log_in(page, operator)
        page.wait_for_selector("html[data-console-ready='1']")
        page.select_option("select[name=category]", "COP")

        page.fill("[name=address_string]", "HATAY, ANTAKYA, AKHISAR MAH.")
        page.wait_for_selector("html[data-address-ready]")
        first = page.locator("[data-testid=address-suggestion]").first
        assert first.locator(".fw-semibold").inner_text() == "Antakya / Akhisar"
        assert first.inner_text().startswith("Antakya / Akhisar (güven 1,00)")
        assert "Yaklaşık" in first.inner_text()
        assert page.locator("[data-testid=address-use]").count() == 0
        assert page.evaluate(MARKERS) == 1
        center = page.evaluate(
            "() => { const c = window.geopoolConsoleMap.getCenter();"
            " return [c.lat, c.lng]; }"
        )
        assert center == pytest.approx([36.309213, 36.188217], abs=1e-5)
        browser.screenshot("console-address.png")

        # The operator clicks the place the caller describes, near the middle.
        where = [36.3095, 36.1885]
        x, y = page.evaluate(CONSOLE_SCREEN_POINT, where)
        page.mouse.click(x, y)
        page.wait_for_selector("html[data-preview-ready]")
        assert float(page.input_value("input[name=lat]")) == pytest.approx(
            where[0], abs=1e-4
        )
        assert float(page.input_value("input[name=lon]")) == pytest.approx(
            where[1], abs=1e-4
        )
        assert page.inner_text("#preview [data-testid=owner]") == "Antakya Belediyesi"

        page.fill("[name=address_string]", "Gazi Mah.")
        page.wait_for_function(
            "() => document.querySelectorAll('[data-testid=address-suggestion]')"
            ".length === 2"
        )
        items = page.locator("[data-testid=address-suggestion]")
        texts = [items.nth(i).inner_text() for i in range(items.count())]
        assert all("Yaklaşık" in t for t in texts)
        assert page.locator("[data-testid=address-use]").count() == 0
        names = sorted(
            items.nth(i).locator(".fw-semibold").inner_text()
            for i in range(items.count())
        )
        assert names == ["Antakya / Gazi", "Kırıkhan / Gazi"]

        page.fill("[name=address_string]", "Okul bölgesi")
        page.wait_for_selector("[data-testid=address-none]")
        assert browser.blocked == []
