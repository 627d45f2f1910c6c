"""A planner's upload in a real browser with no internet, end to end.

Upload a small GeoJSON for the districts layer, map its fields, dry-run it,
save the draft, see it drawn beside the active districts, activate it and
roll back. Every request to another host is aborted. Screenshots go to
``test-artifacts/planning-*.png`` for a person to look at.
"""

import pytest
from django.utils import translation

from boundaries.models import Generation
from geopool.web.planning.views.actions import ACTIVATED_FORCED, ROLLED_BACK
from geopool.web.planning.views.check import DRAFT_SAVED
from tests.browser.helpers import log_in, offline_page
from tests.web.helpers import request_at
from tests.web.planning.files import DISTRICT_FIELDS, EAST, IN_WEST, WEST, geojson_file

# WEST, in Yayladağı today, given to Samandağ (code 1591): the request in it
# would move.
WEST_TO_SAMANDAG = ("Samandağ", "1591", WEST[2])


def _text(message, **values):
    with translation.override("tr"):
        return str(message % values)


@pytest.fixture
def planning_data(make_staff):
    planner = make_staff("planner", body="HBB")
    request_at("COP", **IN_WEST)
    return planner


@pytest.mark.browser
def test_planner_uploads_checks_activates_and_rolls_back(
    live_server, planning_data, tmp_path
):
    path = geojson_file(
        tmp_path,
        WEST_TO_SAMANDAG,
        EAST,
        name="ilceler-duzeltme.geojson",
        extra=DISTRICT_FIELDS,
    )

    with offline_page(live_server) as browser:
        page = browser.page
        page.goto(f"{live_server.url}/planning/layers/")
        log_in(page, planning_data)
        page.wait_for_selector('[data-layer="districts"]')
        page.click("text=Dosya yükle")

        page.set_input_files("input[name=file]", str(path))
        page.select_option("select[name=layer]", "districts")
        browser.screenshot("planning-upload.png")
        page.click("[data-testid=upload]")
        page.wait_for_selector("[data-testid=mapping-form]")
        assert "AD, KOD, ILCE" in page.inner_text("[data-testid=file-fields]")
        page.select_option("select[name=name]", "AD")
        page.select_option("select[name=code]", "KOD")
        for attribute in DISTRICT_FIELDS:
            page.select_option(f"select[name=attribute__{attribute}]", attribute)
        browser.screenshot("planning-mapping.png")
        page.click("[data-testid=dry-run]")

        page.wait_for_selector("[data-testid=save-draft]")
        assert "2 öğe kaydedilecek" in page.inner_text("[data-testid=summary]")
        assert "Samandağ Belediyesi" in page.inner_text("[data-testid=moves]")
        browser.screenshot("planning-dry-run.png")
        page.click("[data-testid=save-draft]")

        page.wait_for_selector('html[data-map-ready="1"]', state="attached")
        preview_url = page.url
        assert _text(DRAFT_SAVED, number=2, layer="districts") in page.inner_text(
            "[data-testid=messages]"
        )
        # 15 active districts and the 2 squares of the draft.
        assert page.locator(".leaflet-overlay-pane path").count() == 17
        assert page.locator(".leaflet-control-layers-overlays label").count() == 2
        browser.screenshot("planning-preview.png")

        # The 2 squares drop 13 active districts: an error the planner must
        # accept explicitly before the button works.
        assert page.is_disabled("[data-testid=activate]")
        assert page.locator("[data-testid=activate-blocked]").count() == 1
        page.check("input[name=force]")
        with page.expect_navigation():
            page.click("[data-testid=activate]")
        assert _text(ACTIVATED_FORCED, number=2, layer="districts") in page.inner_text(
            "[data-testid=messages]"
        )
        assert page.inner_text("[data-testid=state]") == "Etkin"

        with page.expect_navigation():
            page.click("[data-testid=rollback]")
        assert _text(ROLLED_BACK, number=1, layer="districts") in page.inner_text(
            "[data-testid=messages]"
        )
        assert page.inner_text("[data-testid=state]") == "Önceki"
        browser.screenshot("planning-rolled-back.png")

        page.goto(f"{live_server.url}/planning/layers/")
        browser.screenshot("planning-layers.png")
        districts = page.locator('[data-layer="districts"]')
        assert (
            districts.locator('[data-generation="1"][data-state="active"]').count() == 1
        )
        assert (
            districts.locator('[data-generation="2"][data-state="previous"]').count()
            == 1
        )

    # The ORM only out here: Playwright's sync API runs an event loop.
    assert browser.dialogs == [] and browser.errors == []
    assert browser.blocked == []
    draft = Generation.objects.get(layer__code="districts", number=2)
    assert preview_url == f"{live_server.url}/planning/generations/{draft.pk}/"
    assert draft.state == "previous" and draft.feature_count == 2
    assert Generation.objects.get(layer__code="districts", is_active=True).number == 1
