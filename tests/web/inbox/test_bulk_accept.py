"""Accepting several requests at once, with what was and was not accepted."""

import pytest

from geopool.models import Event, ServiceRequest, Status
from geopool.services.workflow import status_change
from tests.web.inbox.conftest import make_request
from tests.web.inbox.pages import inbox_codes, messages, text

pytestmark = pytest.mark.django_db


def test_manager_accepts_the_selected_and_is_told_which_were_refused(
    client, staff, hatay, defne
):
    first, second = make_request(), make_request()
    done_before = status_change(make_request(), Status.ACCEPTED, actor=staff["antakya"])
    defnes = make_request(point=defne)
    client.force_login(staff["manager"])
    codes = [
        first.tracking_code,
        done_before.tracking_code,
        second.tracking_code,
        defnes.tracking_code,
    ]
    response = client.post(
        "/inbox/accept", {"codes": codes, "back": "sort=received"}, follow=True
    )
    assert response.redirect_chain == [("/inbox/?sort=received", 302)]
    assert messages(response) == [
        f"Kabul edildi: {first.tracking_code}, {second.tracking_code}.",
        f"{done_before.tracking_code} kabul edilmedi: Durumu “Kabul edildi” olan bir "
        "başvuru “Kabul edildi” olamaz; buradan şunlar olabilir: Atandı, Bilgi "
        "bekleniyor, Mükerrer, Çözüldü, İşlemde.",
        f"Gelen kutunuzda değil, işlem yapılmadı: {defnes.tracking_code}.",
    ]
    statuses = dict(
        ServiceRequest.objects.filter(tracking_code__in=codes).values_list(
            "tracking_code", "status"
        )
    )
    assert statuses == {
        first.tracking_code: Status.ACCEPTED,
        second.tracking_code: Status.ACCEPTED,
        done_before.tracking_code: Status.ACCEPTED,
        defnes.tracking_code: Status.NEW,
    }
    # Each acceptance is on the record with the manager as the actor.
    events = Event.objects.filter(action="request.status", actor=staff["manager"])
    assert events.count() == 2


def test_nothing_selected_is_said_so(client, staff, hatay):
    make_request()
    client.force_login(staff["manager"])
    response = client.post("/inbox/accept", {}, follow=True)
    assert messages(response) == ["Önce kabul edilecek başvuruları seçin."]


def test_checkboxes_and_button_show_to_managers_only(client, staff, hatay):
    request = make_request()
    checkbox = f'name="codes" value="{request.tracking_code}"'
    client.force_login(staff["manager"])
    page = text(client.get("/inbox/"))
    assert checkbox in page and "Seçilenleri kabul et" in page
    client.force_login(staff["antakya"])
    page = text(client.get("/inbox/"))
    assert checkbox not in page and "Seçilenleri kabul et" not in page


def test_body_staff_cannot_accept_in_bulk(client, staff, hatay):
    request = make_request()
    client.force_login(staff["antakya"])
    response = client.post("/inbox/accept", {"codes": [request.tracking_code]})
    assert response.status_code == 403
    assert "kurum yöneticileri ve havuz koordinatörleri içindir" in text(response)
    assert ServiceRequest.objects.get(pk=request.pk).status == Status.NEW


def test_coordinator_accepts_across_bodies(client, staff, hatay, defne):
    antakya, defnes = make_request(), make_request(point=defne)
    client.force_login(staff["coordinator"])
    response = client.post(
        "/inbox/accept",
        {"codes": [antakya.tracking_code, defnes.tracking_code]},
        follow=True,
    )
    assert messages(response) == [
        f"Kabul edildi: {antakya.tracking_code}, {defnes.tracking_code}."
    ]
    assert inbox_codes(client.get("/inbox/?status=new")) == []


def test_accepting_needs_a_post(client, staff, hatay):
    client.force_login(staff["manager"])
    assert client.get("/inbox/accept").status_code == 405
