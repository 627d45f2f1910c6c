"""The actions on a request's page: each one's outcome and what it says."""

import pytest
from django.test import Client
from django.utils import translation

from geopool.models import (
    Body,
    Crew,
    Event,
    Note,
    ServiceRequest,
    Status,
    Transfer,
    TransferState,
)
from geopool.services.workflow import (
    coordinator_assign,
    status_change,
    transfer_answer,
    transfer_propose,
)
from geopool.web.l10n import datetime_text
from geopool.web.requestpages import actions
from tests.web.helpers import point_inside
from tests.web.requestpages.conftest import page_url
from tests.web.requestpages.html import elements, field, messages, text, texts

pytestmark = pytest.mark.django_db


def _post(client, item, action, data=None):
    """POST an action and follow the redirect back to the page."""
    return client.post(page_url(item, action), data or {}, follow=True)


def _fresh(item):
    return ServiceRequest.objects.select_related("owner_body").get(pk=item.pk)


# -- statuses --------------------------------------------------------------------


def test_accepting_changes_the_status_and_says_so(as_user, new_request):
    item = new_request()
    response = _post(as_user("antakya"), item, "status", {"to": "accepted"})
    assert response.redirect_chain == [(page_url(item), 302)]
    assert messages(response.content) == ["Durum artık “Kabul edildi”."]
    assert text(response.content, "status") == "Kabul edildi"
    assert _fresh(item).status == Status.ACCEPTED


def test_a_move_the_table_forbids_is_refused_with_the_allowed_moves(
    as_user, new_request
):
    item = new_request()
    response = as_user("antakya").post(page_url(item, "status"), {"to": "closed"})
    assert response.status_code == 409
    assert messages(response.content) == [
        "Durumu “Yeni” olan bir başvuru “Kapatıldı” olamaz; buradan şunlar "
        "olabilir: Atandı, Bilgi bekleniyor, Kabul edildi, Mükerrer, Reddedildi."
    ]
    assert _fresh(item).status == Status.NEW


def test_an_unknown_status_is_refused_not_a_500(as_user, new_request):
    item = new_request()
    response = as_user("antakya").post(page_url(item, "status"), {"to": "flying"})
    assert response.status_code == 400
    assert messages(response.content) == [
        "Kaydedilmedi: Yeni durum: “flying” bir durum değil."
    ]


def test_resolving_needs_the_answer_and_keeps_what_was_typed(
    as_user, new_request, person
):
    item = new_request()
    status_change(item, Status.ACCEPTED, actor=person("antakya"))
    client = as_user("antakya")
    response = client.post(
        page_url(item, "status"), {"to": "resolved", "note": "Ekip gitti"}
    )
    # Missing input, not a conflict: the same person fills the answer in.
    assert response.status_code == 400
    assert messages(response.content) == [
        "Çözmek veya reddetmek için vatandaşa bir yanıt gerekir (yasanın istediği "
        "gerekçeli yanıt); yanıt alanına yazın."
    ]
    assert field(response.content, "status-form", "note").text() == "Ekip gitti"
    assert _fresh(item).status == Status.ACCEPTED

    response = _post(
        client,
        item,
        "status",
        {"to": "resolved", "answer": "Konteyner boşaltıldı.", "note": "Ekip gitti"},
    )
    assert messages(response.content) == ["Durum artık “Çözüldü”."]
    assert texts(response.content, "answer")[0].startswith("Konteyner boşaltıldı.")
    assert [t.split(" ")[0] for t in texts(response.content, "note")] == ["Ekip"]
    assert text(response.content, "sla").startswith(
        "Durdu: başvuru “Çözüldü” durumunda."
    )
    fresh = _fresh(item)
    with translation.override("tr"):
        answered, due = (
            datetime_text(fresh.answered_at),
            datetime_text(fresh.legal_due_at),
        )
    assert text(response.content, "legal") == (
        f"{answered} tarihinde yanıtlandı (son tarih {due})."
    )
    assert fresh.status == Status.RESOLVED


def test_a_transfer_waiting_blocks_a_status_change(as_user, new_request, person):
    item = new_request()
    transfer_propose(item, "DEFNE", "wrong_location", actor=person("antakya"))
    response = as_user("antakya").post(page_url(item, "status"), {"to": "accepted"})
    assert response.status_code == 409
    assert messages(response.content) == [
        "Bu başvurunun devri yanıt bekliyor; devri geri alın veya diğer kurumun "
        "yanıtını bekleyin."
    ]


def test_operators_cannot_work_a_request_even_of_their_own_body(as_user, new_request):
    item = new_request(category="DIGER")
    assert item.owner_body.code == "HBB"
    response = as_user("operator").post(page_url(item, "status"), {"to": "accepted"})
    assert response.status_code == 403
    assert messages(response.content) == [str(actions.WORK_REFUSED)]
    assert _fresh(item).status == Status.NEW


def test_a_former_owner_reads_but_no_longer_works_the_request(
    as_user, new_request, person
):
    item = new_request()
    transfer = transfer_propose(
        item, "DEFNE", "wrong_location", actor=person("antakya")
    )
    transfer_answer(transfer, True, actor=person("defne"))
    client = as_user("antakya")
    assert client.get(page_url(item)).status_code == 200
    response = client.post(page_url(item, "note"), {"text": "Bizden çıktı"})
    assert response.status_code == 403
    # Its page may still be open from before the transfer: it says why.
    assert messages(response.content) == [
        "Bu başvuru Defne Belediyesi kurumuna ait; bunu yalnızca onun personeli "
        "veya bir havuz koordinatörü yapabilir."
    ]
    assert not Note.objects.filter(request=item).exists()
    # Withdrawing the transfer already accepted names its state.
    response = client.post(page_url(item, f"transfers/{transfer.pk}/withdraw"))
    assert response.status_code == 409
    assert messages(response.content) == [
        "Yalnızca yanıt bekleyen bir devir geri alınabilir; bu devir “Kabul edildi”."
    ]


def test_posts_need_the_csrf_token(person, new_request):
    item = new_request()
    client = Client(enforce_csrf_checks=True)
    client.force_login(person("antakya"))
    response = client.post(page_url(item, "status"), {"to": "accepted"})
    assert response.status_code == 403
    assert _fresh(item).status == Status.NEW


def test_actions_answer_only_posts(as_user, new_request):
    item = new_request()
    assert as_user("antakya").get(page_url(item, "status")).status_code == 405


# -- answers and notes -----------------------------------------------------------


def test_an_answer_is_recorded_and_stops_the_legal_clock(as_user, new_request):
    item = new_request()
    response = _post(
        as_user("antakya"), item, "answer", {"text": "Yarın sabah toplanacak."}
    )
    assert messages(response.content) == ["Vatandaşa yanıt kaydedildi."]
    [answer] = texts(response.content, "answer")
    assert answer.startswith("Yarın sabah toplanacak. ")
    assert answer.endswith("antakya · Antakya Belediyesi")
    assert _fresh(item).answered_at is not None
    assert _fresh(item).status == Status.NEW


def test_an_empty_answer_is_refused(as_user, new_request):
    item = new_request()
    response = as_user("antakya").post(page_url(item, "answer"), {"text": "  "})
    assert response.status_code == 400
    assert messages(response.content) == [
        "Kaydedilmedi: Vatandaşa yanıt: Bu alan zorunlu."
    ]


def test_a_note_is_added_for_staff_only(as_user, new_request):
    item = new_request()
    response = _post(as_user("antakya"), item, "note", {"text": "Ekip <b>yolda</b>"})
    assert messages(response.content) == ["Not eklendi."]
    [note] = texts(response.content, "note")
    assert note.startswith("Ekip <b>yolda</b> ")  # escaped, not markup
    assert Note.objects.get(request=item).text == "Ekip <b>yolda</b>"


# -- assignment ------------------------------------------------------------------


@pytest.fixture
def crews(hatay):
    return {
        "antakya": Crew.objects.create(
            body=Body.objects.get(code="ANTAKYA"), name="Temizlik Ekibi 1"
        ),
        "defne": Crew.objects.create(
            body=Body.objects.get(code="DEFNE"), name="Defne Ekibi"
        ),
    }


def test_a_manager_assigns_a_crew_of_the_body(as_user, new_request, crews):
    item = new_request()
    response = _post(
        as_user("antakya_manager"), item, "assign", {"crew": crews["antakya"].pk}
    )
    assert messages(response.content) == ["Atandı: Temizlik Ekibi 1."]
    assert text(response.content, "crew") == "Temizlik Ekibi 1"
    assert text(response.content, "status") == "Atandı"


def test_staff_without_the_assign_right_are_refused(as_user, new_request, crews):
    item = new_request()
    response = as_user("antakya").post(
        page_url(item, "assign"), {"crew": crews["antakya"].pk}
    )
    assert response.status_code == 403
    assert messages(response.content) == [str(actions.ASSIGN_REFUSED)]
    assert _fresh(item).assigned_crew is None


def test_a_crew_of_another_body_cannot_be_chosen(as_user, new_request, crews):
    item = new_request()
    client = as_user("antakya_manager")
    response = client.post(page_url(item, "assign"), {"crew": crews["defne"].pk})
    assert response.status_code == 400
    assert messages(response.content) == [
        "Kaydedilmedi: Ekip: Geçerli bir seçenek seçin. Bu seçenek, mevcut "
        "seçeneklerden biri değil."
    ]
    response = client.post(page_url(item, "assign"), {})
    assert messages(response.content) == [
        "Kaydedilmedi: Bir birim, bir ekip ya da ikisini seçin."
    ]
    assert _fresh(item).assigned_crew is None


# -- transfers -------------------------------------------------------------------


def test_a_transfer_is_proposed_and_accepted(as_user, new_request):
    item = new_request()
    response = _post(
        as_user("antakya"),
        item,
        "transfer",
        {"to_body": Body.objects.get(code="DEFNE").pk, "reason": "wrong_location"},
    )
    assert messages(response.content) == [
        "Defne Belediyesi kurumuna devir önerildi; yanıtlanana kadar SLA süresi "
        "durduruldu."
    ]
    [row] = elements(response.content, data_testid="transfer")
    assert row.attrs["data-state"] == "pending"
    assert row.text().startswith(
        "Antakya Belediyesi → Defne Belediyesi Yanıt bekliyor Neden: Yanlış konum"
    )
    transfer = Transfer.objects.get(request=item)

    response = _post(
        as_user("defne"),
        item,
        f"transfers/{transfer.pk}/answer",
        {"decision": "accept"},
    )
    assert messages(response.content) == [
        "Devir kabul edildi: başvuru artık Defne Belediyesi kurumunda."
    ]
    assert text(response.content, "owner") == "Defne Belediyesi"
    assert text(response.content, "status") == "Kabul edildi"
    assert text(response.content, "transfer-state") == "Kabul edildi"
    assert (_fresh(item).owner_body.code, _fresh(item).status) == (
        "DEFNE",
        Status.ACCEPTED,
    )


def test_refusing_needs_a_reason_and_sends_it_to_the_coordinator(
    as_user, new_request, person
):
    item = new_request()
    transfer = transfer_propose(item, "DEFNE", "not_our_duty", actor=person("antakya"))
    client = as_user("defne")
    url = f"transfers/{transfer.pk}/answer"
    response = client.post(page_url(item, url), {"decision": "refuse"})
    assert response.status_code == 400
    assert messages(response.content) == [
        "Devrin neden reddedildiğini yazın (gerekçe alanı)."
    ]
    response = _post(client, item, url, {"decision": "refuse", "note": "Bizim değil"})
    assert messages(response.content) == [
        "Devir reddedildi: başvuru, karar vermesi için havuz koordinatörüne gidiyor."
    ]
    assert text(response.content, "triage") == "Koordinatörün ön inceleme kuyruğunda"
    fresh = _fresh(item)
    assert (fresh.owner_body.code, fresh.needs_triage) == ("ANTAKYA", True)
    assert Transfer.objects.get(pk=transfer.pk).state == TransferState.REFUSED


def test_the_owner_cannot_answer_its_own_offer(as_user, new_request, person):
    item = new_request()
    transfer = transfer_propose(item, "DEFNE", "not_our_duty", actor=person("antakya"))
    response = as_user("antakya_2").post(
        page_url(item, f"transfers/{transfer.pk}/answer"), {"decision": "accept"}
    )
    assert response.status_code == 403
    assert messages(response.content) == [
        "Bu devri yalnızca devir yetkisi olan Defne Belediyesi personeli (veya bir "
        "havuz koordinatörü) yanıtlayabilir."
    ]
    assert Transfer.objects.get(pk=transfer.pk).state == TransferState.PENDING


def test_a_second_answer_is_told_the_first_one_won(as_user, new_request, person):
    item = new_request()
    transfer = transfer_propose(item, "DEFNE", "not_our_duty", actor=person("antakya"))
    url = page_url(item, f"transfers/{transfer.pk}/answer")
    as_user("defne").post(url, {"decision": "accept"}, follow=True)
    response = as_user("defne_2").post(url, {"decision": "refuse", "note": "Hayır"})
    assert response.status_code == 409
    assert messages(response.content) == ["Bu devir zaten yanıtlandı: Kabul edildi."]
    # The page shows the transfer as it is now: answered, nothing to answer.
    assert text(response.content, "transfer-state") == "Kabul edildi"
    assert texts(response.content, "transfer-answer-form") == []


def test_the_owner_withdraws_its_proposal(as_user, new_request, person):
    item = new_request()
    transfer = transfer_propose(item, "DEFNE", "not_our_duty", actor=person("antakya"))
    url = f"transfers/{transfer.pk}/withdraw"
    response = as_user("defne").post(page_url(item, url))
    assert response.status_code == 403
    assert messages(response.content) == [
        "Bu başvuru Antakya Belediyesi kurumuna ait; bunu yalnızca onun personeli "
        "veya bir havuz koordinatörü yapabilir."
    ]
    response = _post(as_user("antakya"), item, url)
    assert messages(response.content) == [
        "Defne Belediyesi kurumuna devir önerisi geri alındı."
    ]
    assert text(response.content, "transfer-state") == "Geri alındı"
    assert elements(response.content, data_testid="sla")[0].attrs["data-state"] == (
        "running"
    )
    response = as_user("antakya").post(page_url(item, url))
    assert response.status_code == 409
    assert messages(response.content) == [
        "Yalnızca yanıt bekleyen bir devir geri alınabilir; bu devir “Geri alındı”."
    ]


def test_a_transfer_of_another_request_is_404(as_user, new_request, person):
    item, other = new_request(), new_request()
    transfer = transfer_propose(other, "DEFNE", "not_our_duty", actor=person("antakya"))
    response = as_user("defne").post(
        page_url(item, f"transfers/{transfer.pk}/answer"), {"decision": "accept"}
    )
    assert response.status_code == 404


# -- coordinators ----------------------------------------------------------------


def test_a_coordinator_gives_the_request_to_any_body(as_user, new_request):
    item = new_request()
    hatsu = Body.objects.get(code="HATSU")
    response = as_user("antakya").post(
        page_url(item, "coordinator-assign"), {"body": hatsu.pk}
    )
    assert response.status_code == 403
    assert messages(response.content) == [
        "Bunu yalnızca bir havuz koordinatörü yapabilir."
    ]
    response = _post(
        as_user("coordinator"),
        item,
        "coordinator-assign",
        {"body": hatsu.pk, "note": "Su borusu"},
    )
    assert messages(response.content) == [
        "Başvuru artık Hatay Su ve Kanalizasyon İdaresi (HATSU) kurumunda."
    ]
    assert text(response.content, "owner") == (
        "Hatay Su ve Kanalizasyon İdaresi (HATSU)"
    )
    assert text(response.content, "decision-explanation") == (
        "Havuz koordinatörü Hatay Su ve Kanalizasyon İdaresi (HATSU) kurumuna "
        "verdi: Su borusu"
    )


def test_routing_again_gives_it_back_to_the_rules_owner(
    as_user, new_request, person, crews
):
    item = new_request()
    coordinator_assign(item, "DEFNE", actor=person("coordinator"))
    item.assigned_crew = crews["defne"]
    item.save(update_fields=["assigned_crew"])
    status_change(item, Status.ACCEPTED, actor=person("defne"))
    assert as_user("defne").post(page_url(item, "reroute")).status_code == 403
    response = _post(as_user("coordinator"), item, "reroute")
    assert messages(response.content) == [
        "Yeniden yönlendirildi. Sahibi: Antakya Belediyesi. Çöp toplama ve "
        "konteyner, Antakya ilçe sınırı içinde, kural ILCE-HIZMETLERI: Antakya "
        "Belediyesi"
    ]
    fresh = _fresh(item)
    # The new owner starts afresh: no crew of the old one, status new.
    assert (fresh.owner_body.code, fresh.status, fresh.assigned_crew) == (
        "ANTAKYA",
        Status.NEW,
        None,
    )
    assert fresh.sla_running_since is not None
    assert list(
        Event.objects.filter(object_id=str(item.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )[-3:] == ["request.route", "request.reroute", "request.status"]


# -- category and pin ------------------------------------------------------------


def test_an_operator_moves_the_pin_and_the_request_follows(as_user, new_request):
    item = new_request()
    defne = point_inside("Defne")
    response = _post(
        as_user("operator"),
        item,
        "change",
        {"category": item.category_id, "lat": defne["lat"], "lon": defne["lon"]},
    )
    [message] = messages(response.content)
    assert message.startswith(
        "Değiştirildi ve yeniden yönlendirildi. Sahibi: Defne Belediyesi. "
        "Çöp toplama ve konteyner, Defne ilçe sınırı içinde"
    )
    assert text(response.content, "owner") == "Defne Belediyesi"
    fresh = _fresh(item)
    assert fresh.owner_body.code == "DEFNE"
    assert (round(fresh.location.x, 6), round(fresh.location.y, 6)) == (
        round(defne["lon"], 6),
        round(defne["lat"], 6),
    )
    change = Event.objects.get(action="request.change", object_id=str(item.pk))
    assert change.actor.username == "operator"


def test_a_pin_typed_with_decimal_commas_is_read(as_user, new_request):
    item = new_request()
    response = _post(
        as_user("operator"),
        item,
        "change",
        {"category": item.category_id, "lat": "36,2025", "lon": "36,161"},
    )
    assert messages(response.content)[0].startswith(
        "Değiştirildi ve yeniden yönlendirildi. Sahibi: Antakya Belediyesi."
    )
    fresh = _fresh(item)
    assert (fresh.location.x, fresh.location.y) == (36.161, 36.2025)


def test_a_new_category_goes_to_its_owner(as_user, new_request):
    item = new_request()
    su = item.category.__class__.objects.get(code="SU")
    response = _post(
        as_user("antakya"),
        item,
        "change",
        {"category": su.pk, "lat": "36.202100", "lon": "36.160300"},
    )
    assert messages(response.content)[0].startswith(
        "Değiştirildi ve yeniden yönlendirildi. Sahibi: Hatay Su ve Kanalizasyon "
        "İdaresi (HATSU)."
    )
    assert text(response.content, "category") == "Su arızası veya kesintisi (SU)"


@pytest.mark.parametrize(
    "lat, lon, message",
    [
        # Only one of the two.
        (
            "36.2021",
            "",
            "Kaydedilmedi: Enlemi ve boylamı birlikte verin ya da ikisini de boş "
            "bırakın.",
        ),
        # Not a number at all.
        (
            "kuzey",
            "36.1603",
            "Kaydedilmedi: Enlem (kuzey, ör. 36.2021): “kuzey” bir derece değeri "
            "değil; 36.2021 gibi yazın (ondalık virgül de olur: 36,2021).",
        ),
        # A wrong longitude: its own example, not the latitude's.
        (
            "36.2021",
            "doğu",
            "Kaydedilmedi: Boylam (doğu, ör. 36.1603): “doğu” bir derece değeri "
            "değil; 36.1603 gibi yazın (ondalık virgül de olur: 36,1603).",
        ),
        # Beyond the service area (Ankara).
        (
            "39.92",
            "32.85",
            "Değiştirilmedi: bu nokta hizmet alanının dışında, her ilçeden uzakta. "
            "Enlemi ve boylamı denetleyin (ondalık noktalı derece, yer "
            "değiştirmemiş).",
        ),
    ],
)
def test_a_wrong_pin_is_refused_and_nothing_changes(
    as_user, new_request, lat, lon, message
):
    item = new_request()
    response = as_user("operator").post(
        page_url(item, "change"),
        {"category": item.category_id, "lat": lat, "lon": lon},
    )
    assert response.status_code == 400
    assert messages(response.content) == [message]
    fresh = _fresh(item)
    assert (fresh.owner_body.code, fresh.location) == ("ANTAKYA", item.location)
    assert not Event.objects.filter(action="request.change").exists()


def test_changing_nothing_says_so(as_user, new_request):
    item = new_request()
    response = _post(
        as_user("operator"),
        item,
        "change",
        {"category": item.category_id, "lat": "36.2021", "lon": "36.1603"},
    )
    assert messages(response.content) == [str(actions.NOTHING_CHANGED)]


def test_the_pin_stays_while_a_transfer_waits(as_user, new_request, person):
    item = new_request()
    transfer_propose(item, "DEFNE", "wrong_location", actor=person("antakya"))
    response = as_user("operator").post(
        page_url(item, "change"),
        {"category": item.category_id, "lat": "36.21", "lon": "36.16"},
    )
    assert response.status_code == 409
    assert messages(response.content) == [str(actions.REROUTE_PENDING)]


def test_other_bodies_cannot_change_the_pin(as_user, new_request, person):
    item = new_request()
    transfer_propose(item, "DEFNE", "wrong_location", actor=person("antakya"))
    response = as_user("defne").post(
        page_url(item, "change"),
        {"category": item.category_id, "lat": "36.21", "lon": "36.16"},
    )
    assert response.status_code == 403
    assert messages(response.content) == [str(actions.CHANGE_NOT_ALLOWED)]
