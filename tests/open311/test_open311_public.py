"""Open311 shows what the public tracking page shows; photos posted with a request.

``status_notes`` is the latest answer to the citizen, ``agency_responsible``
the current owner, ``media_url`` the first photo staff made public. A
``media`` file goes through the photo service (limits, EXIF removed,
private); a ``media_url`` link is recorded and never fetched.
"""

import io
import socket

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from geopool.models import Event, Photo, ServiceRequest
from geopool.open311.messages import MEDIA_NOT_FILE, MEDIA_URL_INVALID
from geopool.open311.serializers import local_iso
from geopool.services.photos import MAX_BYTES, photo_store
from geopool.services.publication import photo_publish, public_text_set
from geopool.services.workflow import (
    answer_send,
    status_change,
    transfer_answer,
    transfer_propose,
)

pytestmark = pytest.mark.django_db

FIRST = "Konteyneriniz yarın sabah boşaltılacak."
SECOND = "Konteyner boşaltıldı ve yıkandı."


def _jpeg(name="foto.jpg"):
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x013B] = "Zeliha Karaosmanoglu"  # Artist
    Image.new("RGB", (30, 20), (10, 200, 40)).save(out, "JPEG", exif=exif.tobytes())
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def _one(client, request, fmt="json"):
    return client.get(f"/open311/v2/requests/{request.tracking_code}.{fmt}")


def test_status_notes_is_the_latest_public_answer(client, make_request, make_staff):
    request = make_request("COP")
    staff = make_staff("body_staff", body="ANTAKYA")
    assert _one(client, request).json()[0]["status_notes"] is None
    answer_send(request, FIRST, actor=staff)
    answer_send(request, SECOND, actor=staff)
    item = _one(client, request).json()[0]
    assert item["status_notes"] == SECOND
    (found,) = client.get(
        "/open311/v2/requests.json", {"service_request_id": request.tracking_code}
    ).json()
    assert found["status_notes"] == SECOND
    assert _one(client, request, "xml").content.decode().count(SECOND) == 1


def test_search_shows_each_request_its_own_answer(client, make_request, make_staff):
    answered, silent = make_request("COP"), make_request("COP")
    staff = make_staff("body_staff", body="ANTAKYA")
    answer_send(answered, FIRST, actor=staff)
    notes = {
        item["service_request_id"]: item["status_notes"]
        for item in client.get("/open311/v2/requests.json").json()
    }
    assert notes == {answered.tracking_code: FIRST, silent.tracking_code: None}


def test_resolved_request_shows_status_owner_answer_and_update(
    client, make_request, make_staff, schema
):
    request = make_request("COP")
    antakya = make_staff("body_staff", body="ANTAKYA")
    defne = make_staff("body_staff", body="DEFNE")
    transfer = transfer_propose(request, "DEFNE", "wrong_location", actor=antakya)
    transfer_answer(transfer, True, actor=defne)
    status_change(request, "resolved", actor=defne, answer=SECOND)
    response = _one(client, request)
    schema("requests.json").validate(response.json())
    item = response.json()[0]
    assert item["status"] == "closed"
    assert item["agency_responsible"] == "Defne Belediyesi"
    assert item["status_notes"] == SECOND
    request.refresh_from_db()
    assert item["updated_datetime"] == local_iso(request.updated_at)


def test_media_url_is_the_first_public_photo_only(client, make_request, schema):
    request = make_request("COP")
    photo_store(request, _jpeg(), is_public=False)
    assert _one(client, request).json()[0]["media_url"] is None
    public = photo_store(request, _jpeg(), is_public=True)
    response = _one(client, request)
    schema("requests.json").validate(response.json())
    url = f"http://testserver/t/{request.tracking_code}/foto/{public.pk}"
    assert response.json()[0]["media_url"] == url
    (found,) = client.get("/open311/v2/requests.json").json()
    assert found["media_url"] == url
    assert client.get(url).status_code == 200


def test_search_of_many_requests_costs_a_fixed_number_of_queries(
    client, make_request, django_assert_max_num_queries
):
    for _ in range(5):
        photo_store(make_request("COP"), _jpeg(), is_public=True)
    with django_assert_max_num_queries(4):
        assert len(client.get("/open311/v2/requests.json").json()) == 5


def test_post_with_a_media_file_stores_a_private_photo_without_exif(post):
    response = post(media=_jpeg())
    assert response.status_code == 201, response.content
    request = ServiceRequest.objects.get(
        tracking_code=response.json()[0]["service_request_id"]
    )
    photo = Photo.objects.get(request=request)
    assert photo.is_public is False
    assert b"Karaosmanoglu" not in photo.image.read()


def test_post_with_too_large_a_media_file_is_refused_and_creates_nothing(post):
    upload = _jpeg()
    upload.file = io.BytesIO(b"\xff" * (MAX_BYTES + 1))
    upload.size = MAX_BYTES + 1
    response = post(media=upload)
    assert response.status_code == 400
    assert response.json() == [
        {
            "code": 400,
            # In English, as the API's other errors.
            "description": "media: The photo is larger than 8 MB; send a smaller one.",
        }
    ]
    assert not ServiceRequest.objects.exists()
    assert not Photo.objects.exists()


def test_two_media_files_are_refused_and_create_nothing(post):
    response = post(media=[_jpeg(), _jpeg()])
    assert response.status_code == 400
    assert response.json() == [
        {"code": 400, "description": "media is given 2 times; send one photo"}
    ]
    assert not ServiceRequest.objects.exists()
    assert not Photo.objects.exists()


def test_media_as_a_text_field_is_refused(post):
    response = post(media="https://example.org/a.jpg")
    assert response.status_code == 400
    assert response.json() == [{"code": 400, "description": MEDIA_NOT_FILE}]
    assert not ServiceRequest.objects.exists()


def test_media_url_is_recorded_and_never_fetched(post, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("media_url must not be fetched")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    link = "https://foto.example.org/2026/12/konteyner.jpg"
    response = post(media_url=link)
    assert response.status_code == 201, response.content
    request = ServiceRequest.objects.get(
        tracking_code=response.json()[0]["service_request_id"]
    )
    event = Event.objects.get(action="request.media_link", object_id=str(request.pk))
    assert event.after == {"media_url": link}
    assert event.actor_label.startswith("api:")
    assert not Photo.objects.exists()


@pytest.mark.parametrize(
    "link",
    [
        "http://foto.example.org/a.jpg",  # not https
        "file:///etc/passwd",  # not a web link at all
        "https://user:secret@foto.example.org/a.jpg",  # credentials
        "https:///a.jpg",  # no host
        "https://[::1/a.jpg",  # malformed
        "https://a.com:99999/",  # no such port
        "https://a.com:0/a.jpg",  # port 0 is no port
        "https://a.com:http/a.jpg",  # a port is a number
    ],
)
def test_media_url_other_than_plain_https_is_refused(post, link):
    response = post(media_url=link)
    assert response.status_code == 400
    assert response.json() == [
        {"code": 400, "description": MEDIA_URL_INVALID.format(value=link)}
    ]
    assert not ServiceRequest.objects.exists()


def test_description_and_media_url_follow_what_staff_approve(
    client, make_request, make_staff
):
    request = make_request("COP")
    staff = make_staff("body_staff", body="ANTAKYA")
    photo = photo_store(request, _jpeg())
    item = _one(client, request).json()[0]
    assert (item["description"], item["media_url"]) == (None, None)

    public_text_set(request, "Konteyner taşması bildirildi", actor=staff)
    photo_publish(photo, True, actor=staff)
    item = _one(client, request).json()[0]
    url = f"http://testserver/t/{request.tracking_code}/foto/{photo.pk}"
    assert (item["description"], item["media_url"]) == (
        "Konteyner taşması bildirildi",
        url,
    )
    (found,) = client.get("/open311/v2/requests.json").json()
    assert (found["description"], found["media_url"]) == (item["description"], url)

    photo_publish(photo, False, actor=staff)
    public_text_set(request, "", actor=staff)
    item = _one(client, request).json()[0]
    assert (item["description"], item["media_url"]) == (None, None)
