"""The public tracking page ``/t/<code>``: what a citizen sees, and never sees."""

import html
import re

import pytest
from django.utils import translation

from geopool.models import Photo, ServiceRequest, Status
from geopool.services.personal_data import mask_phone
from geopool.services.photos import photo_store
from geopool.services.publication import photo_publish, public_text_set
from geopool.services.workflow import (
    answer_send,
    coordinator_assign,
    note_add,
    status_change,
    transfer_answer,
    transfer_propose,
)
from geopool.web.public import views
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

ANSWER = "Konteyner 4 Aralık sabahı boşaltıldı ve yıkandı."
NOTE = "İç not: şoför izinli, ekip yarın gider"
TRANSFER_NOTE = "Defne sınırında, bizim değil"
ACCEPT_NOTE = "Kabul, mahalle bizim"
COORDINATOR_NOTE = "Koordinatör notu: su hattı arızası"


def text(response):
    return html.unescape(response.content.decode())


def cell(page, testid):
    """The text of the element marked ``data-testid=testid``."""
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', page, re.S)
    return found.group(1).strip() if found else None


@pytest.fixture
def filed(client, hatay):
    """A request filed through the form with every piece of contact data."""
    response = client.post("/basvuru/", form_data())
    assert response.status_code == 302
    return ServiceRequest.objects.get()


def test_tracking_shows_status_owner_and_answers_but_nothing_private(
    client, filed, make_staff
):
    staff = make_staff("body_staff", body="ANTAKYA")
    note_add(filed, NOTE, actor=staff)
    answer_send(filed, ANSWER, actor=staff)

    response = client.get(f"/t/{filed.tracking_code}")
    assert response.status_code == 200
    page = text(response)
    assert cell(page, "category") == "Çöp toplama ve konteyner"
    assert cell(page, "status") == "Yeni"
    assert cell(page, "owner") == "Antakya Belediyesi"
    assert cell(page, "received-at")
    assert cell(page, "answered-at")
    assert 'data-testid="resolved-at"' not in page
    assert ANSWER in page
    assert "Antakya Belediyesi" in page.split('data-testid="answer"')[1]
    for secret in (
        PHONE,
        PHONE_TYPED,
        mask_phone(PHONE),
        FIRST_NAME,
        LAST_NAME,
        EMAIL,
        NOTE,
        DESCRIPTION,
        staff.username,
    ):
        assert secret not in page, secret


def test_only_the_staff_approved_description_is_public(client, filed):
    url = f"/t/{filed.tracking_code}"
    assert 'data-testid="description"' not in text(client.get(url))
    ServiceRequest.objects.filter(pk=filed.pk).update(
        public_description="Taşan konteyner bildirildi"
    )
    page = text(client.get(url))
    assert cell(page, "description") == "Taşan konteyner bildirildi"
    assert DESCRIPTION not in page


def _date_rows(page):
    """``{label: testid}`` of the summary's date rows."""
    rows = re.findall(r'<th scope="row">([^<]*)</th><td data-testid="([^"]*-at)"', page)
    return dict(rows)


def test_a_resolved_request_shows_its_resolution_date_not_a_closing_date(
    client, filed, make_staff
):
    staff = make_staff("body_staff", body="ANTAKYA")
    status_change(filed, Status.ACCEPTED, actor=staff)
    status_change(filed, Status.RESOLVED, actor=staff, answer=ANSWER)
    page = text(client.get(f"/t/{filed.tracking_code}"))
    assert cell(page, "status") == "Çözüldü"
    assert _date_rows(page) == {
        "Başvuru tarihi": "received-at",
        "Yanıt tarihi": "answered-at",
        "Çözüm tarihi": "resolved-at",
    }
    assert "Kapanış tarihi" not in page

    status_change(filed, Status.CLOSED, actor=staff)
    page = text(client.get(f"/t/{filed.tracking_code}"))
    assert cell(page, "status") == "Kapatıldı"
    assert list(_date_rows(page).items())[2:] == [
        ("Çözüm tarihi", "resolved-at"),
        ("Kapanış tarihi", "closed-at"),
    ]


def test_moves_between_bodies_in_plain_words(client, filed, make_staff):
    antakya = make_staff("body_staff", body="ANTAKYA")
    defne = make_staff("body_staff", body="DEFNE")
    coordinator = make_staff("coordinator", body="HBB")
    transfer = transfer_propose(
        filed, "DEFNE", "wrong_location", actor=antakya, note=TRANSFER_NOTE
    )
    transfer_answer(transfer, True, actor=defne, note=ACCEPT_NOTE)
    coordinator_assign(filed, "HATSU", actor=coordinator, note=COORDINATOR_NOTE)

    page = text(client.get(f"/t/{filed.tracking_code}"))
    moves = re.findall(r'data-testid="move">.*?· (.*?)</li>', page, re.S)
    assert moves == [
        "Antakya Belediyesi'nden Defne Belediyesi'ne devredildi",
        "Havuz koordinatörü başvuruyu Defne Belediyesi'nden Hatay Su ve "
        "Kanalizasyon İdaresi (HATSU)'ne verdi",
    ]
    assert cell(page, "owner") == "Hatay Su ve Kanalizasyon İdaresi (HATSU)"
    for secret in (TRANSFER_NOTE, ACCEPT_NOTE, COORDINATOR_NOTE):
        assert secret not in page


def test_moves_read_in_english_for_an_english_browser(client, filed, make_staff):
    antakya = make_staff("body_staff", body="ANTAKYA")
    defne = make_staff("body_staff", body="DEFNE")
    transfer = transfer_propose(filed, "DEFNE", "wrong_location", actor=antakya)
    transfer_answer(transfer, True, actor=defne)
    page = text(client.get(f"/t/{filed.tracking_code}", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Transferred from Antakya Belediyesi to Defne Belediyesi" in page


def test_pending_or_refused_transfers_are_not_moves(client, filed, make_staff):
    antakya = make_staff("body_staff", body="ANTAKYA")
    defne = make_staff("body_staff", body="DEFNE")
    transfer = transfer_propose(filed, "DEFNE", "wrong_location", actor=antakya)
    transfer_answer(transfer, False, actor=defne, note="Bizim değil")
    page = text(client.get(f"/t/{filed.tracking_code}"))
    assert 'data-testid="move"' not in page
    assert cell(page, "owner").startswith("Antakya Belediyesi")
    assert 'data-testid="in-triage"' in page


@pytest.mark.parametrize(
    "typed",
    [
        str.lower,  # k7m-4txr
        lambda code: code.replace("-", ""),  # K7M4TXR
        lambda code: code.replace("-", "").lower(),  # k7m4txr
    ],
)
def test_codes_are_case_insensitive_and_the_dash_is_optional(client, filed, typed):
    response = client.get(f"/t/{typed(filed.tracking_code)}")
    assert response.status_code == 200
    assert filed.tracking_code in text(response)


def test_unknown_code_is_a_404_that_says_how_codes_look(client, hatay):
    response = client.get("/t/K7M-4TXR")
    assert response.status_code == 404
    page = text(response)
    assert "“K7M-4TXR” takip koduyla bir başvuru bulunamadı." in page
    assert cell(page, "code-format").startswith(
        "Takip kodları 7 harf ve rakamdan oluşur, üçüncüden sonra bir tire vardır: "
        "örneğin K7M-4TXR."
    )


def test_something_that_is_no_code_is_a_404_saying_so(client, hatay):
    response = client.get("/t/12<script>")
    assert response.status_code == 404
    page = response.content.decode()
    assert "<script>" not in page.split("<main")[1].split("</main>")[0]
    assert "“12<script>” bir takip kodu değil." in html.unescape(page)


def test_lookup_form_goes_to_the_tracking_page(client, filed):
    typed = filed.tracking_code.replace("-", "").lower()
    response = client.get("/t/", {"kod": f" {typed} "})
    assert response.status_code == 302
    assert response["Location"] == f"/t/{filed.tracking_code}"
    assert client.get("/t/").status_code == 200


def test_lookup_form_refuses_what_is_no_code(client, hatay):
    response = client.get("/t/", {"kod": "ABC"})
    assert response.status_code == 400
    with translation.override("tr"):
        expected = str(views.CODE_INVALID) % {"code": "ABC"}
    assert cell(text(response), "form-error") == expected


@pytest.mark.parametrize(
    ("typed", "characters"),
    [
        ("ABC-DEFG", "B"),  # the right shape, one letter never used
        ("abc-defg", "B"),  # small letters
        ("SOL 1580", "S, O, L, 1, 5, 8, 0"),  # a space for the dash
        ("ÇÖP-4TXR", "Ç, Ö"),  # Turkish letters
    ],
)
def test_lookup_form_names_the_characters_codes_never_use(
    client, hatay, typed, characters
):
    response = client.get("/t/", {"kod": typed})

    assert response.status_code == 400
    assert cell(text(response), "form-error") == (
        f"“{typed}” bir takip kodu değil: takip kodlarında hiç kullanılmayan "
        f"harf veya rakamlar var ({characters}). Karışmasınlar diye takip "
        "kodlarında O, I, L, S, B, Z, U, V harfleri, Türkçe harfler ve 0, 1, 2, "
        "5, 8 rakamları kullanılmaz; kodu size verilen kodla karşılaştırın."
    )


def test_only_public_photos_are_shown_and_served(client, filed):
    private = photo_store(filed, jpeg(), is_public=False)
    public = photo_store(filed, jpeg(size=(60, 40)), is_public=True)
    page = text(client.get(f"/t/{filed.tracking_code}"))
    public_url = f"/t/{filed.tracking_code}/foto/{public.pk}"
    private_url = f"/t/{filed.tracking_code}/foto/{private.pk}"
    assert f'src="{public_url}"' in page
    assert private_url not in page
    served = client.get(public_url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert served["Cache-Control"] == "no-cache"  # withdrawn means gone
    assert b"".join(served.streaming_content) == public.image.open("rb").read()
    assert client.get(private_url).status_code == 404
    # A public photo is not reachable through another request's code.
    other = client.post("/basvuru/", form_data(kvkk_read="on"))
    other_code = other["Location"].rstrip("/").rsplit("/", 1)[1]
    assert client.get(f"/t/{other_code}/foto/{public.pk}").status_code == 404


def test_the_media_folder_is_not_served(client, filed):
    photo = photo_store(filed, jpeg(), is_public=False)
    assert Photo.objects.filter(pk=photo.pk).exists()
    assert client.get(f"/media/{photo.image.name}").status_code == 404


def test_kvkk_notice_page(client, hatay):
    response = client.get("/kvkk/")
    assert response.status_code == 200
    page = text(response)
    assert cell(page, "kvkk-controller") == "Hatay Büyükşehir Belediyesi"
    assert "KVKK m. 11 uyarınca haklarınız" in page


def test_tracking_shows_what_staff_approved_and_hides_what_they_withdrew(
    client, filed, make_staff
):
    staff = make_staff("body_staff", body="ANTAKYA")
    photo = photo_store(filed, jpeg(), is_public=False)
    url, photo_url = f"/t/{filed.tracking_code}", f"/t/{filed.tracking_code}/foto/"
    page = text(client.get(url))
    assert cell(page, "description") is None and photo_url not in page

    public_text_set(filed, "Taşan konteyner bildirildi", actor=staff)
    photo_publish(photo, True, actor=staff)
    page = text(client.get(url))
    assert cell(page, "description") == "Taşan konteyner bildirildi"
    assert f'src="{photo_url}{photo.pk}"' in page
    assert DESCRIPTION not in page

    public_text_set(filed, "", actor=staff)
    photo_publish(photo, False, actor=staff)
    page = text(client.get(url))
    assert cell(page, "description") is None and photo_url not in page
    assert client.get(f"{photo_url}{photo.pk}").status_code == 404
