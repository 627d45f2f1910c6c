"""A field crew on a phone, in a real browser with no internet, losing coverage.

Chromium (Debian's, through Playwright) on a phone-sized viewport with the
position granted: the page lists the crew's open tickets nearest first with
their distances in metres, the citizen's text as text; the crew takes one.
Then the phone loses coverage: the list stays readable with the time it was
loaded, a "start work" is queued, and when coverage returns it is sent; an
action on a ticket the office changed meanwhile comes back as a conflict,
shown with the reason. Screenshots go to ``test-artifacts/crew-*.png``.
"""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from geopool.models import Body, Crew, ServiceRequest, Status
from geopool.services.workflow import status_change
from tests.browser.helpers import log_in, offline_page
from tests.web.console.helpers import point_from
from tests.web.helpers import ANTAKYA, request_at

PHONE = {"width": 390, "height": 844}
HOSTILE = '<img src=x onerror="alert(1)"> <b>Çöp</b> taştı'


def _db(work, *args):
    """Run ``work`` in a thread: Playwright's sync API keeps an event loop in
    this one, where Django refuses database calls."""

    def run():
        try:
            return work(*args)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def _state(item):
    fresh = ServiceRequest.objects.select_related("assigned_crew").get(pk=item.pk)
    return fresh.status, fresh.assigned_crew.name if fresh.assigned_crew else None


def _office_accepts(item, actor):
    status_change(ServiceRequest.objects.get(pk=item.pk), Status.ACCEPTED, actor=actor)


def _tickets(page):
    return page.eval_on_selector_all(
        "[data-testid=ticket]",
        """items => items.map(item => [
            item.dataset.code,
            item.querySelector("[data-testid=distance]").textContent,
            Number(item.dataset.distance),
        ])""",
    )


def _ready_after(page, count):
    page.wait_for_function(
        "n => Number(document.documentElement.dataset.ticketsReady || 0) > n",
        arg=count,
    )


def _ready(page):
    return page.evaluate("Number(document.documentElement.dataset.ticketsReady || 0)")


def _button(page, code, action):
    return page.locator(
        f'[data-testid=ticket][data-code="{code}"] [data-action={action}]'
    )


@pytest.fixture
def crew_world(make_staff):
    member = make_staff("field_crew", body="ANTAKYA", username="kuzey")
    crew = Crew.objects.create(
        body=Body.objects.get(code="ANTAKYA"), name="Kuzey ekibi"
    )
    crew.members.add(member)
    tickets = {
        "near": request_at("COP", **point_from(ANTAKYA, 60, 90), description=HOSTILE),
        "middle": request_at("TEMIZLIK", **point_from(ANTAKYA, 250, 0)),
        "far": request_at("COP", **point_from(ANTAKYA, 900, 200)),
        # Never listed: another body's ticket, nearer than all.
        "water": request_at("SU", **point_from(ANTAKYA, 30, 0)),
    }
    return member, tickets


@pytest.mark.browser
def test_crew_lists_nearest_first_works_offline_and_sees_conflicts(
    live_server, crew_world
):
    member, tickets = crew_world
    near, middle, far = tickets["near"], tickets["middle"], tickets["far"]
    with offline_page(live_server, **PHONE) as browser:
        page = browser.page
        context = page.context
        context.grant_permissions(["geolocation"], origin=live_server.url)
        context.set_geolocation(
            {"latitude": ANTAKYA["lat"], "longitude": ANTAKYA["lon"], "accuracy": 8}
        )
        page.goto(f"{live_server.url}/crew/")
        log_in(page, member)
        page.wait_for_selector("html[data-crew-ready='1']", state="attached")
        page.wait_for_selector("[data-testid=ticket]")
        page.wait_for_selector("html[data-offline-ready='1']", state="attached")

        assert _tickets(page) == [
            [near.tracking_code, "60 m", 60.0],
            [middle.tracking_code, "250 m", 250.0],
            [far.tracking_code, "900 m", 900.0],
        ]
        assert page.inner_text("[data-testid=position-status]") == (
            "Konum telefondan (±8 m)"
        )
        description = page.locator(
            f'[data-code="{near.tracking_code}"] [data-testid=description]'
        )
        assert description.inner_text() == HOSTILE
        assert page.locator("[data-testid=ticket] img").count() == 0
        geo = page.get_attribute(
            f'[data-code="{near.tracking_code}"] [data-testid=directions-geo]', "href"
        )
        assert re.fullmatch(
            rf"geo:36\.\d{{6}},36\.\d{{6}}\?q=36\.\d{{6}},36\.\d{{6}}"
            rf"\({near.tracking_code}\)",
            geo,
        )
        ticket = page.locator(f'[data-code="{near.tracking_code}"]')
        assert ticket.locator("[data-testid=directions-geo]").inner_text() == (
            "Haritada aç"
        )
        # On a phone the menu is one row: the list starts near the top.
        nav_height = page.evaluate(
            "document.querySelector('nav.navbar').getBoundingClientRect().height"
        )
        assert nav_height < 110, nav_height
        assert page.locator("nav.navbar .nav-link", has_text="Saha ekibi").is_visible()
        assert ticket.locator("[data-testid=directions-maps]").inner_text() == (
            "Yol tarifi ↗"
        )
        assert page.locator("#crew-map .leaflet-interactive").count() == 4
        browser.screenshot("crew-list.png")

        # Take the nearest ticket.
        before = _ready(page)
        _button(page, near.tracking_code, "take").click()
        _ready_after(page, before)
        page.wait_for_selector(
            f'[data-code="{near.tracking_code}"] [data-action=start]'
        )
        assert _db(_state, near) == (Status.ASSIGNED, "Kuzey ekibi")
        # The list is fetched again after an action; let that finish.
        page.wait_for_load_state("networkidle")

        # Coverage lost: queue "start work" on it and "take" on the next one.
        browser.set_coverage(False)
        page.wait_for_function("!navigator.onLine")
        _button(page, near.tracking_code, "start").click()
        _button(page, middle.tracking_code, "take").click()
        page.wait_for_function(
            "document.querySelector('[data-testid=queue-state]').textContent"
            " === 'Gönderilmeyi bekleyen 2 değişiklik'"
        )
        before = _ready(page)
        page.select_option("#radius", "10000")
        page.wait_for_selector("[data-testid=offline-banner]:not([hidden])")
        assert page.inner_text("[data-testid=offline-banner]").startswith(
            "Bağlantı yok: aşağıdaki liste"
        )
        assert [row[0] for row in _tickets(page)] == [
            near.tracking_code,
            middle.tracking_code,
            far.tracking_code,
        ]
        browser.screenshot("crew-offline.png")

        # Opening the page again in the dead zone: the service worker serves
        # it, the last list is read from the phone, the queue is still there.
        page.reload()
        page.wait_for_selector("html[data-crew-ready='1']", state="attached")
        page.wait_for_selector("[data-testid=offline-banner]:not([hidden])")
        assert [row[0] for row in _tickets(page)] == [
            near.tracking_code,
            middle.tracking_code,
            far.tracking_code,
        ]
        assert page.inner_text("[data-testid=queue-state]") == (
            "Gönderilmeyi bekleyen 2 değişiklik"
        )
        assert _db(_state, near) == (Status.ASSIGNED, "Kuzey ekibi")

        # Meanwhile the office accepts the middle ticket.
        _db(_office_accepts, middle, member)

        # Coverage returns: the queue is sent in order.
        browser.set_coverage(True)
        page.wait_for_selector("[data-testid=queue-state][hidden]", state="attached")
        page.wait_for_selector("[data-testid=conflict]")
        assert _db(_state, near) == (Status.IN_PROGRESS, "Kuzey ekibi")
        assert _db(_state, middle) == (Status.ACCEPTED, None)
        conflict = page.inner_text("[data-testid=conflict]")
        assert f"{middle.tracking_code} siz okuduktan sonra değişti" in conflict
        assert "Kabul edildi" in conflict
        browser.screenshot("crew-conflict.png")

        # A refused action keeps the photo taken with it, to be saved and
        # sent again (here one stored as a resolve with a photo would be).
        key = f"geopool.crew.{member.get_username()}.conflicts"
        page.evaluate(
            """([key, code]) => {
                const conflicts = JSON.parse(localStorage.getItem(key));
                conflicts.push({id: "p1", code: code, action: "resolve",
                    message: "Değişti", status: 409, answer: "Boşaltıldı",
                    note: "", at: "2026-12-03T10:00:00Z",
                    photo: {name: "konteyner.jpg",
                            data: "data:image/jpeg;base64,/9j/2wBD"}});
                localStorage.setItem(key, JSON.stringify(conflicts));
            }""",
            [key, near.tracking_code],
        )
        page.reload()
        page.wait_for_selector("[data-testid=conflict-photo]")
        link = page.locator("[data-testid=conflict-photo]")
        assert link.get_attribute("download") == "konteyner.jpg"
        assert link.inner_text() == (
            "Bununla çekilen fotoğraf: yeniden göndermek için kaydedin"
        )
        assert browser.blocked == []
        assert browser.errors == []
        assert browser.dialogs == []


@pytest.mark.browser
def test_a_queued_actions_message_gives_way_to_what_happened(live_server, crew_world):
    """Offline, "take" is queued and says so; back online it is sent, and
    the page says it was sent, not that it still waits. A second action
    refused when it arrives shows as a conflict, with no "queued" line."""
    member, tickets = crew_world
    near, middle = tickets["near"], tickets["middle"]
    with offline_page(live_server, **PHONE) as browser:
        page = browser.page
        page.context.grant_permissions(["geolocation"], origin=live_server.url)
        page.context.set_geolocation(
            {"latitude": ANTAKYA["lat"], "longitude": ANTAKYA["lon"], "accuracy": 8}
        )
        page.goto(f"{live_server.url}/crew/")
        log_in(page, member)
        page.wait_for_selector("[data-testid=ticket]")
        browser.set_coverage(False)
        page.wait_for_function("!navigator.onLine")
        _button(page, near.tracking_code, "take").click()
        _button(page, middle.tracking_code, "take").click()
        messages = "#messages"
        page.wait_for_function(
            "document.querySelectorAll('#messages [data-key]').length === 2"
        )
        queued = page.inner_text(messages)
        _db(_office_accepts, middle, member)

        browser.set_coverage(True)
        page.wait_for_selector("[data-testid=queue-state][hidden]", state="attached")
        page.wait_for_selector("[data-testid=conflict]")
        after = page.inner_text(messages)

    assert queued.count("sıraya alındı") == 2
    assert "sıraya alındı" not in after
    assert f"{near.tracking_code}: yapıldı (Al)." in after, after
    assert _db(_state, near) == (Status.ASSIGNED, "Kuzey ekibi")
    assert browser.errors == []
