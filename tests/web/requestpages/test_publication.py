"""What the public sees of a request: the approved text and published photos.

Staff who work the request publish or withdraw each photo and write the
public text on the request's page; the tracking page ``/t/<code>`` and
Open311 then show exactly that, and nothing before it.
"""

import html
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from geopool.models import Event, Photo, ServiceRequest
from geopool.services.photos import photo_store
from geopool.services.publication import (
    photo_publish,
    public_text_digest,
    public_text_set,
)
from geopool.services.workflow import (
    TEXT_MAX,
    TextTooLong,
    WorkflowError,
    transfer_propose,
)
from tests.web.requestpages.conftest import page_url
from tests.web.requestpages.html import elements, field, messages, text, texts

pytestmark = pytest.mark.django_db

CITIZEN = "Konteyner taştı, komşum Ali Veli 0532 111 22 33 hep buraya döküyor"
PUBLIC = "Konteyner taşması bildirildi.\nEkip yönlendirildi."
PUBLIC_READ = "Konteyner taşması bildirildi. Ekip yönlendirildi."  # as read
SAVED = "Herkese açık metin kaydedildi: takip sayfası ve Open311 artık bunu gösteriyor."
CLEARED = (
    "Herkese açık metin kaldırıldı: takip sayfası ve Open311 açıklama göstermiyor."
)
PUBLISHED = "Fotoğraf artık takip sayfasında ve Open311'de gösteriliyor."
WITHDRAWN = "Fotoğraf yayından kaldırıldı: artık herkese gösterilmiyor."
NOT_THE_OWNER = (
    "Bu başvuru Antakya Belediyesi kurumuna ait; bunu yalnızca onun "
    "personeli veya bir havuz koordinatörü yapabilir."
)
PUBLISHING = ["request.public_text", "request.photo_publish", "request.photo_withdraw"]


def _photo(item, actor=None):
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (10, 200, 40)).save(out, "JPEG")
    upload = SimpleUploadedFile("foto.jpg", out.getvalue(), content_type="image/jpeg")
    return photo_store(item, upload, actor=actor)


def _post(client, item, action, data=None):
    return client.post(page_url(item, action), data or {}, follow=True)


def _text_form(client, item, text):
    """The public text form as the page shows it, with ``text`` typed in."""
    page = client.get(page_url(item)).content.decode()
    shown = field(page, "public-text-form", "shown").attrs["value"]
    return {"text": text, "shown": shown}


def _tracking(client, item):
    return html.unescape(client.get(f"/t/{item.tracking_code}").content.decode())


def _open311(client, item):
    response = client.get(f"/open311/v2/requests/{item.tracking_code}.json")
    assert response.status_code == 200
    return response.json()[0]


def _events(item, actions=PUBLISHING):
    return list(
        Event.objects.filter(object_id=str(item.pk), action__in=actions)
        .order_by("at", "id")
        .values_list("action", "actor__username", "before", "after")
    )


def test_the_public_text_is_written_on_the_page_and_shown_publicly(
    as_user, new_request, client
):
    item = new_request(description=CITIZEN)
    staff = as_user("antakya")
    page = staff.get(page_url(item)).content.decode()
    assert text(page, "description") == CITIZEN
    assert text(page, "public-text-none") == (
        "Yok: bu başvurunun açıklaması herkese gösterilmiyor."
    )
    assert field(page, "public-text-form", "text").text() == ""
    # Before any approval the public sees no description at all.
    assert 'data-testid="description"' not in _tracking(client, item)
    assert _open311(client, item)["description"] is None

    response = _post(staff, item, "public-text", _text_form(staff, item, PUBLIC))
    assert messages(response.content) == [SAVED]
    assert ServiceRequest.objects.get(pk=item.pk).public_description == PUBLIC
    assert text(response.content, "public-text") == PUBLIC_READ
    # The form is prefilled with the current public text.
    assert field(response.content, "public-text-form", "text").text() == PUBLIC_READ
    assert _events(item) == [
        (
            "request.public_text",
            "antakya",
            {"public_text": None},
            {"public_text": PUBLIC},
        )
    ]
    [row] = [
        node.text()
        for node in elements(response.content, data_testid="event")
        if node.attrs["data-action"] == "request.public_text"
    ]
    assert row.endswith(
        "antakya (Antakya Belediyesi) Herkese açık metin değişti "
        f"Herkese açık metin: — → {PUBLIC_READ}"
    )

    client.logout()
    tracking = _tracking(client, item)
    assert "Konteyner taşması bildirildi.\nEkip yönlendirildi." in tracking
    assert "Ali Veli" not in tracking and "0532" not in tracking
    assert _open311(client, item)["description"] == PUBLIC


def test_the_public_text_is_changed_then_cleared(as_user, new_request, client):
    item = new_request()
    staff = as_user("antakya_manager")
    _post(staff, item, "public-text", _text_form(staff, item, "İlk metin"))
    response = _post(staff, item, "public-text", _text_form(staff, item, "  İkinci  "))
    assert messages(response.content) == [SAVED]
    assert ServiceRequest.objects.get(pk=item.pk).public_description == "İkinci"
    # Saving the same text again changes nothing and records nothing.
    response = _post(staff, item, "public-text", _text_form(staff, item, "İkinci"))
    assert messages(response.content) == [
        "Değişiklik yok: herkese açık metin olduğu gibi duruyor."
    ]
    response = _post(staff, item, "public-text", _text_form(staff, item, ""))
    assert messages(response.content) == [CLEARED]
    assert ServiceRequest.objects.get(pk=item.pk).public_description == ""
    assert [(before, after) for _a, _u, before, after in _events(item)] == [
        ({"public_text": None}, {"public_text": "İlk metin"}),
        ({"public_text": "İlk metin"}, {"public_text": "İkinci"}),
        ({"public_text": "İkinci"}, {"public_text": None}),
    ]
    client.logout()
    assert 'data-testid="description"' not in _tracking(client, item)
    assert _open311(client, item)["description"] is None


def test_a_public_text_over_the_limit_is_refused_and_kept(as_user, new_request):
    item = new_request()
    staff = as_user("antakya")
    typed = "x" * (TEXT_MAX + 1)
    response = staff.post(page_url(item, "public-text"), _text_form(staff, item, typed))
    assert response.status_code == 400
    assert messages(response.content) == [
        "Herkese açık metin: 5001 karakter; en fazla 5000 karakter yazın."
    ]
    assert field(response.content, "public-text-form", "text").text() == typed
    assert ServiceRequest.objects.get(pk=item.pk).public_description == ""
    assert _events(item) == []
    # Exactly the limit is fine.
    response = _post(staff, item, "public-text", _text_form(staff, item, "x" * 5000))
    assert messages(response.content) == [SAVED]


@pytest.mark.parametrize("left_out", ["shown", "text"])
def test_a_public_text_form_missing_a_field_changes_nothing(
    as_user, new_request, left_out
):
    """A hand-made post without the text it was opened with (or without any
    text) would overwrite or clear the public text unseen: refused."""
    item = new_request()
    staff = as_user("antakya")
    _post(staff, item, "public-text", _text_form(staff, item, "Konteyner boşaltıldı"))
    data = _text_form(staff, item, "Başka bir metin")
    del data[left_out]
    response = staff.post(page_url(item, "public-text"), data)
    assert response.status_code == 400
    assert (
        "Form, açıldığındaki herkese açık metin olmadan geldi; sayfayı yenileyip "
        "metni yeniden yazın."
    ) in messages(response.content)[0]
    stored = ServiceRequest.objects.get(pk=item.pk).public_description
    assert stored == "Konteyner boşaltıldı"
    assert [event[0] for event in _events(item)] == ["request.public_text"]


@pytest.mark.parametrize("hidden", ["\u202e", "\u2066", "\u2028", "\ufeff"])
def test_a_public_text_with_an_invisible_reordering_character_is_refused(
    as_user, new_request, hidden
):
    item = new_request()
    staff = as_user("antakya")
    typed = f"Konteyner {hidden}gpj.exe boşaltıldı"
    response = staff.post(page_url(item, "public-text"), _text_form(staff, item, typed))
    assert response.status_code == 400
    assert messages(response.content) == [
        f"Herkese açık metin: metnin okunuşunu değiştiren görünmez bir karakter "
        f"(U+{ord(hidden):04X}) içeriyor; onu silip yeniden kaydedin."
    ]
    # Kept as typed (read as a user reads it: U+2028 is a space to them).
    kept = field(response.content, "public-text-form", "text").text()
    assert kept == " ".join(typed.split())
    assert ServiceRequest.objects.get(pk=item.pk).public_description == ""
    assert _events(item) == []


def test_a_public_text_changed_meanwhile_is_not_overwritten(
    as_user, new_request, person
):
    item = new_request()
    staff = as_user("antakya")
    stale = _text_form(staff, item, "Benim metnim")
    public_text_set(item, "Diğerinin metni", actor=person("antakya_2"))
    response = staff.post(page_url(item, "public-text"), stale)
    assert response.status_code == 409
    assert messages(response.content) == [
        "Bu arada başka bir kullanıcı herkese açık metni değiştirdi; metin şimdi "
        "şöyle: “Diğerinin metni”. Kontrol edin; sizinki onun yerine geçecekse "
        "yeniden kaydedin."
    ]
    assert texts(response.content, "unsaved-text") == ["Benim metnim"]
    # The form now carries the new text and its digest: saving again works.
    assert field(response.content, "public-text-form", "text").text() == (
        "Diğerinin metni"
    )
    assert field(response.content, "public-text-form", "shown").attrs["value"] == (
        public_text_digest("Diğerinin metni")
    )
    assert ServiceRequest.objects.get(pk=item.pk).public_description == (
        "Diğerinin metni"
    )


def test_a_photo_is_published_and_withdrawn_on_the_page(as_user, new_request, client):
    item = new_request()
    photo = _photo(item)
    public_url = f"/t/{item.tracking_code}/foto/{photo.pk}"
    staff = as_user("antakya")
    page = staff.get(page_url(item)).content.decode()
    [state] = elements(page, data_testid="photo-state")
    assert (state.attrs["data-public"], state.text()) == ("0", "herkese açık değil")
    assert len(texts(page, "photo-publish-form")) == 1
    assert texts(page, "photo-withdraw-form") == []
    # Not published: neither the tracking page nor Open311 shows it.
    assert public_url not in _tracking(client, item)
    assert _open311(client, item)["media_url"] is None
    assert client.get(public_url).status_code == 404

    response = _post(staff, item, f"photos/{photo.pk}/publish")
    assert messages(response.content) == [PUBLISHED]
    assert Photo.objects.get(pk=photo.pk).is_public
    [state] = elements(response.content, data_testid="photo-state")
    assert (state.attrs["data-public"], state.text()) == ("1", "herkese açık")
    assert len(texts(response.content, "photo-withdraw-form")) == 1
    assert f'src="{public_url}"' in _tracking(client, item)
    assert _open311(client, item)["media_url"] == f"http://testserver{public_url}"
    assert client.get(public_url).status_code == 200

    # A second click on a stale page changes nothing and says so.
    response = _post(staff, item, f"photos/{photo.pk}/publish")
    assert messages(response.content) == [
        "Değişiklik yok: fotoğraf zaten herkese açıktı."
    ]

    response = _post(staff, item, f"photos/{photo.pk}/withdraw")
    assert messages(response.content) == [WITHDRAWN]
    assert not Photo.objects.get(pk=photo.pk).is_public
    assert public_url not in _tracking(client, item)
    assert _open311(client, item)["media_url"] is None
    assert client.get(public_url).status_code == 404
    assert _events(item, PUBLISHING[1:]) == [
        (
            "request.photo_publish",
            "antakya",
            {"public": False},
            {"photo": photo.pk, "public": True},
        ),
        (
            "request.photo_withdraw",
            "antakya",
            {"public": True},
            {"photo": photo.pk, "public": False},
        ),
    ]
    labels = [
        node.text().split(" antakya (Antakya Belediyesi) ")[1]
        for node in elements(response.content, data_testid="event")
        if node.attrs["data-action"].startswith("request.photo_")
    ]
    assert labels == [
        f"Fotoğraf yayımlandı Fotoğraf: #{photo.pk} Herkese açık: hayır → evet",
        f"Fotoğraf yayından kaldırıldı Fotoğraf: #{photo.pk} "
        "Herkese açık: evet → hayır",
    ]


@pytest.mark.parametrize("name", ["antakya", "antakya_manager", "coordinator"])
def test_the_owners_staff_and_coordinators_may_publish(as_user, new_request, name):
    item = new_request()
    photo = _photo(item)
    client = as_user(name)
    page = client.get(page_url(item)).content.decode()
    assert len(texts(page, "public-text-form")) == 1
    assert len(texts(page, "photo-publish-form")) == 1
    response = _post(client, item, f"photos/{photo.pk}/publish")
    assert messages(response.content) == [PUBLISHED]
    response = _post(client, item, "public-text", _text_form(client, item, PUBLIC))
    assert messages(response.content) == [SAVED]


def test_others_see_the_public_state_but_may_not_change_it(
    as_user, new_request, person
):
    item = new_request()
    photo = _photo(item)
    photo_publish(photo, True, actor=person("antakya"))
    public_text_set(item, PUBLIC, actor=person("antakya"))
    # Operators and planners see every request, read-only here.
    for name in ("operator", "planner"):
        client = as_user(name)
        page = client.get(page_url(item)).content.decode()
        assert text(page, "public-text") == PUBLIC_READ
        [state] = elements(page, data_testid="photo-state")
        assert state.attrs["data-public"] == "1"
        for form in ("public-text-form", "photo-publish-form", "photo-withdraw-form"):
            assert texts(page, form) == [], (name, form)
        response = client.post(page_url(item, f"photos/{photo.pk}/withdraw"))
        assert response.status_code == 403
        assert messages(response.content) == [NOT_THE_OWNER]
        response = client.post(page_url(item, "public-text"), {"text": "Başka"})
        assert response.status_code == 403
        assert messages(response.content) == [NOT_THE_OWNER]
    assert Photo.objects.get(pk=photo.pk).is_public
    assert ServiceRequest.objects.get(pk=item.pk).public_description == PUBLIC
    assert len(_events(item)) == 2


def test_a_body_the_request_is_offered_to_may_not_publish(as_user, new_request, person):
    item = new_request()
    photo = _photo(item)
    transfer_propose(item, "DEFNE", "wrong_location", actor=person("antakya"))
    client = as_user("defne")
    response = client.post(page_url(item, f"photos/{photo.pk}/publish"))
    assert response.status_code == 403
    assert messages(response.content) == [NOT_THE_OWNER]
    assert not Photo.objects.get(pk=photo.pk).is_public


def test_those_who_cannot_see_the_request_get_404(as_user, new_request):
    item = new_request()
    photo = _photo(item)
    client = as_user("iskenderun")
    assert client.post(page_url(item, f"photos/{photo.pk}/publish")).status_code == (
        404
    )
    assert client.post(page_url(item, "public-text"), {"text": "x"}).status_code == (
        404
    )
    # A photo of another request is not found under this code.
    other = new_request()
    response = as_user("antakya").post(page_url(other, f"photos/{photo.pk}/publish"))
    assert response.status_code == 404
    assert not Photo.objects.get(pk=photo.pk).is_public
    assert _events(item) == []


def test_the_services_hold_every_caller_to_the_same_rules(new_request, person):
    item = new_request()
    photo = _photo(item)
    with pytest.raises(WorkflowError):
        photo_publish(photo, True, actor=person("defne"))
    with pytest.raises(WorkflowError):
        public_text_set(item, PUBLIC, actor=person("operator"))
    with pytest.raises(TextTooLong) as refused:
        public_text_set(item, "x" * (TEXT_MAX + 1), actor=person("antakya"))
    assert refused.value.field == "public_description"
    assert not Photo.objects.get(pk=photo.pk).is_public
    assert ServiceRequest.objects.get(pk=item.pk).public_description == ""
