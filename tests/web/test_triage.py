"""The coordinator's triage queue page."""

import pytest

from tests.web.helpers import point_offshore, request_at

pytestmark = pytest.mark.django_db


def test_coordinator_sees_requests_no_rule_could_place(client, hatay, make_staff):
    waiting = request_at("COP", **point_offshore(1500), description="Sahilde çöp")
    placed = request_at("COP", 36.1603, 36.2021)
    client.force_login(make_staff("coordinator", body="HBB"))
    page = client.get("/triage/").content.decode()
    assert waiting.tracking_code in page
    assert placed.tracking_code not in page
    assert "1 açık talep havuz koordinatörünü bekliyor" in page
    assert "toleransın dışında" in page


def test_district_staff_cannot_open_the_queue_and_are_told_why(
    client, hatay, make_staff
):
    client.force_login(make_staff("body_staff", body="ANTAKYA"))
    response = client.get("/triage/")
    assert response.status_code == 403
    assert "Koordinatör rolü için havuz yöneticisine başvurun" in (
        response.content.decode()
    )


def test_nav_shows_sections_by_role(client, hatay, make_staff):
    client.force_login(make_staff("coordinator", body="HBB"))
    page = client.get("/map/").content.decode()
    assert 'href="/triage/"' in page and 'href="/planning/layers/"' not in page
    client.force_login(make_staff("planner", body="HBB"))
    page = client.get("/map/").content.decode()
    assert 'href="/planning/layers/"' in page and 'href="/triage/"' not in page


def test_coordinator_routes_a_request_again_after_a_change(client, hatay, make_staff):
    from geopool.models import Jurisdiction

    waiting = request_at("COP", **point_offshore(1500), description="Sahilde çöp")
    # The coordinator widens the snap tolerance; routing again places it.
    Jurisdiction.objects.filter(pk=hatay.pk).update(
        settings=hatay.settings | {"snap_tolerance_m": 2000}
    )
    client.force_login(make_staff("coordinator", body="HBB"))
    response = client.post(
        "/triage/", {"tracking_code": waiting.tracking_code}, follow=True
    )
    page = response.content.decode()
    waiting.refresh_from_db()
    assert not waiting.needs_triage
    assert (
        f"{waiting.tracking_code}: Çöp toplama ve konteyner, ilçe sınırı dışında"
        in (page)
    )
    assert "0 açık talep" in page


def test_routing_again_an_unknown_code_says_so(client, hatay, make_staff):
    client.force_login(make_staff("coordinator", body="HBB"))
    response = client.post("/triage/", {"tracking_code": "XXX-XXXX"}, follow=True)
    assert "XXX-XXXX takip kodlu bir başvuru yok." in response.content.decode()


def _reasons(client):
    from tests.web.requestpages.html import elements

    page = client.get("/triage/").content.decode()
    return [
        (node.attrs["data-kind"], node.text())
        for node in elements(page, data_testid="triage-reason")
    ]


def test_a_refused_transfer_says_who_refused_whom_and_why(client, hatay, make_staff):
    from geopool.services.workflow import transfer_answer, transfer_propose

    item = request_at("COP", 36.1603, 36.2021)
    antakya = make_staff("body_staff", body="ANTAKYA")
    defne = make_staff("body_staff", body="DEFNE")
    transfer = transfer_propose(item, "DEFNE", "wrong_location", actor=antakya)
    transfer_answer(transfer, False, actor=defne, note="Adres Antakya sınırında")
    client.force_login(make_staff("coordinator", body="HBB"))
    assert _reasons(client) == [
        (
            "refused",
            "Devir reddedildi: Antakya Belediyesi, Defne Belediyesi kurumuna "
            "devretmeyi önerdi; Defne Belediyesi reddetti. Neden: Adres Antakya "
            "sınırında",
        )
    ]


def test_an_unanswered_transfer_says_it_escalated(client, hatay, make_staff):
    import datetime as dt

    from geopool.services.workflow import transfer_propose, transfers_escalate_due

    item = request_at("COP", 36.1603, 36.2021)
    antakya = make_staff("body_staff", body="ANTAKYA")
    transfer = transfer_propose(item, "DEFNE", "wrong_location", actor=antakya)
    assert transfers_escalate_due(transfer.answer_due_at + dt.timedelta(minutes=1))
    client.force_login(make_staff("coordinator", body="HBB"))
    assert _reasons(client) == [
        (
            "escalated",
            "Devir yanıtsız kaldı: Antakya Belediyesi, Defne Belediyesi kurumuna "
            "devretmeyi önerdi; Defne Belediyesi süresi içinde yanıt vermedi.",
        )
    ]


def test_outside_the_area_keeps_the_routing_reason(client, hatay, make_staff):
    request_at("COP", **point_offshore(1500), description="Sahilde çöp")
    client.force_login(make_staff("coordinator", body="HBB"))
    [(kind, text)] = _reasons(client)
    assert kind == "routing"
    assert "toleransın dışında" in text
