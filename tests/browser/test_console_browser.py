"""An operator takes a call in a real browser with no internet, end to end.

Log in, find the category with the search box, zoom to central Antakya and
click the map: the page shows who will own the request and why, and the open
request of the same category 20 m away; then type the caller's details,
save, and read the tracking code. Every request to another host is aborted.
Screenshots go to ``test-artifacts/console-*.png``.
"""

import re

import pytest

from geopool.contact_checks import PHONE_CHARACTERS, PHONE_LENGTH, TC_CHECKSUM
from geopool.models import Contact, ServiceRequest
from tests.browser.helpers import CONSOLE_SCREEN_POINT, log_in, offline_page
from tests.web.console.helpers import point_from, tr
from tests.web.helpers import ANTAKYA, request_at

ZOOM_TO = "([lat, lon]) => window.geopoolConsoleMap.setView([lat, lon], 18)"


@pytest.mark.browser
def test_operator_clicks_the_map_sees_the_decision_saves_and_reads_the_code(
    live_server, make_staff
):
    operator = make_staff("operator", body="HBB")
    waiting = request_at("COP", **point_from(ANTAKYA, 20))

    with offline_page(live_server) as browser:
        page = browser.page
        page.goto(f"{live_server.url}/console/")
        log_in(page, operator)
        page.wait_for_selector("html[data-console-ready='1']")
        page.wait_for_selector("html[data-districts-ready='1']")

        page.fill("[data-testid=category-search]", "çöp")
        page.press("[data-testid=category-search]", "Enter")
        assert page.input_value("select[name=category]") == "COP"

        where = [ANTAKYA["lat"], ANTAKYA["lon"]]
        page.evaluate(ZOOM_TO, where)
        x, y = page.evaluate(CONSOLE_SCREEN_POINT, where)
        page.mouse.click(x, y)
        page.wait_for_selector("html[data-preview-ready]")
        browser.screenshot("console-preview.png")

        assert float(page.input_value("input[name=lat]")) == pytest.approx(
            ANTAKYA["lat"], abs=1e-4
        )
        assert float(page.input_value("input[name=lon]")) == pytest.approx(
            ANTAKYA["lon"], abs=1e-4
        )
        assert page.inner_text("#preview [data-testid=owner]") == "Antakya Belediyesi"
        assert page.inner_text("#preview [data-testid=explanation]") == (
            "Çöp toplama ve konteyner, Antakya ilçe sınırı içinde, kural "
            "ILCE-HIZMETLERI: Antakya Belediyesi"
        )
        row = page.locator(f'#preview tr[data-code="{waiting.tracking_code}"]')
        assert re.fullmatch(r"(19|20|21) m", row.locator("td").nth(2).inner_text())
        assert row.locator("[data-testid=attach]").is_visible()

        # An emergency category: the line to call, once, in the page's
        # language.
        page.select_option("select[name=category]", "GAZ")
        page.wait_for_selector("#preview [data-testid=emergency]")
        assert page.inner_text("#preview [data-testid=emergency]").split("\n") == [
            "ACİL DURUM: arayan hemen 187 numaralı hattı aramalı",
        ]
        page.select_option("select[name=category]", "COP")
        page.wait_for_selector(f'#preview tr[data-code="{waiting.tracking_code}"]')

        page.fill("textarea[name=description]", "Konteyner taştı")
        page.fill("input[name=first_name]", "Ayşe")
        page.fill("input[name=phone]", "0532 123 45 17")
        with page.expect_navigation():
            page.click("[data-testid=save]")
        browser.screenshot("console-saved.png")

        code = page.inner_text("[data-testid=tracking-code]").strip()
        assert page.inner_text("[data-testid=owner]") == "Antakya Belediyesi"
        assert browser.blocked == []
        assert browser.errors == []

    item = ServiceRequest.objects.get(tracking_code=code)
    assert item != waiting
    assert item.created_by == operator
    assert item.owner_body.code == "ANTAKYA"
    assert Contact.objects.get(request=item).phone == "05321234517"


@pytest.mark.browser
def test_search_left_with_one_category_selects_it_and_contact_is_checked_as_typed(
    live_server, make_staff
):
    operator = make_staff("operator", body="HBB")

    with offline_page(live_server) as browser:
        page = browser.page
        page.goto(f"{live_server.url}/console/")
        log_in(page, operator)
        page.wait_for_selector("html[data-console-ready='1']")

        # Only one category is left visible: it is selected.
        page.fill("[data-testid=category-search]", "doğalgaz")
        assert page.input_value("select[name=category]") == "GAZ"

        phone = page.locator("input[name=phone]")
        errors = page.locator("#contact-fields [data-testid=field-error]")
        # Still typing: a short number is not yet an error.
        phone.press_sequentially("0532 123")
        assert errors.count() == 0
        # A wrong character is, at once, in the server's words.
        phone.press_sequentially("x")
        assert errors.all_inner_texts() == [tr(PHONE_CHARACTERS)]
        phone.press("Backspace")
        assert errors.count() == 0
        # Leaving the field judges the length.
        page.locator("input[name=tc_kimlik_no]").focus()
        assert errors.all_inner_texts() == [tr(PHONE_LENGTH, count=7)]
        phone.press("End")
        phone.press_sequentially(" 45 17")
        assert errors.count() == 0

        tc = page.locator("input[name=tc_kimlik_no]")
        tc.press_sequentially("10000000147")
        assert errors.all_inner_texts() == [tr(TC_CHECKSUM)]
        assert tc.get_attribute("aria-invalid") == "true"
        tc.press("Backspace")
        tc.press_sequentially("6")
        assert errors.count() == 0

        # An anonymous call checks nothing.
        tc.fill("1")
        tc.blur()
        assert errors.count() == 1
        page.check("input[name=is_anonymous]")
        assert errors.count() == 0
        assert browser.blocked == []
        assert browser.errors == []
