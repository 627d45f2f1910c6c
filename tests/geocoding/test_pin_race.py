"""Two operators pinning one waiting request at once: the first pin counts."""

import pytest
from django.test import Client

from geopool.models import Event, ServiceRequest
from tests.web.requestpages.html import messages
from tests.web.requestpages.test_concurrency import _Post, _queued

pytestmark = pytest.mark.django_db(transaction=True)


def _operator(make_staff, name):
    client = Client()
    client.force_login(make_staff("operator", username=name))
    assert client.get("/needs-location/").status_code == 200
    return client


def test_the_second_of_two_simultaneous_pins_changes_nothing(api_key, make_staff):
    posted = Client().post(
        "/open311/v2/requests.json",
        {"api_key": api_key, "service_code": "COP", "address_string": "Harbiye Mah."},
    )
    code = posted.json()[0]["service_request_id"]
    item = ServiceRequest.objects.get(tracking_code=code)
    assert item.needs_location is True
    first_client = _operator(make_staff, "ayse")
    second_client = _operator(make_staff, "mehmet")
    # Defne (Harbiye) first, then a point in İskenderun.
    first = _Post(
        first_client,
        "/needs-location/",
        {"tracking_code": code, "lat": "36.132", "lon": "36.137"},
    )
    second = _Post(
        second_client,
        "/needs-location/",
        {"tracking_code": code.lower(), "lat": "36.5851", "lon": "36.1605"},
    )
    won, lost = _queued(item, first, second)
    assert (won.status_code, lost.status_code) == (302, 302)
    item.refresh_from_db()
    assert (item.needs_location, item.owner_body.code) == (False, "DEFNE")
    assert (round(item.location.x, 3), round(item.location.y, 3)) == (36.137, 36.132)
    assert messages(first_client.get("/needs-location/").content) == [
        f"{code} yerleştirildi ve yeniden yönlendirildi: Defne Belediyesi."
    ]
    assert messages(second_client.get("/needs-location/").content) == [
        f"{code} artık konum beklemiyor: bu arada yerleştirildi. Hiçbir şey "
        "değiştirilmedi; başvurunun sayfasına bakın."
    ]
    changes = Event.objects.filter(object_id=str(item.pk), action="request.change")
    assert [e.actor.username for e in changes] == ["ayse"]
