"""Showing the caller's details: on purpose, with a reason, logged, once."""

import pytest

from geopool.models import Event
from geopool.services.workflow import transfer_propose
from geopool.web.requestpages.views import CONTACT_NO_REASON, CONTACT_NOT_ALLOWED
from tests.web.requestpages.conftest import page_url
from tests.web.requestpages.html import elements, messages, texts

pytestmark = pytest.mark.django_db


def _fields(page, testid):
    found = elements(page, data_testid=testid)
    if not found:
        return {}
    return {
        node.attrs["data-field"]: node.text()
        for node in found[0].walk()
        if "data-field" in node.attrs
    }


def test_showing_the_caller_is_logged_and_lasts_one_response(as_user, new_request):
    item = new_request(contact={"first_name": "Ayşe", "phone": "05321234517"})
    client = as_user("antakya")
    response = client.post(page_url(item, "contact"), {"reason": "geri arama"})
    # Post/redirect/get: the page after the redirect shows the details once.
    assert response.status_code == 302
    assert response["Location"] == f"/requests/{item.tracking_code}/#contact"
    assert "05321234517" not in response.content.decode()
    response = client.get(page_url(item))
    page = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert messages(response.content) == [
        "Arayanın bilgileri aşağıda yalnızca bu kez gösteriliyor ve "
        "görüntülemeniz kaydedildi. Gizlemek için sayfayı yenileyin."
    ]
    assert _fields(page, "contact-revealed") == {
        "first_name": "Ayşe",
        "phone": "05321234517",
    }
    event = Event.objects.get(action="contact.view")
    assert (event.actor.username, event.object_type, event.object_id) == (
        "antakya",
        "geopool.servicerequest",
        str(item.pk),
    )
    assert event.after["reason"] == "geri arama"
    # The history says who looked, and why.
    [row] = [
        node.text()
        for node in elements(page, data_testid="event")
        if node.attrs["data-action"] == "contact.view"
    ]
    assert "antakya (Antakya Belediyesi) Arayanın kişisel verileri görüntülendi" in row
    assert "Neden: geri arama" in row
    # Reloading is a plain GET: masked again, and no second read is logged.
    response = client.get(page_url(item))
    page = response.content.decode()
    assert _fields(page, "contact-masked") == {
        "name": "A***",
        "phone": "0532 *** ** 17",
    }
    assert "05321234517" not in page
    assert Event.objects.filter(action="contact.view").count() == 1


def test_a_reason_is_required(as_user, new_request):
    item = new_request()
    response = as_user("antakya").post(page_url(item, "contact"), {"reason": " "})
    assert response.status_code == 400
    assert messages(response.content) == [str(CONTACT_NO_REASON)]
    assert "05321234517" not in response.content.decode()
    assert not Event.objects.filter(action="contact.view").exists()


def test_a_body_that_may_see_the_request_may_not_see_its_caller(
    as_user, new_request, person
):
    item = new_request()
    # Offered the request, Defne sees it, but it is not (yet) Defne's.
    transfer_propose(item, "DEFNE", "wrong_location", actor=person("antakya"))
    client = as_user("defne")
    page = client.get(page_url(item)).content.decode()
    assert texts(page, "reveal-form") == []
    response = client.post(page_url(item, "contact"), {"reason": "merak"})
    assert response.status_code == 403
    assert messages(response.content) == [str(CONTACT_NOT_ALLOWED)]
    assert "05321234517" not in response.content.decode()
    assert not Event.objects.filter(action="contact.view").exists()


def test_a_body_that_may_not_see_the_request_gets_404(as_user, new_request):
    item = new_request()
    response = as_user("iskenderun").post(page_url(item, "contact"), {"reason": "x"})
    assert response.status_code == 404
    assert not Event.objects.filter(action="contact.view").exists()


def test_operators_never_reveal_personal_data(as_user, new_request):
    # HBB's operator, on a request HBB owns: still no right to see the caller.
    item = new_request(category="DIGER")
    assert item.owner_body.code == "HBB"
    response = as_user("operator").post(page_url(item, "contact"), {"reason": "x"})
    assert response.status_code == 403
    assert not Event.objects.filter(action="contact.view").exists()


def test_coordinators_may_show_the_caller(as_user, new_request):
    item = new_request()
    client = as_user("coordinator")
    client.post(page_url(item, "contact"), {"reason": "itiraz incelemesi"})
    response = client.get(page_url(item))
    assert _fields(response.content, "contact-revealed")["phone"] == "05321234517"
    assert Event.objects.get(action="contact.view").actor.username == "coordinator"
