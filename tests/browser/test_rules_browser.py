"""A coordinator's rule change in a real browser with no internet, end to end.

Make a draft from the active set, give water faults (``SU``) to HBB instead
of HATSU (first with a mistyped body, refused with the reason), test a
point picked by clicking the map, simulate the draft over the two water
requests of the pool (HATSU → HBB: 2) and make it live. Every request to
another host is aborted. Screenshots go to ``test-artifacts/rules-*.png``.
"""

import pytest
from django.utils import translation

from geopool.models import Event
from geopool.web.rules import views
from routing_rules.decide import decide
from routing_rules.models import RuleSet
from tests.browser.helpers import log_in, offline_page
from tests.web.helpers import ANTAKYA, request_at

WATER_RULE = "SU-KANAL-HATSU"

# The screen position of (lat, lon) on the point map, for a real click.
MAP_POINT = """
([lat, lon]) => {
    const frame = document.querySelector(".folium-map");
    const map = window[frame.id];
    const point = map.latLngToContainerPoint([lat, lon]);
    const box = frame.getBoundingClientRect();
    return [box.left + point.x, box.top + point.y];
}
"""


def _text(message, **values):
    with translation.override("tr"):
        return str(message % values)


@pytest.fixture
def rules_data(make_staff):
    coordinator = make_staff("coordinator", body="HBB")
    water = [request_at("SU", **ANTAKYA), request_at("SU", 36.1710, 36.5902)]
    return coordinator, water


@pytest.mark.browser
def test_coordinator_drafts_edits_simulates_and_activates(live_server, rules_data):
    coordinator, water = rules_data

    with offline_page(live_server) as browser:
        page = browser.page
        page.goto(f"{live_server.url}/rules/")
        log_in(page, coordinator)
        page.wait_for_selector("[data-testid=rule-sets]")
        browser.screenshot("rules-list.png")

        with page.expect_navigation():
            page.click("[data-testid=new-draft]")
        assert page.url == f"{live_server.url}/rules/3/"
        assert _text(views.DRAFT_CREATED, version=3, base=2) in page.inner_text(
            "[data-testid=messages]"
        )

        with page.expect_navigation():
            page.click(f'[data-rule="{WATER_RULE}"] [data-testid=edit-rule]')
        page.fill("input[name=owner]", "body:HATSUU")
        with page.expect_navigation():
            page.click("[data-testid=save-rule]")
        reason = f"kural {WATER_RULE}: bilinmeyen sahip kurum HATSUU"
        assert page.inner_text("[data-testid=form-error]") == _text(
            views.NOT_SAVED, reason=reason
        )
        assert page.input_value("input[name=owner]") == "body:HATSUU"
        browser.screenshot("rules-refused.png")
        page.fill("input[name=owner]", "body:HBB")
        with page.expect_navigation():
            page.click("[data-testid=save-rule]")
        assert _text(views.RULE_SAVED, code=WATER_RULE) in page.inner_text(
            "[data-testid=messages]"
        )
        assert "Hatay Büyükşehir Belediyesi" in page.inner_text(
            f'[data-rule="{WATER_RULE}"] [data-testid=owner]'
        )

        with page.expect_navigation():
            page.click("[data-testid=nav-test]")
        page.wait_for_selector('html[data-map-ready="1"]', state="attached")
        x, y = page.evaluate(MAP_POINT, [ANTAKYA["lat"], ANTAKYA["lon"]])
        page.mouse.click(x, y)
        page.wait_for_selector('html[data-point-chosen="1"]', state="attached")
        page.select_option("select[name=category]", "SU")
        with page.expect_navigation():
            page.click("[data-testid=route]")
        page.wait_for_selector("[data-testid=result]")
        assert page.get_attribute("[data-testid=owner]", "data-owner") == "HBB"
        assert f"kural {WATER_RULE}: Hatay Büyükşehir Belediyesi" in page.inner_text(
            "[data-testid=explanation-tr]"
        )
        browser.screenshot("rules-test-point.png")

        with page.expect_navigation():
            page.click("[data-testid=nav-simulate]")
        with page.expect_navigation():
            page.click("[data-testid=run-simulation]")
        matrix = page.locator("[data-testid=simulation-matrix]")
        assert matrix.locator("thead th[data-to]").all_inner_texts() == [
            "Hatay Büyükşehir Belediyesi (HBB)"
        ]
        row = matrix.locator('tbody tr[data-from="HATSU"]')
        assert row.locator("td").all_inner_texts() == ["2", "2"]
        examples = page.inner_text("[data-testid=simulation-examples]")
        assert all(r.tracking_code in examples for r in water)
        browser.screenshot("rules-simulation.png")

        with page.expect_navigation():
            page.click("[data-testid=activate-link]")
        assert WATER_RULE in page.inner_text("[data-testid=changes]")
        with page.expect_navigation():
            page.click("[data-testid=confirm-activate]")
        assert _text(views.ACTIVATED, version=3) in page.inner_text(
            "[data-testid=messages]"
        )
        assert page.inner_text("h1 [data-testid=state]") == "etkin"
        browser.screenshot("rules-activated.png")

    # The ORM only out here: Playwright's sync API runs an event loop.
    assert browser.dialogs == [] and browser.errors == []
    assert browser.blocked == []
    assert RuleSet.objects.get(is_active=True).version == 3
    assert decide((ANTAKYA["lon"], ANTAKYA["lat"]), "SU").owner_body.code == "HBB"
    event = Event.objects.get(action="rule_set.activate", actor=coordinator)
    assert event.after == {"active_version": 3}
