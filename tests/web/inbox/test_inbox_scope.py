"""Who sees what in the inbox, and the transfers offered to a body."""

import pytest

from geopool.models import ServiceRequest, Status, Transfer, TransferState
from geopool.services.workflow import transfer_propose
from tests.web.inbox.conftest import make_request
from tests.web.inbox.pages import inbox_codes, messages, table_codes, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(hatay, defne):
    """One request owned by Antakya Belediyesi, one by Defne Belediyesi."""
    antakya = make_request()
    defne_request = make_request(point=defne)
    assert (antakya.owner_body.code, defne_request.owner_body.code) == (
        "ANTAKYA",
        "DEFNE",
    )
    return antakya, defne_request


def test_antakya_staff_see_their_requests_and_never_defnes(client, staff, pair):
    antakya, defne_request = pair
    client.force_login(staff["antakya"])
    response = client.get("/inbox/")
    assert response.status_code == 200
    assert inbox_codes(response) == [antakya.tracking_code]
    assert defne_request.tracking_code not in text(response)
    # Not through a filter either: the body filter is the coordinators', and
    # a body given by anyone else is refused as no filter of theirs.
    response = client.get("/inbox/?body=DEFNE")
    assert response.status_code == 400
    assert defne_request.tracking_code not in text(response)


def test_defne_staff_see_only_defnes_requests(client, staff, pair):
    antakya, defne_request = pair
    client.force_login(staff["defne"])
    response = client.get("/inbox/")
    assert inbox_codes(response) == [defne_request.tracking_code]
    assert antakya.tracking_code not in text(response)


def test_coordinator_sees_every_body_and_filters_by_body(client, staff, pair):
    antakya, defne_request = pair
    client.force_login(staff["coordinator"])
    everything = inbox_codes(client.get("/inbox/"))
    assert sorted(everything) == sorted(
        [antakya.tracking_code, defne_request.tracking_code]
    )
    assert inbox_codes(client.get("/inbox/?body=DEFNE")) == [
        defne_request.tracking_code
    ]
    page = text(client.get("/inbox/?body=DEFNE"))
    assert "Gelen kutusu · Defne Belediyesi" in page


def test_offered_request_appears_and_is_accepted(client, staff, pair):
    antakya, defne_request = pair
    transfer_propose(
        defne_request, "ANTAKYA", "wrong_location", actor=staff["defne"], note="Sınır"
    )
    client.force_login(staff["antakya"])
    # Offered, not yet owned: in the "offered to us" tab, not in the list.
    assert inbox_codes(client.get("/inbox/")) == [antakya.tracking_code]
    response = client.get("/inbox/offered")
    assert table_codes(response, "offered-table") == [defne_request.tracking_code]
    page = text(response)
    assert "1 devir yanıt bekliyor" in page
    assert "Yanlış konum" in page and "Sınır" in page
    assert 'Bize gelen devirler <span class="badge text-bg-primary">1</span>' in page

    transfer = Transfer.objects.get(request=defne_request)
    response = client.post(
        f"/inbox/transfers/{transfer.pk}/answer", {"decision": "accept"}, follow=True
    )
    assert messages(response) == [
        f"{defne_request.tracking_code}: devir kabul edildi; başvuru artık sizde."
    ]
    assert table_codes(response, "offered-table") == []
    defne_request.refresh_from_db()
    assert (defne_request.owner_body.code, defne_request.status) == (
        "ANTAKYA",
        Status.ACCEPTED,
    )
    assert sorted(inbox_codes(client.get("/inbox/"))) == sorted(
        [antakya.tracking_code, defne_request.tracking_code]
    )


def test_refusing_an_offer_needs_a_reason(client, staff, pair):
    _, defne_request = pair
    transfer = transfer_propose(
        defne_request, "ANTAKYA", "not_our_duty", actor=staff["defne"]
    )
    client.force_login(staff["antakya"])
    url = f"/inbox/transfers/{transfer.pk}/answer"
    response = client.post(url, {"decision": "refuse", "note": "  "}, follow=True)
    assert messages(response) == [
        f"{defne_request.tracking_code}: Devrin neden reddedildiğini yazın "
        "(gerekçe alanı)."
    ]
    assert Transfer.objects.get(pk=transfer.pk).state == TransferState.PENDING

    response = client.post(
        url, {"decision": "refuse", "note": "Defne sınırında"}, follow=True
    )
    assert messages(response) == [
        f"{defne_request.tracking_code}: devir reddedildi; havuz koordinatörü "
        "karar verecek."
    ]
    transfer.refresh_from_db()
    assert (transfer.state, transfer.answer_note) == (
        TransferState.REFUSED,
        "Defne sınırında",
    )
    assert ServiceRequest.objects.get(pk=defne_request.pk).needs_triage


def test_another_bodys_offer_cannot_be_answered(client, staff, make_staff, pair):
    _, defne_request = pair
    transfer = transfer_propose(
        defne_request, "ANTAKYA", "not_our_duty", actor=staff["defne"]
    )
    client.force_login(make_staff("body_staff", body="ISKENDERUN"))
    response = client.post(
        f"/inbox/transfers/{transfer.pk}/answer", {"decision": "accept"}
    )
    assert response.status_code == 404
    assert table_codes(client.get("/inbox/offered"), "offered-table") == []
    assert Transfer.objects.get(pk=transfer.pk).state == TransferState.PENDING


def test_coordinator_sees_every_offer(client, staff, pair):
    _, defne_request = pair
    transfer_propose(defne_request, "ANTAKYA", "not_our_duty", actor=staff["defne"])
    client.force_login(staff["coordinator"])
    response = client.get("/inbox/offered")
    assert table_codes(response, "offered-table") == [defne_request.tracking_code]
    assert table_codes(client.get("/inbox/offered?body=HATSU"), "offered-table") == []


@pytest.mark.parametrize(
    "role",
    [
        "operator",  # enters calls, works no inbox
        "planner",  # layers only
    ],
)
def test_staff_who_work_no_requests_are_refused_with_the_reason(
    client, make_staff, hatay, role
):
    client.force_login(make_staff(role, body="HBB"))
    for url in ("/inbox/", "/inbox/offered", "/inbox/export.csv"):
        response = client.get(url)
        assert response.status_code == 403
        assert "Gelen kutusu başvurular üzerinde çalışan personel" in text(response)


def test_anonymous_visitors_are_sent_to_log_in(client, hatay):
    for url in ("/inbox/", "/inbox/search?q=abc", "/inbox/disputes"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_nav_shows_the_inbox_to_staff_who_work_requests(client, staff):
    link = '<a class="nav-link" href="/inbox/">Gelen kutusu</a>'
    for role in ("antakya", "manager", "coordinator"):
        client.force_login(staff[role])
        assert link in text(client.get("/map/"))
    client.force_login(staff["operator"])
    assert link not in text(client.get("/map/"))


def test_odd_parameters_are_answered_not_crashed_on(client, staff, pair):
    antakya, _ = pair
    client.force_login(staff["coordinator"])
    assert client.get("/inbox/?body=%00&page=x").status_code == 400
    assert client.get("/inbox/offered?body=%00").status_code == 400
    # An unknown body or SLA state is a filter that cannot be read: a 400
    # saying so, not a crash.
    assert client.get("/inbox/?body=x&page=x").status_code == 400
    assert client.get("/inbox/?sort=nope&sla=late").status_code == 400
    assert client.get("/inbox/?sort=nope").status_code == 200
    response = client.post("/inbox/accept", {"codes": ["", "x" * 500]}, follow=True)
    assert messages(response) == [
        f"Gelen kutunuzda değil, işlem yapılmadı: {'x' * 500}."
    ]
