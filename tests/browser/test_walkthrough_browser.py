"""A request's whole life in a real browser with no internet.

An operator of the call centre enters a phone call on ``/console/``; the
rules give it to Antakya Belediyesi. Antakya's staff propose a transfer to
Defne Belediyesi, whose staff refuse it, so it goes to the pool
coordinator, who gives it back to Antakya and assigns Antakya's cleaning
crew. A member of that crew starts the work and resolves it with an answer
on the request's page, and the citizen reads the answer, the status and
the owner on the public tracking page ``/t/<code>``, with no personal data
on it. Every step reads what the page shows (owner names and statuses in
Turkish). Screenshots go to ``test-artifacts/walkthrough-*.png``.
"""

import pytest

from geopool.models import Body, Crew, ServiceRequest, Status, TransferState
from tests.browser.helpers import CONSOLE_SCREEN_POINT, log_in, offline_page
from tests.web.helpers import ANTAKYA

ZOOM_TO = "([lat, lon]) => window.geopoolConsoleMap.setView([lat, lon], 18)"
ANSWER = "Konteyner boşaltıldı ve çevresi yıkandı. İlginiz için teşekkür ederiz."


def _as(browser, live_server, user, path):
    """Open ``path`` as ``user`` (log out whoever was logged in first)."""
    page = browser.page
    page.context.clear_cookies()
    page.goto(f"{live_server.url}{path}")
    log_in(page, user)
    page.wait_for_selector("[data-testid=tracking-code]")
    return page


def _message(page):
    return page.inner_text("[data-testid=message]").strip()


def _facts(page):
    return {
        "status": page.inner_text("[data-testid=status]").strip(),
        "owner": page.inner_text("[data-testid=facts] [data-testid=owner]").strip(),
    }


@pytest.mark.browser
def test_call_refused_transfer_coordinator_crew_resolves_citizen_reads(
    live_server, make_staff
):
    operator = make_staff("operator", body="HBB")
    antakya = make_staff("body_staff", body="ANTAKYA")
    defne = make_staff("body_staff", body="DEFNE")
    coordinator = make_staff("coordinator", body="HBB")
    worker = make_staff("field_crew", body="ANTAKYA")
    crew = Crew.objects.create(
        body=Body.objects.get(code="ANTAKYA"), name="Antakya Temizlik Ekibi 1"
    )
    crew.members.add(worker)

    with offline_page(live_server) as browser:
        page = browser.page

        # 1. The operator takes the call.
        page.goto(f"{live_server.url}/console/")
        log_in(page, operator)
        page.wait_for_selector("html[data-console-ready='1']")
        page.wait_for_selector("html[data-districts-ready='1']")
        page.fill("[data-testid=category-search]", "çöp")
        page.press("[data-testid=category-search]", "Enter")
        where = [ANTAKYA["lat"], ANTAKYA["lon"]]
        page.evaluate(ZOOM_TO, where)
        x, y = page.evaluate(CONSOLE_SCREEN_POINT, where)
        page.mouse.click(x, y)
        page.wait_for_selector("html[data-preview-ready]")
        assert page.inner_text("#preview [data-testid=owner]") == "Antakya Belediyesi"
        page.fill("textarea[name=description]", "Konteyner taştı, çöpler yolda")
        page.fill("input[name=first_name]", "Ayşe")
        page.fill("input[name=last_name]", "Yıldırım")
        page.fill("input[name=phone]", "0532 123 45 17")
        with page.expect_navigation():
            page.click("[data-testid=save]")
        code = page.inner_text("[data-testid=tracking-code]").strip()
        assert page.inner_text("[data-testid=owner]") == "Antakya Belediyesi"
        browser.screenshot("walkthrough-1-console.png")
        path = f"/requests/{code}/"

        # 2. Antakya's staff propose a transfer to Defne.
        page = _as(browser, live_server, antakya, path)
        assert _facts(page) == {"status": "Yeni", "owner": "Antakya Belediyesi"}
        page.select_option(
            "[data-testid=transfer-form] select[name=to_body]", label="Defne Belediyesi"
        )
        page.select_option(
            "[data-testid=transfer-form] select[name=reason]", "wrong_location"
        )
        page.fill(
            "[data-testid=transfer-form] textarea[name=note]", "Nokta Defne sınırında"
        )
        with page.expect_navigation():
            page.click("[data-testid=transfer-form] button[type=submit]")
        assert _message(page) == (
            "Defne Belediyesi kurumuna devir önerildi; yanıtlanana kadar SLA "
            "süresi durduruldu."
        )
        transfer = page.locator("[data-testid=transfer]").first
        assert transfer.get_attribute("data-state") == TransferState.PENDING
        assert transfer.locator("[data-testid=transfer-state]").inner_text() == (
            "Yanıt bekliyor"
        )
        browser.screenshot("walkthrough-2-proposed.png")

        # 3. Defne's staff refuse it: the coordinator decides.
        page = _as(browser, live_server, defne, path)
        form = page.locator("[data-testid=transfer-answer-form]")
        form.locator("textarea[name=note]").fill("Konum Antakya sınırları içinde")
        with page.expect_navigation():
            form.locator("button[value=refuse]").click()
        transfer = page.locator("[data-testid=transfer]").first
        assert transfer.get_attribute("data-state") == TransferState.REFUSED
        assert transfer.locator("[data-testid=transfer-state]").inner_text() == (
            "Reddedildi; koordinatör karar verecek"
        )
        assert _facts(page)["owner"] == "Antakya Belediyesi"
        browser.screenshot("walkthrough-3-refused.png")

        # 4. The coordinator gives it to Antakya and assigns the crew.
        page = _as(browser, live_server, coordinator, path)
        page.select_option(
            "[data-testid=coordinator-form] select[name=body]",
            label="Antakya Belediyesi",
        )
        page.fill(
            "[data-testid=coordinator-form] textarea[name=note]",
            "Nokta Antakya sınırı içinde",
        )
        with page.expect_navigation():
            page.click("[data-testid=coordinator-form] button[type=submit]")
        assert _message(page) == "Başvuru artık Antakya Belediyesi kurumunda."
        assert _facts(page) == {"status": "Yeni", "owner": "Antakya Belediyesi"}
        # The refusal stays on the record as Defne gave it.
        transfer = page.locator("[data-testid=transfer]").first
        assert transfer.get_attribute("data-state") == TransferState.REFUSED
        assert (
            transfer.locator("[data-testid=transfer-settled]")
            .inner_text()
            .startswith(
                "Havuz koordinatörü Antakya Belediyesi kurumuna verdi (coordinator-hbb"
            )
        )
        page.select_option(
            "[data-testid=assign-form] select[name=crew]",
            label="Antakya Temizlik Ekibi 1",
        )
        with page.expect_navigation():
            page.click("[data-testid=assign-form] button[type=submit]")
        assert _message(page) == "Atandı: Antakya Temizlik Ekibi 1."
        assert page.inner_text("[data-testid=crew]").strip() == (
            "Antakya Temizlik Ekibi 1"
        )
        assert _facts(page)["status"] == "Atandı"
        browser.screenshot("walkthrough-4-coordinator.png")

        # 5. The crew starts the work and resolves it with an answer.
        page = _as(browser, live_server, worker, path)
        page.select_option("[data-testid=status-form] select[name=to]", "in_progress")
        with page.expect_navigation():
            page.click("[data-testid=status-form] button[type=submit]")
        assert _message(page) == "Durum artık “İşlemde”."
        assert _facts(page) == {"status": "İşlemde", "owner": "Antakya Belediyesi"}
        page.select_option("[data-testid=status-form] select[name=to]", "resolved")
        page.fill("[data-testid=status-form] textarea[name=answer]", ANSWER)
        with page.expect_navigation():
            page.click("[data-testid=status-form] button[type=submit]")
        assert _message(page) == "Durum artık “Çözüldü”."
        assert _facts(page) == {"status": "Çözüldü", "owner": "Antakya Belediyesi"}
        browser.screenshot("walkthrough-5-resolved.png")

        # 6. The citizen, logged in as nobody, reads the tracking page.
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/t/{code}")
        page.wait_for_selector("[data-testid=summary]")
        assert page.inner_text("[data-testid=status]").strip() == "Çözüldü"
        assert page.inner_text("[data-testid=owner]").strip() == "Antakya Belediyesi"
        assert page.inner_text("[data-testid=answer]").strip().endswith(ANSWER)
        # Defne refused and the coordinator kept it with Antakya: it never
        # moved, so the citizen is shown no move between bodies.
        assert page.locator("[data-testid=move]").count() == 0
        text = page.inner_text("body")
        for personal in ("Ayşe", "Yıldırım", "0532", "45 17"):
            assert personal not in text
        browser.screenshot("walkthrough-6-tracking.png")

        assert browser.blocked == []
        assert browser.errors == []

    item = ServiceRequest.objects.get(tracking_code=code)
    assert item.status == Status.RESOLVED
    assert item.owner_body.code == "ANTAKYA"
    assert item.assigned_crew == crew
    assert item.answered_at is not None
