"""The public request form ``/basvuru/``: what it creates and what it refuses."""

import html
import io
import re

import pytest
from django.test import override_settings
from django.utils import translation
from PIL import Image

from geopool.contact_checks import PHONE_CHARACTERS, PHONE_LENGTH, PHONE_PREFIX
from geopool.models import Contact, Event, Photo, ServiceRequest
from geopool.services.photos import MAX_BYTES
from geopool.web.public import forms, views
from tests.web.helpers import ANTAKYA
from tests.web.public.conftest import (
    DESCRIPTION,
    EMAIL,
    FIRST_NAME,
    LAST_NAME,
    PHONE,
    PHONE_TYPED,
    form_data,
    jpeg,
)

pytestmark = pytest.mark.django_db

URL = "/basvuru/"


def tr(message, **values):
    """``message`` as the Turkish page shows it."""
    with translation.override("tr"):
        return str(message) % values if values else str(message)


def text(response):
    """The page as a reader sees it (entities decoded)."""
    return html.unescape(response.content.decode())


def errors(response):
    """The error texts of the page: {field (or "form"): [messages]}."""
    page = response.content.decode()
    found = {}
    for field, message in re.findall(
        r'data-testid="field-error" data-for="([^"]+)">([^<]*)<', page
    ):
        found.setdefault(field, []).append(html.unescape(message))
    for block in re.findall(r'data-testid="form-error">(.*?)</div>', page, re.S):
        found.setdefault("form", []).append(html.unescape(block.strip()))
    return found


def test_form_page_has_the_map_the_categories_and_the_notice(client, hatay):
    response = client.get(URL)
    assert response.status_code == 200
    page = text(response)
    assert 'data-districts-url="/api/layers/districts/features.geojson"' in page
    bounds = re.search(r'data-bounds="([^"]*)"', page).group(1).split(",")
    west, south, east, north = map(float, bounds)
    assert west < ANTAKYA["lon"] < east and south < ANTAKYA["lat"] < north
    assert (
        '<option value="COP" data-retention-days="730">Çöp toplama ve konteyner' in page
    )
    assert '<optgroup label="Yol ve ulaşım">' in page
    # The KVKK notice names the controller from the jurisdiction row and the
    # category's retention period.
    assert (
        '<span data-testid="kvkk-controller">Hatay Büyükşehir Belediyesi</span>' in page
    )
    assert '<span data-testid="kvkk-retention">365 veya 730 gün</span>' in page
    assert "Hatay Büyükşehir Belediyesi'ne yazılı olarak" in page
    assert "kişisel verilerinizin işlenip işlenmediğini öğrenme" in page
    # Every script and style comes from geopool; no staff navigation.
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', page)
    assert assets and all(a.startswith("/static/") for a in assets), assets
    assert "/static/vendor/leaflet/leaflet.js" in assets
    assert "/logout/" not in page and "/map/" not in page
    assert f'name="{forms.HONEYPOT_FIELD}"' in page


def test_districts_for_the_map_come_from_the_public_layer_api(client, hatay):
    response = client.get("/api/layers/districts/features.geojson")
    assert response.status_code == 200
    assert len(response.json()["features"]) == 15


def test_form_creates_a_routed_web_request_with_its_contact(client, hatay):
    response = client.post(URL, form_data())
    assert response.status_code == 302
    request = ServiceRequest.objects.get()
    assert response["Location"] == f"/basvuru/alindi/{request.tracking_code}/"
    assert request.channel == "web"
    assert request.owner_body.code == "ANTAKYA"
    assert request.category.code == "COP"
    assert request.description == DESCRIPTION
    assert (request.location.x, request.location.y) == (ANTAKYA["lon"], ANTAKYA["lat"])
    assert request.is_anonymous is False
    assert request.legal_due_at is not None
    contact = Contact.objects.get(request=request)
    assert (contact.first_name, contact.last_name) == (FIRST_NAME, LAST_NAME)
    assert (contact.phone, contact.email) == (PHONE, EMAIL)

    page = client.get(response["Location"])
    assert page.status_code == 200
    shown = text(page)
    code = request.tracking_code
    assert re.search(rf'data-testid="tracking-code">{code}</p>', shown)
    assert f'href="http://testserver/t/{code}"' in shown
    assert '<dd class="col-sm-9" data-testid="owner">Antakya Belediyesi</dd>' in shown
    for secret in (PHONE, PHONE_TYPED, FIRST_NAME, LAST_NAME, EMAIL, DESCRIPTION):
        assert secret not in shown


def test_typed_coordinates_with_a_decimal_comma_are_read(client, hatay):
    response = client.post(URL, form_data(lat="36,2021", lon="36,1603"))
    assert response.status_code == 302
    request = ServiceRequest.objects.get()
    assert (request.location.x, request.location.y) == (36.1603, 36.2021)


def test_anonymous_request_stores_no_contact_even_if_typed(client, hatay):
    response = client.post(URL, form_data(anonymous="on", kvkk_read=None))
    assert response.status_code == 302
    request = ServiceRequest.objects.get()
    assert request.is_anonymous is True
    assert request.legal_due_at is None
    assert not Contact.objects.filter(request=request).exists()


def test_a_request_without_contact_is_anonymous(client, hatay):
    data = form_data(first_name="", last_name="", phone="", email="", kvkk_read=None)
    assert client.post(URL, data).status_code == 302
    request = ServiceRequest.objects.get()
    assert request.is_anonymous is True
    assert not Contact.objects.filter(request=request).exists()


def test_contact_needs_the_kvkk_tick_and_the_input_is_kept(client, hatay):
    response = client.post(URL, form_data(kvkk_read=None))
    assert response.status_code == 400
    assert errors(response) == {"kvkk_read": [tr(forms.KVKK_REQUIRED)]}
    assert not ServiceRequest.objects.exists()
    page = text(response)
    assert f'value="{PHONE_TYPED}"' in page
    assert f'value="{FIRST_NAME}"' in page
    assert DESCRIPTION in page
    assert '<option value="COP" selected data-retention-days="730">' in page
    assert f'value="{ANTAKYA["lat"]}"' in page


@pytest.mark.parametrize(
    "fields, field, message, values",
    [
        # No pin and no coordinates.
        ({"lat": "", "lon": ""}, "location", forms.NO_PIN, {}),
        # Only one of the two boxes.
        ({"lon": ""}, "location", forms.HALF_PIN, {}),
        # Not a number.
        (
            {"lat": "36.2N"},
            "location",
            forms.BAD_COORDINATE,
            {"field": "enlem", "value": "36.2N", "example": "12.3456"},
        ),
        # Out of range.
        (
            {"lon": "236.16"},
            "location",
            forms.COORDINATE_RANGE,
            {
                "field": "boylam",
                "value": "236.16",
                "example": "12.3456",
                "low": -180,
                "high": 180,
            },
        ),
        # A phone without a fix.
        ({"lat": "0", "lon": "0"}, "location", forms.NULL_ISLAND, {}),
        # Central Ankara: far outside the service area.
        (
            {"lat": "39.9208", "lon": "32.8541"},
            "location",
            forms.OUTSIDE_AREA,
            {"name": "Hatay Büyükşehir Belediyesi"},
        ),
        ({"category": "NOPE"}, "category", forms.UNKNOWN_CATEGORY, {"value": "NOPE"}),
        ({"category": ""}, "category", forms.NO_CATEGORY, {}),
        ({"description": "  "}, "description", forms.NO_DESCRIPTION, {}),
        ({"phone": "12345"}, "phone", PHONE_LENGTH, {"count": 5}),
        ({"phone": "0132 123 45 67"}, "phone", PHONE_PREFIX, {"digit": "1"}),
        ({"phone": "0532 123 45 6x"}, "phone", PHONE_CHARACTERS, {}),
        ({"email": "zeliha@"}, "email", forms.EMAIL_INVALID, {}),
    ],
)
def test_errors_are_specific_and_nothing_is_created(
    client, hatay, fields, field, message, values
):
    response = client.post(URL, form_data(**fields))
    assert response.status_code == 400
    assert errors(response) == {field: [tr(message, **values)]}
    assert not ServiceRequest.objects.exists()
    assert DESCRIPTION in text(response) or field == "description"


def test_honeypot_filled_creates_nothing(client, hatay):
    response = client.post(URL, form_data(website="http://spam.example"))
    assert response.status_code == 400
    assert errors(response)["form"] == [tr(views.HONEYPOT_REFUSED)]
    assert not ServiceRequest.objects.exists()


@override_settings(GEOPOOL_PUBLIC_FORM_LIMIT=2, GEOPOOL_PUBLIC_FORM_WINDOW=600)
def test_rate_limit_per_address(client, hatay):
    # A refused form does not count; the third request does not pass.
    assert client.post(URL, form_data(lat="")).status_code == 400
    for _ in range(2):
        assert client.post(URL, form_data()).status_code == 302
    response = client.post(URL, form_data())
    assert response.status_code == 429
    assert errors(response)["form"] == [
        tr(views.RATE_LIMITED, minutes=10, line="ALO 153")
    ]
    assert DESCRIPTION in text(response)
    assert ServiceRequest.objects.count() == 2
    # Another address is not held back.
    other = client.post(URL, form_data(), REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 302
    assert ServiceRequest.objects.count() == 3


@override_settings(GEOPOOL_PUBLIC_FORM_LIMIT=2, GEOPOOL_PUBLIC_FORM_WINDOW=600)
def test_rate_limit_is_shared_by_every_worker_process(client, hatay):
    from django.core.cache.backends.db import DatabaseCache

    from geopool.web.public import ratelimit

    assert client.post(URL, form_data()).status_code == 302
    # Another worker process has its own cache objects but reads the same
    # table: it sees the count of this one and refuses the third request.
    other_worker = DatabaseCache("geopool_shared_cache", {})
    key = ratelimit._key("127.0.0.1")
    started, used = other_worker.get(key)
    assert used == 1
    other_worker.set(key, (started, 2))
    response = client.post(URL, form_data())
    assert response.status_code == 429
    assert ServiceRequest.objects.count() == 1


@override_settings(GEOPOOL_PUBLIC_FORM_LIMIT=2, GEOPOOL_PUBLIC_FORM_WINDOW=600)
def test_a_form_refused_after_validation_gives_its_place_back(client, hatay):
    """A valid form whose point lies outside the service area took a place
    in the count, then gave it back: two requests still pass after it."""
    response = client.post(URL, form_data(lat="40.9", lon="29.0"))
    assert response.status_code == 400
    assert client.post(URL, form_data()).status_code == 302
    assert client.post(URL, form_data()).status_code == 302
    assert client.post(URL, form_data()).status_code == 429
    assert ServiceRequest.objects.count() == 2


@pytest.mark.django_db(transaction=True)
@override_settings(GEOPOOL_PUBLIC_FORM_LIMIT=3, GEOPOOL_PUBLIC_FORM_WINDOW=600)
def test_a_burst_from_one_address_gets_exactly_the_limit_through():
    """Twelve posts from one address at the same instant, each in its own
    thread and database connection: three places are given, nine refused."""
    import threading

    from django.db import connection
    from django.test import RequestFactory

    from geopool.web.public import ratelimit

    ratelimit.counters().clear()
    barrier = threading.Barrier(12)
    answers = []

    def post():
        request = RequestFactory().post(URL, REMOTE_ADDR="10.9.8.7")
        barrier.wait()
        try:
            answers.append(ratelimit.reserve(request))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [False] * 9 + [True] * 3
    ratelimit.release(RequestFactory().post(URL, REMOTE_ADDR="10.9.8.7"))
    assert ratelimit.reserve(RequestFactory().post(URL, REMOTE_ADDR="10.9.8.7"))
    assert not ratelimit.reserve(RequestFactory().post(URL, REMOTE_ADDR="10.9.8.7"))
    ratelimit.counters().clear()


def test_photo_is_stored_private_and_without_exif(client, hatay):
    response = client.post(URL, {**form_data(), "photo": jpeg()})
    assert response.status_code == 302
    photo = Photo.objects.get()
    assert photo.is_public is False
    assert photo.content_type == "image/jpeg"
    data = photo.image.read()
    assert b"Karaosmanoglu" not in data
    assert dict(Image.open(io.BytesIO(data)).getexif()) == {}
    assert Event.objects.filter(action="request.photo").count() == 1


def test_photo_too_large_is_refused_with_the_message(client, hatay):
    upload = jpeg()
    upload.file = io.BytesIO(b"\xff" * (MAX_BYTES + 1))
    upload.size = MAX_BYTES + 1
    response = client.post(URL, {**form_data(), "photo": upload})
    assert response.status_code == 400
    assert errors(response) == {
        "photo": ["Fotoğraf 8 MB'tan büyük; daha küçük bir fotoğraf gönderin."]
    }
    # Nothing half-stored: no request, no photo; the rest of the input stays.
    assert not ServiceRequest.objects.exists()
    assert not Photo.objects.exists()
    assert f'value="{PHONE_TYPED}"' in text(response)


def test_a_file_that_is_not_a_photo_is_refused(client, hatay):
    upload = jpeg(name="belge.pdf")
    upload.file = io.BytesIO(b"%PDF-1.4 not a photo")
    upload.size = 20
    response = client.post(URL, {**form_data(), "photo": upload})
    assert response.status_code == 400
    assert errors(response) == {
        "photo": ["Dosya okunabilen bir fotoğraf değil; JPEG, PNG veya WebP gönderin."]
    }
    assert not ServiceRequest.objects.exists()


def test_emergency_categories_show_their_line(client, hatay):
    page = text(client.get(URL))
    assert "187" in page.split('data-testid="emergencies"')[1].split("</div>")[0]
    response = client.post(URL, form_data(category="GAZ"))
    received = text(client.get(response["Location"]))
    assert 'data-testid="notice"' in received
    assert "187" in received


def test_form_without_a_loaded_pack_says_so(client, db):
    from geopool.models import Jurisdiction

    Jurisdiction.objects.all().delete()
    response = client.get(URL)
    assert response.status_code == 503
    assert errors(response)["form"] == [tr(views.NOT_READY, line="")]
