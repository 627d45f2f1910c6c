"""Photos on a request's page: stored without EXIF, served only to its staff."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from geopool.models import Photo
from geopool.services.workflow import transfer_propose
from tests.web.requestpages.conftest import page_url
from tests.web.requestpages.html import elements, messages

pytestmark = pytest.mark.django_db


def _jpeg_with_exif():
    image = Image.new("RGB", (40, 20), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° when shown
    exif[0x013B] = "Ayşe Yılmaz"  # Artist
    exif[0x8825] = {2: (36.0, 12.0, 7.0)}  # GPS latitude
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def _upload(client, item, data, name="cukur.jpg", **extra):
    upload = SimpleUploadedFile(name, data, content_type="image/jpeg")
    return client.post(page_url(item, "photo"), {"photo": upload, **extra}, follow=True)


def test_an_uploaded_photo_is_stored_without_exif(as_user, new_request):
    item = new_request()
    original = _jpeg_with_exif()
    assert b"Ay" in original
    response = _upload(as_user("antakya"), item, original)
    assert messages(response.content) == [
        "Fotoğraf eklendi (EXIF bilgileri silinerek saklandı)."
    ]
    photo = Photo.objects.get(request=item)
    with photo.image.open("rb") as handle:
        stored = handle.read()
    cleaned = Image.open(io.BytesIO(stored))
    assert dict(cleaned.getexif()) == {}
    assert b"Ay" not in stored and b"Exif" not in stored
    assert (photo.width, photo.height) == (20, 40)  # turned upright
    assert (photo.is_public, photo.uploaded_by.username) == (False, "antakya")
    [shown] = elements(response.content, data_testid="photo")
    [img] = [node for node in shown.walk() if node.tag == "img"]
    assert img.attrs["src"] == f"/requests/{item.tracking_code}/photos/{photo.pk}/"


def test_a_photo_may_be_marked_public(as_user, new_request):
    item = new_request()
    _upload(as_user("antakya"), item, _jpeg_with_exif(), is_public="on")
    assert Photo.objects.get(request=item).is_public


def test_a_file_that_is_no_photo_is_refused_with_the_reason(as_user, new_request):
    item = new_request()
    response = as_user("antakya").post(
        page_url(item, "photo"),
        {"photo": SimpleUploadedFile("x.jpg", b"%PDF-1.4 not a photo")},
    )
    assert response.status_code == 400
    assert messages(response.content) == [
        "Dosya okunabilen bir fotoğraf değil; JPEG, PNG veya WebP gönderin."
    ]
    assert not Photo.objects.filter(request=item).exists()


def test_no_file_is_refused(as_user, new_request):
    item = new_request()
    response = as_user("antakya").post(page_url(item, "photo"), {})
    assert response.status_code == 400
    assert messages(response.content) == [
        "Kaydedilmedi: Fotoğraf (JPEG, PNG veya WebP): Bu alan zorunlu."
    ]


def test_photos_are_served_only_to_staff_who_see_the_request(
    client, as_user, new_request, person
):
    item = new_request()
    _upload(as_user("antakya"), item, _jpeg_with_exif())
    photo = Photo.objects.get(request=item)
    url = f"/requests/{item.tracking_code}/photos/{photo.pk}/"
    with photo.image.open("rb") as handle:
        stored = handle.read()

    response = as_user("antakya").get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert b"".join(response.streaming_content) == stored

    assert as_user("iskenderun").get(url).status_code == 404
    # A body the request is offered to sees it, photos included.
    transfer_propose(item, "DEFNE", "wrong_location", actor=person("antakya"))
    assert as_user("defne").get(url).status_code == 200
    # A photo id of another request is not found under this code.
    other = new_request()
    assert (
        as_user("antakya")
        .get(f"/requests/{other.tracking_code}/photos/{photo.pk}/")
        .status_code
        == 404
    )
    # No public media URL serves it, and anonymous visitors must log in.
    client.logout()
    assert client.get(f"/media/{photo.image.name}").status_code == 404
    assert client.get(url).status_code == 302


def test_other_bodies_cannot_add_photos(as_user, new_request, person):
    item = new_request()
    transfer_propose(item, "DEFNE", "wrong_location", actor=person("antakya"))
    upload = SimpleUploadedFile("a.jpg", _jpeg_with_exif())
    response = as_user("defne").post(page_url(item, "photo"), {"photo": upload})
    assert response.status_code == 403
    assert not Photo.objects.filter(request=item).exists()
