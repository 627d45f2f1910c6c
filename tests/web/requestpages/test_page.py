"""A request's staff page: who may open it and what it says."""

import datetime as dt

import pytest
import time_machine

from geopool.models import ServiceRequest, Status
from geopool.services.history import history_import
from geopool.services.workflow import (
    note_add,
    status_change,
    transfer_answer,
    transfer_propose,
)
from geopool.worktime import ISTANBUL
from tests.geopool.test_import_requests import row, write_csv
from tests.web.requestpages.conftest import page_url
from tests.web.requestpages.html import elements, options, text, texts

pytestmark = pytest.mark.django_db

# Friday 4 December 2026, 16:00: COP's 8 working hours end on Monday 16:00.
FRIDAY = dt.datetime(2026, 12, 4, 16, 0, tzinfo=ISTANBUL)


def test_anonymous_visitors_are_sent_to_log_in(client, new_request):
    item = new_request()
    response = client.get(page_url(item))
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/requests/{item.tracking_code}/"


def test_another_bodys_request_is_404_like_a_code_that_does_not_exist(
    as_user, new_request
):
    item = new_request()
    client = as_user("iskenderun")
    assert client.get(page_url(item)).status_code == 404
    assert client.get("/requests/AAA-AAAA/").status_code == 404
    # Its photos and actions are hidden the same way.
    assert client.get(f"{page_url(item)}photos/1/").status_code == 404
    response = client.post(page_url(item, "status"), {"to": "accepted"})
    assert response.status_code == 404
    item.refresh_from_db()
    assert item.status == Status.NEW


def test_owner_staff_see_what_the_request_is_and_why_they_own_it(as_user, new_request):
    with time_machine.travel(FRIDAY, tick=False):
        item = new_request()
        page = as_user("antakya").get(page_url(item)).content.decode()
    assert text(page, "tracking-code") == item.tracking_code
    assert text(page, "category") == "Çöp toplama ve konteyner (COP)"
    assert text(page, "status") == "Yeni"
    assert text(page, "priority") == "Normal"
    assert text(page, "channel") == "Telefon"
    assert text(page, "received") == "4 Aralık 2026 16:00"
    assert text(page, "owner") == "Antakya Belediyesi"
    assert (text(page, "department"), text(page, "crew")) == ("—", "—")
    assert text(page, "description") == "Konteyner taştı"
    assert text(page, "address") == "Kışla Mah. Atatürk Cad. No:5 Antakya/Hatay"
    assert text(page, "location") == "enlem 36.202100, boylam 36.160300"
    assert text(page, "decision-rule") == "ILCE-HIZMETLERI"
    assert text(page, "decision-explanation") == (
        "Çöp toplama ve konteyner, Antakya ilçe sınırı içinde, kural "
        "ILCE-HIZMETLERI: Antakya Belediyesi"
    )
    # 8 working hours: 1 on Friday, 7 on Monday (lunch excluded).
    assert text(page, "sla") == (
        "Son tarih: 7 Aralık 2026 16:00. (hedef: 8 sa iş süresi)"
    )
    assert text(page, "legal") == (
        "En geç 3 Ocak 2027 16:00 tarihine kadar yanıtlanmalı."
    )


def test_the_caller_is_shown_masked(as_user, new_request):
    item = new_request()
    page = as_user("antakya").get(page_url(item)).content.decode()
    shown = {
        node.attrs["data-field"]: node.text()
        for node in elements(page, data_testid="contact-masked")[0].walk()
        if "data-field" in node.attrs
    }
    assert shown == {"name": "A*** Y***", "phone": "0532 *** ** 17"}
    assert "05321234517" not in page
    assert "Yılmaz" not in page


def test_the_sla_clock_is_paused_while_a_transfer_waits(as_user, new_request, person):
    with time_machine.travel(FRIDAY, tick=False):
        item = new_request()
    with time_machine.travel(FRIDAY + dt.timedelta(minutes=30), tick=False):
        transfer_propose(item, "DEFNE", "wrong_location", actor=person("antakya"))
        page = as_user("antakya").get(page_url(item)).content.decode()
    [sla] = elements(page, data_testid="sla")
    assert sla.attrs["data-state"] == "paused"
    assert sla.text() == (
        "durduruldu Devir yanıt beklerken durduruldu. "
        "(8 sa iş süresinin 30 dk kadarı kullanıldı)"
    )
    # The status cannot change meanwhile, and the page says why.
    assert texts(page, "status-form") == []
    assert text(page, "status-blocked") == (
        "Bir devir yanıt bekliyor: yanıtlanana veya geri alınana kadar durum "
        "değiştirilemez."
    )


def test_the_sla_clock_is_paused_while_waiting_for_information(
    as_user, new_request, person
):
    item = new_request()
    status_change(item, Status.WAITING_INFO, actor=person("antakya"))
    page = as_user("antakya").get(page_url(item)).content.decode()
    assert text(page, "sla").startswith(
        "durduruldu Başvuru bilgi beklerken durduruldu."
    )


def test_an_overdue_request_is_highlighted(as_user, new_request):
    with time_machine.travel(FRIDAY, tick=False):
        item = new_request()
    with time_machine.travel(FRIDAY + dt.timedelta(days=3, hours=1), tick=False):
        page = as_user("antakya").get(page_url(item)).content.decode()
    [sla] = elements(page, data_testid="sla")
    assert sla.attrs["data-state"] == "overdue"
    assert "text-danger" in sla.attrs["class"]
    assert sla.text() == (
        "süresi geçti 7 Aralık 2026 16:00 itibarıyla süresi geçti. "
        "(hedef: 8 sa iş süresi)"
    )


def test_an_anonymous_report_has_no_legal_deadline_and_no_contact(as_user, new_request):
    item = new_request(anonymous=True)
    page = as_user("antakya").get(page_url(item)).content.decode()
    assert text(page, "legal") == ("Yok: anonim ihbarların yasal yanıt süresi yoktur.")
    assert text(page, "no-contact") == "Anonim ihbar: iletişim bilgisi saklanmaz."
    assert texts(page, "reveal-form") == []


def test_only_the_moves_the_table_allows_are_offered(as_user, new_request, person):
    item = new_request()
    client = as_user("antakya")
    page = client.get(page_url(item)).content.decode()
    assert options(page, "to") == [
        "Atandı",
        "Kabul edildi",
        "Bilgi bekleniyor",
        "Reddedildi",
        "Mükerrer",
    ]
    status_change(item, Status.ACCEPTED, actor=person("antakya"))
    page = client.get(page_url(item)).content.decode()
    assert options(page, "to") == [
        "Atandı",
        "İşlemde",
        "Bilgi bekleniyor",
        "Çözüldü",
        "Mükerrer",
    ]


def test_who_sees_which_actions(as_user, new_request, person):
    item = new_request()
    transfer_propose(item, "DEFNE", "not_our_duty", actor=person("antakya"))
    # The receiving body may answer the offer, and do nothing else.
    page = as_user("defne").get(page_url(item)).content.decode()
    assert len(texts(page, "transfer-answer-form")) == 1
    for card in ("status-form", "note-form", "transfer-form", "reveal-form"):
        assert texts(page, card) == [], card
    # The owner may withdraw it but not answer it.
    page = as_user("antakya").get(page_url(item)).content.decode()
    assert len(texts(page, "transfer-withdraw-form")) == 1
    assert texts(page, "transfer-answer-form") == []
    # Operators correct the pin and read the masked caller; no "show".
    page = as_user("operator").get(page_url(item)).content.decode()
    assert len(texts(page, "change-form")) == 0  # blocked while pending
    assert texts(page, "reveal-form") == []
    assert "0532 *** ** 17" in page
    # Planners see everything read-only.
    page = as_user("planner").get(page_url(item)).content.decode()
    assert text(page, "read-only") == (
        "Bu başvuruyu okuyabilirsiniz; üzerinde yapabileceğiniz bir işlem yok."
    )


def test_operators_may_correct_the_pin(as_user, new_request):
    item = new_request()
    page = as_user("operator").get(page_url(item)).content.decode()
    assert len(texts(page, "change-form")) == 1
    assert texts(page, "status-form") == []


def test_possible_duplicates_are_listed_when_the_user_may_see_them(
    as_user, new_request, person
):
    first = new_request()
    # 20 m east of the first: within COP's 50 m and 24 h.
    second = new_request(point=(36.1605, 36.2021))
    page = as_user("antakya").get(page_url(second)).content.decode()
    assert texts(page, "duplicate") == [
        f"{first.tracking_code} 18 m Yeni {text(page, 'received')}"
    ]
    # Defne, offered the second, may not see Antakya's first.
    transfer_propose(second, "DEFNE", "wrong_location", actor=person("antakya"))
    page = as_user("defne").get(page_url(second)).content.decode()
    assert texts(page, "duplicate") == []
    assert first.tracking_code not in page


def test_the_history_lists_every_event_oldest_first(as_user, new_request, person):
    start = FRIDAY
    with time_machine.travel(start, tick=False):
        item = new_request()
    with time_machine.travel(start + dt.timedelta(minutes=5), tick=False):
        status_change(item, Status.ACCEPTED, actor=person("antakya"))
    with time_machine.travel(start + dt.timedelta(minutes=10), tick=False):
        note_add(item, "Ekip yolda", actor=person("antakya"))
    with time_machine.travel(start + dt.timedelta(minutes=15), tick=False):
        transfer_propose(
            item, "DEFNE", "wrong_location", actor=person("antakya"), note="Defne'de"
        )
    page = as_user("antakya").get(page_url(item)).content.decode()
    rows = [
        (node.attrs["data-action"], node.text())
        for node in elements(page, data_testid="event")
    ]
    assert rows == [
        (
            "request.route",
            "4 Aralık 2026 16:00 Sistem Yönlendirildi "
            "Sahibi: Antakya Belediyesi Kural: ILCE-HIZMETLERI",
        ),
        (
            "request.create",
            f"4 Aralık 2026 16:00 Sistem Başvuru alındı "
            f"Takip kodu: {item.tracking_code} Kategori: Çöp toplama ve konteyner "
            "Kanal: Telefon",
        ),
        (
            "request.status",
            "4 Aralık 2026 16:05 antakya (Antakya Belediyesi) Durum değişti "
            "Durum: Yeni → Kabul edildi",
        ),
        (
            "request.note",
            "4 Aralık 2026 16:10 antakya (Antakya Belediyesi) İç not eklendi "
            "Not: Ekip yolda",
        ),
        (
            "transfer.propose",
            "4 Aralık 2026 16:15 antakya (Antakya Belediyesi) Devir önerildi "
            "Sahibi: Antakya Belediyesi Devredilen: Defne Belediyesi "
            "Neden: Yanlış konum Not: Defne'de Anlaşmazlık: hayır",
        ),
    ]


def test_a_transfer_back_the_way_it_came_is_flagged_a_dispute(
    as_user, new_request, person
):
    item = new_request()
    first = transfer_propose(item, "DEFNE", "wrong_location", actor=person("antakya"))
    transfer_answer(first, True, actor=person("defne"), note="Tamam")
    transfer_propose(item, "ANTAKYA", "not_our_duty", actor=person("defne"))
    page = as_user("antakya").get(page_url(item)).content.decode()
    assert text(page, "disputed") == "Anlaşmazlık: karşılıklı devredildi"
    rows = elements(page, data_testid="transfer")
    assert [row.attrs["data-state"] for row in rows] == ["accepted", "pending"]
    assert texts(page, "transfer-dispute") == ["anlaşmazlık"]
    assert (
        rows[0]
        .text()
        .startswith(
            "Antakya Belediyesi → Defne Belediyesi Kabul edildi Neden: Yanlış konum "
            "Öneren: antakya (Antakya Belediyesi), "
        )
    )
    assert "Yanıtlayan: defne (Defne Belediyesi), " in rows[0].text()
    assert rows[0].text().endswith(" — Tamam")
    assert (
        rows[1]
        .text()
        .startswith(
            "Defne Belediyesi → Antakya Belediyesi Yanıt bekliyor anlaşmazlık "
            "Neden: Görev alanımız değil"
        )
    )


def test_history_names_routing_flags_in_turkish(as_user, new_request):
    item = new_request(category="GAZ")
    page = as_user("coordinator").get(page_url(item)).content.decode()
    rows = " ".join(texts(page, "event"))
    assert "İşaretler" in rows
    assert "acil" in rows
    assert "urgent" not in rows


def test_an_imported_requests_page_says_its_owner_is_the_recorded_one(
    as_user, tmp_path
):
    history_import(write_csv(tmp_path / "h.csv", [row("crm-1")]), commit=True)
    item = ServiceRequest.objects.get()

    page = as_user("coordinator").get(page_url(item)).content.decode()

    assert text(page, "owner") == "Hatay Büyükşehir Belediyesi"
    assert "Antakya Belediyesi" in text(page, "decision-explanation")
    assert text(page, "owner-kept") == (
        "Geçmiş kayıt: yukarıdaki sahip, eski sistemin kaydettiği kurumdur; bu "
        "açıklama bugünkü kuralların kararıdır."
    )
    assert text(page, "sla") == "Geçmiş kayıt: geopool bunun için SLA saati tutmadı."


def test_every_html_id_on_the_page_is_used_once_and_labels_find_their_field(
    as_user, new_request, person
):
    item = new_request()
    transfer_propose(item, "DEFNE", "not_our_duty", actor=person("antakya"))
    note_add(item, "İç not", actor=person("antakya"))
    # A coordinator sees the most forms; the owner the reveal and the status.
    for name in ("coordinator", "antakya", "defne"):
        page = as_user(name).get(page_url(item)).content.decode()
        nodes = elements(page)
        ids = [node.attrs["id"] for node in nodes if node.attrs.get("id")]
        assert sorted(ids) == sorted(set(ids)), name
        labelled = [node.attrs["for"] for node in nodes if node.tag == "label"]
        assert set(labelled) <= set(ids), name
    page = as_user("antakya").get(page_url(item)).content.decode()
    assert {"reveal-reason", "answer-text", "note-text"} <= {
        node.attrs.get("id") for node in elements(page)
    }
