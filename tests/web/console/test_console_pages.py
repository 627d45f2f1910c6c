"""The operator console: who may use it, saving a call, refusals, attaching."""

import datetime as dt
import json
import re
from html import escape
from zoneinfo import ZoneInfo

import pytest
import time_machine

from geopool.contact_checks import TC_CHECKSUM
from geopool.models import Contact, Event, ServiceRequest, Status
from geopool.models.workflow import Note
from geopool.web.console import access, calls, views
from tests.web.console.helpers import TC_VALID, by_testid, call, tr
from tests.web.helpers import ANTAKYA, request_at

pytestmark = pytest.mark.django_db

ISTANBUL = ZoneInfo("Europe/Istanbul")


@pytest.fixture
def operator(make_staff):
    return make_staff("operator", body="HBB")


def _saved(response):
    """The request a successful save redirected to."""
    assert response.status_code == 302, response.content.decode()[:2000]
    match = re.fullmatch(r"/console/done/([^/]+)/\?as=(\w+)", response["Location"])
    assert match, response["Location"]
    return ServiceRequest.objects.get(tracking_code=match.group(1)), match.group(2)


# -- who may use it ----------------------------------------------------------


def test_body_staff_get_403_with_the_reason(client, make_staff):
    client.force_login(make_staff("body_staff", body="ANTAKYA"))
    reason = escape(tr(access.NO_CONSOLE))

    for response in (
        client.get("/console/"),
        client.post("/console/", call()),
        client.post("/console/info/", {}),
    ):
        assert response.status_code == 403
        assert reason in response.content.decode()
    assert not ServiceRequest.objects.exists()

    nearby = client.get("/console/nearby?lon=36.16&lat=36.2&category=COP")
    assert nearby.status_code == 403
    assert nearby.json() == {"error": tr(access.NO_CONSOLE)}


def test_anonymous_visitor_is_sent_to_log_in(client, hatay):
    response = client.get("/console/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/console/"
    assert client.get("/console/nearby?lon=1&lat=1&category=COP").status_code == 401


def test_operators_and_coordinators_see_the_console_in_the_menu(
    client, make_staff, operator
):
    client.force_login(operator)
    assert 'href="/console/"' in client.get("/map/").content.decode()
    assert client.get("/console/").status_code == 200
    client.force_login(make_staff("coordinator", body="HBB"))
    assert client.get("/console/").status_code == 200
    client.force_login(make_staff("body_staff", body="ANTAKYA"))
    assert 'href="/console/"' not in client.get("/map/").content.decode()


def test_the_category_select_is_grouped_and_carries_the_emergency_line(
    client, operator
):
    client.force_login(operator)
    page = client.get("/console/").content.decode()

    assert '<optgroup label="Temizlik ve atık">' in page
    gas = re.search(r'<option value="GAZ"[^>]*>', page).group(0)
    assert 'data-emergency-phone="187"' in gas
    assert "doğalgaz" in gas  # a search word
    cop = re.search(r'<option value="COP"[^>]*>', page).group(0)
    assert 'data-emergency-phone=""' in cop
    # The script's only server data: addresses and texts, as JSON.
    assert '"districtsUrl": "/api/layers/districts/features.geojson"' in page
    assert '<script src="/static/geopool/console.js">' in page
    # The phone and T.C. kimlik no are checked as typed, with the server's
    # messages in the page's language.
    assert '<script src="/static/geopool/contact_checks.js">' in page
    config = re.search(r'id="console-config"[^>]*>(.*?)</script>', page, re.S)
    assert json.loads(config.group(1))["contactErrors"]["tc_checksum"] == tr(
        TC_CHECKSUM
    )


# -- saving a call -------------------------------------------------------------


def test_a_phone_call_is_saved_routed_and_its_contact_stored_apart(client, operator):
    client.force_login(operator)

    item, kind = _saved(client.post("/console/", call()))

    assert kind == "new"
    assert item.channel == "phone"
    assert item.category.code == "COP"
    assert item.owner_body.code == "ANTAKYA"
    assert item.created_by == operator
    assert item.location_source == "operator_pin"
    assert (item.location.x, item.location.y) == (ANTAKYA["lon"], ANTAKYA["lat"])
    assert item.description == "Konteyner taştı, çöp yola döküldü"
    assert item.address_string == "Kurtuluş Cad. No:12 Antakya/Hatay"
    assert not item.is_anonymous
    assert item.legal_due_at is not None
    contact = Contact.objects.get(request=item)
    assert (contact.first_name, contact.last_name) == ("Ayşe", "Yılmaz")
    assert contact.phone == "05321234517"  # stored in one form
    assert contact.email == "ayse@example.com"
    assert contact.tc_kimlik_no == TC_VALID
    assert Event.objects.filter(
        action="request.create", object_id=str(item.pk), actor=operator
    ).exists()


def test_the_saved_page_shows_the_tracking_code_owner_and_explanation(client, operator):
    client.force_login(operator)
    item, _ = _saved(client.post("/console/", call()))

    page = client.get(f"/console/done/{item.tracking_code}/?as=new").content.decode()

    assert by_testid(page, "tracking-code") == item.tracking_code
    assert by_testid(page, "owner") == "Antakya Belediyesi"
    assert by_testid(page, "explanation") == (
        "Çöp toplama ve konteyner, Antakya ilçe sınırı içinde, kural "
        "ILCE-HIZMETLERI: Antakya Belediyesi"
    )
    assert by_testid(page, "contact-note") == (
        "Arayanın iletişim bilgileri talepten ayrı saklandı; talep ilerledikçe "
        "arayana SMS veya e-postayla bilgi verilir."
    )
    # No personal data on the page.
    for personal in ("Yılmaz", "0532", TC_VALID, "ayse@"):
        assert personal not in page


def test_an_emergency_call_shows_the_line_to_call_in_red(client, operator):
    client.force_login(operator)
    item, _ = _saved(client.post("/console/", call(category="GAZ")))

    page = client.get(f"/console/done/{item.tracking_code}/").content.decode()

    assert item.owner_body.code == "AKSA"
    assert item.priority == "urgent"
    assert 'class="alert alert-danger fs-5"' in page
    # One line: the citizen's notice ("Acil durum: hemen 187 …") would
    # repeat it.
    assert by_testid(page, "emergency") == (
        "ACİL DURUM: arayan hemen 187 numaralı hattı aramalı"
    )
    assert "Acil durum: hemen" not in page
    english = client.get(
        f"/console/done/{item.tracking_code}/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert by_testid(english, "emergency") == (
        "EMERGENCY: the caller must call 187 now"
    )
    assert "ACİL DURUM" not in english


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        ("36,2021", "36,1603"),  # Turkish decimal commas
        (" 36.2021 ", "36.1603"),  # spaces around
    ],
)
def test_coordinates_with_a_decimal_comma_are_converted(client, operator, lat, lon):
    client.force_login(operator)
    item, _ = _saved(client.post("/console/", call(lat=lat, lon=lon)))
    assert (item.location.x, item.location.y) == (36.1603, 36.2021)


def test_an_anonymous_call_stores_no_contact_and_says_so(client, operator):
    client.force_login(operator)

    # What was typed in the contact fields is ignored, even an invalid number.
    response = client.post(
        "/console/", call(is_anonymous="on", tc_kimlik_no="12345678901")
    )
    item, _ = _saved(response)
    page = client.get(response["Location"]).content.decode()

    assert item.is_anonymous
    assert not Contact.objects.filter(request=item).exists()
    assert item.legal_due_at is None
    assert by_testid(page, "contact-note") == (
        "İsimsiz talep: iletişim bilgisi saklanmadı. Arayana mesaj gönderilmez; "
        "talebi takip koduyla izler."
    )
    assert by_testid(page, "message") == tr(views.CONTACT_DISCARDED)
    assert by_testid(page, "tracking-code") == item.tracking_code


def test_a_bad_tc_kimlik_no_is_refused_with_the_reason_and_the_input_kept(
    client, operator
):
    client.force_login(operator)

    response = client.post("/console/", call(tc_kimlik_no="10000000147"))

    page = response.content.decode()
    assert response.status_code == 200
    assert escape(tr(TC_CHECKSUM)) in page
    assert by_testid(page, "field-error") == (
        "Bu geçerli bir T.C. kimlik numarası değil: kontrol haneleri (son iki hane) "
        "ilk dokuz haneyle uyuşmuyor. Numarayı arayana geri okuyun."
    )
    assert 'value="10000000147"' in page
    assert "Konteyner taştı, çöp yola döküldü</textarea>" in page
    assert 'value="Ayşe"' in page
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("tc_kimlik_no", "1234", "T.C. kimlik numarası 11 hanelidir; 4 hane yazıldı."),
        ("tc_kimlik_no", "01234567890", "T.C. kimlik numarası 0 ile başlamaz."),
        (
            "tc_kimlik_no",
            "1000000014a",
            "T.C. kimlik numarası yalnızca rakamlardan oluşur; diğer karakterleri "
            "silin.",
        ),
        (
            "phone",
            "0532 123 45",
            "Türkiye'deki bir telefon numarası 0 ile başlayan 11 hanedir, ör. 0532 "
            "123 45 17 veya 0326 214 00 00; 9 hane yazıldı.",
        ),
        (
            "phone",
            "0632 123 45 17",
            "Türkiye'de hiçbir telefon numarası 06 ile başlamaz; alan ve mobil "
            "kodları 02, 03, 04, 05 veya 08 ile başlar.",
        ),
        (
            "phone",
            "0532 123 45 17 dahili 5",
            "Telefon numarasında yalnızca rakam, boşluk, +, - ve parantez olabilir; "
            "diğer karakterleri silin.",
        ),
        (
            "lat",
            "36.2O21",  # a letter O
            "“36.2O21” bir derece değeri değil; 36.2021 gibi yazın (ondalık virgül "
            "de olur: 36,2021).",
        ),
        ("lat", "362021", "Enlem (°K) -90 ile 90 derece arasında olmalı."),
        ("lat", "", "Yeri haritada seçin veya enlemini ve boylamını yazın."),
        ("category", "", "Bu alan zorunlu."),
        ("description", "", "Arayanın ne bildirdiğini yazın."),
    ],
)
def test_bad_input_is_refused_with_a_specific_message(
    client, operator, field, value, message
):
    client.force_login(operator)

    response = client.post("/console/", call(**{field: value}))

    assert response.status_code == 200
    assert by_testid(response.content.decode(), "field-error") == message
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize(
    ("phone", "stored"),
    [
        ("+90 532 123 45 17", "05321234517"),
        ("(0326) 214-00-00", "03262140000"),
        ("5321234517", "05321234517"),
        ("0850 222 01 53", "08502220153"),
    ],
)
def test_phone_numbers_are_stored_in_one_form(client, operator, phone, stored):
    client.force_login(operator)
    item, _ = _saved(client.post("/console/", call(phone=phone)))
    assert Contact.objects.get(request=item).phone == stored


def test_a_point_outside_the_service_area_is_refused_with_the_input_kept(
    client, operator
):
    client.force_login(operator)

    response = client.post("/console/", call(lat="36,5", lon="30,25"))

    page = response.content.decode()
    assert response.status_code == 200
    assert by_testid(page, "field-error") == (
        "Nokta (enlem 36,5, boylam 30,25) hizmet alanının dışında: bütün ilçelere "
        "20.000 m'den uzak. Enlem ile boylamın yer değiştirmediğini ve ondalık "
        "derece olduğunu kontrol edin."
    )
    assert 'value="36,5"' in page and 'value="30,25"' in page
    assert 'value="Ayşe"' in page
    assert '<option value="COP" selected' in page
    assert not ServiceRequest.objects.exists()
    assert not Contact.objects.exists()


# -- checking before saving (the page without JavaScript) ----------------------


def test_check_shows_the_decision_and_nearby_requests_and_stores_nothing(
    client, operator
):
    waiting = request_at("COP", **ANTAKYA)
    client.force_login(operator)

    # A check needs only the category and the point: no error for the rest.
    response = client.post(
        "/console/", call(action="check", description="", tc_kimlik_no="1")
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert by_testid(page, "owner") == "Antakya Belediyesi"
    assert by_testid(page, "district") == "Antakya"
    assert 'data-by_testid="field-error"' not in page
    row = re.search(rf'<tr data-code="{waiting.tracking_code}">(.*?)</tr>', page, re.S)
    assert row, "the open request nearby is listed"
    assert "0 m" in row.group(1)
    assert f'name="attach" value="{waiting.tracking_code}"' in row.group(1)
    assert ServiceRequest.objects.count() == 1
    assert 'value="1"' in page  # what was typed is kept


def test_check_of_an_emergency_shows_the_line_in_red(client, operator):
    client.force_login(operator)

    page = client.post("/console/", call(action="check", category="GAZ")).content
    page = page.decode()

    assert by_testid(page, "owner") == "Aksa Çukurova Doğalgaz"
    assert 'class="alert alert-danger console-emergency"' in page
    assert by_testid(page, "emergency") == (
        "ACİL DURUM: arayan hemen 187 numaralı hattı aramalı"
    )
    assert "Acil durum: hemen 187 numaralı hattı arayın." not in page


def test_check_outside_the_service_area_says_so(client, operator):
    client.force_login(operator)

    page = client.post("/console/", call(action="check", lat="36", lon="30"))

    assert by_testid(page.content.decode(), "preview-error") == (
        "Nokta (enlem 36, boylam 30) hizmet alanının dışında: bütün ilçelere "
        "20.000 m'den uzak. Enlem ile boylamın yer değiştirmediğini ve ondalık "
        "derece olduğunu kontrol edin."
    )


# -- attaching the caller to an open request -----------------------------------


def test_attaching_a_caller_adds_a_note_and_gives_the_tracking_code(client, operator):
    first = request_at("COP", **ANTAKYA)
    client.force_login(operator)

    with time_machine.travel(dt.datetime(2026, 12, 3, 14, 5, tzinfo=ISTANBUL)):
        response = client.post("/console/", call(attach=first.tracking_code))

    item, kind = _saved(response)
    assert (item, kind) == (first, "attached")
    assert ServiceRequest.objects.count() == 1
    assert not Contact.objects.exists()  # the caller's details are not kept
    note = Note.objects.get(request=first)
    assert (
        note.text == "Başka bir arayan da bunu bildirdi (çağrı: 3 Aralık 2026 14:05)."
    )
    assert note.author == operator
    assert Event.objects.filter(
        action="request.note", object_id=str(first.pk), actor=operator
    ).exists()
    page = client.get(response["Location"]).content.decode()
    assert by_testid(page, "tracking-code") == first.tracking_code
    assert by_testid(page, "done-title") == "Arayan açık bir talebe eklendi"


def test_attaching_to_a_closed_request_is_refused_with_the_input_kept(
    client, operator, make_staff
):
    from geopool.services.workflow import status_change

    done = request_at("COP", **ANTAKYA)
    antakya = make_staff("body_staff", body="ANTAKYA")
    status_change(done, Status.ACCEPTED, actor=antakya)
    status_change(done, Status.RESOLVED, actor=antakya, answer="Toplandı.")
    client.force_login(operator)

    response = client.post("/console/", call(attach=done.tracking_code))

    page = response.content.decode()
    assert response.status_code == 200
    assert by_testid(page, "form-error") == (
        f"{done.tracking_code} talebi zaten “Çözüldü”; bu çağrıyı yeni talep olarak "
        "kaydedin."
    )
    assert 'value="Ayşe"' in page
    assert not Note.objects.exists()


def test_attaching_to_an_unknown_code_says_so(client, operator):
    client.force_login(operator)
    response = client.post("/console/", call(attach="XXX-XXXX"))
    assert by_testid(response.content.decode(), "form-error") == (
        tr(calls.NO_SUCH_REQUEST, code="XXX-XXXX")
    )


def test_the_saved_page_of_an_unknown_code_is_404(client, operator):
    client.force_login(operator)
    assert client.get("/console/done/XXX-XXXX/").status_code == 404
