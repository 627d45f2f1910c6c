"""Working on requests: statuses, answers, SLA clocks, transfers, personal data."""

import datetime as dt

import pytest
import time_machine

from geopool.models import (
    Category,
    Contact,
    Event,
    Notification,
    ServiceRequest,
    Status,
    Transfer,
    TransferState,
)
from geopool.services.intake import Intake, request_create
from geopool.services.jobs import run_due_jobs
from geopool.services.personal_data import (
    PersonalDataRefused,
    contact_reveal,
    mask_email,
    mask_name,
    mask_phone,
    masked,
)
from geopool.services.workflow import (
    WorkflowError,
    answer_send,
    coordinator_assign,
    note_add,
    status_change,
    transfer_answer,
    transfer_propose,
    transfer_withdraw,
)
from geopool.visibility import requests_visible_to
from geopool.worktime import ISTANBUL
from routing_rules.models import Decision

ANTAKYA = (36.1603, 36.2021)


def local(*args):
    return dt.datetime(*args, tzinfo=ISTANBUL)


def _request(category="COP", point=ANTAKYA, at=None, contact=None, anonymous=False):
    return request_create(
        Intake(
            category=Category.objects.get(code=category),
            channel="phone",
            lon=point[0],
            lat=point[1],
            location_source="given",
            description="Konteyner taştı",
            requested_at=at,
            contact=contact
            if contact is not None
            else {"first_name": "Ayşe", "last_name": "Yılmaz", "phone": "05321234517"},
            is_anonymous=anonymous,
        )
    ).request


@pytest.fixture
def staff(make_staff):
    return {
        "antakya": make_staff("body_staff", body="ANTAKYA"),
        "defne": make_staff("body_staff", body="DEFNE"),
        "coordinator": make_staff("coordinator", body="HBB"),
    }


def test_masks_show_only_what_is_needed():
    assert mask_phone("0532 123 45 17") == "0532 *** ** 17"
    assert mask_phone("+90 532 123 45 17") == "0532 *** ** 17"
    assert mask_name("Ayşe Yılmaz") == "A*** Y***"
    assert mask_email("ayse.yilmaz@example.com") == "a***@example.com"


def test_statuses_follow_the_table_and_say_why_not(hatay, staff):
    request = _request()
    with pytest.raises(WorkflowError) as caught:
        status_change(request, Status.CLOSED, actor=staff["antakya"])
    assert str(caught.value) == (
        "Durumu “Yeni” olan bir başvuru “Kapatıldı” olamaz; buradan şunlar "
        "olabilir: Atandı, Bilgi bekleniyor, Kabul edildi, Mükerrer, Reddedildi."
    )
    request = status_change(request, Status.ACCEPTED, actor=staff["antakya"])
    assert request.status == Status.ACCEPTED


def test_resolving_needs_an_answer_which_stops_the_legal_clock(hatay, staff):
    request = _request()
    status_change(request, Status.ACCEPTED, actor=staff["antakya"])
    with pytest.raises(
        WorkflowError, match="Çözmek veya reddetmek için vatandaşa bir yanıt gerekir"
    ):
        status_change(request, Status.RESOLVED, actor=staff["antakya"])
    done = status_change(
        request,
        Status.RESOLVED,
        actor=staff["antakya"],
        answer="Konteyner boşaltıldı.",
    )
    assert done.answered_at is not None
    assert done.answers.get().text == "Konteyner boşaltıldı."
    assert Notification.objects.filter(request=done, channel="sms").count() == 1


def test_only_the_owning_body_may_act(hatay, staff):
    request = _request()
    with pytest.raises(WorkflowError) as refused:
        status_change(request, Status.ACCEPTED, actor=staff["defne"])
    assert str(refused.value) == (
        "Bu başvuru Antakya Belediyesi kurumuna ait; bunu yalnızca onun personeli "
        "veya bir havuz koordinatörü yapabilir."
    )


def test_sla_due_counts_working_hours_across_a_weekend(hatay):
    # COP: 1 working day = 8 h. Friday 2026-12-04 16:00 + 8 h: one hour on
    # Friday, seven on Monday 7 December → 16:00 (lunch 12-13 excluded).
    request = _request(at=local(2026, 12, 4, 16, 0))
    assert request.sla_minutes == 480
    assert request.sla_due_at.astimezone(ISTANBUL) == local(2026, 12, 7, 16, 0)
    assert request.legal_due_at.astimezone(ISTANBUL) == local(2027, 1, 3, 16, 0)


def test_sla_due_skips_a_holiday_and_its_half_day_eve(hatay):
    # Tuesday 2026-10-27 16:00 + 8 h: 1 h Tuesday, 4 h on the Republic Day
    # eve (off from 13:00), none on the 29th, 3 h Friday the 30th → 11:00.
    request = _request(at=local(2026, 10, 27, 16, 0))
    assert request.sla_due_at.astimezone(ISTANBUL) == local(2026, 10, 30, 11, 0)


def test_water_utility_works_around_the_clock(hatay):
    # SU, HATSU (7/24): 1 working day = 8 h of wall time.
    request = _request("SU", at=local(2026, 12, 5, 22, 0))
    assert request.sla_due_at.astimezone(ISTANBUL) == local(2026, 12, 6, 6, 0)


def test_anonymous_report_has_no_legal_clock_and_no_messages(hatay, staff):
    request = _request(anonymous=True)
    assert request.legal_due_at is None
    assert not Contact.objects.filter(request=request).exists()
    status_change(request, Status.ACCEPTED, actor=staff["antakya"])
    status_change(request, Status.RESOLVED, actor=staff["antakya"], answer="Tamam.")
    assert not Notification.objects.filter(request=request).exists()


def test_accepted_transfer_moves_the_owner_and_tells_the_citizen(hatay, staff):
    request = _request()
    transfer = transfer_propose(
        request, "DEFNE", "wrong_location", actor=staff["antakya"], note="Defne'de"
    )
    request.refresh_from_db()
    assert request.sla_running_since is None  # paused while pending
    assert requests_visible_to(staff["defne"]).filter(pk=request.pk).exists()
    transfer_answer(transfer, True, actor=staff["defne"])
    request.refresh_from_db()
    assert request.owner_body.code == "DEFNE"
    assert request.status == Status.ACCEPTED
    current = Decision.objects.get(request=request, is_current=True)
    assert current.flags == ["transfer"]
    assert current.explanation_tr.startswith(
        "Antakya Belediyesi devretti, Defne Belediyesi kabul etti"
    )
    texts = list(Notification.objects.filter(request=request).values_list("text"))
    assert texts[-1][0].startswith(
        f"{request.tracking_code} numaralı başvurunuz Defne Belediyesi kurumuna "
        "devredildi."
    )
    # Antakya owned it once and still sees it; Defne now works it.
    assert requests_visible_to(staff["antakya"]).filter(pk=request.pk).exists()
    # Antakya's page still offered to withdraw it, and to change its status.
    with pytest.raises(WorkflowError) as late:
        transfer_withdraw(transfer, actor=staff["antakya"])
    assert str(late.value) == (
        "Yalnızca yanıt bekleyen bir devir geri alınabilir; bu devir “Kabul edildi”."
    )
    with pytest.raises(WorkflowError) as late:
        status_change(request, Status.IN_PROGRESS, actor=staff["antakya"])
    assert str(late.value) == (
        "Bu başvuru Defne Belediyesi kurumuna ait; bunu yalnızca onun personeli "
        "veya bir havuz koordinatörü yapabilir."
    )


def test_refused_transfer_goes_to_the_coordinator_who_decides(hatay, staff):
    request = _request()
    transfer = transfer_propose(
        request, "DEFNE", "not_our_duty", actor=staff["antakya"]
    )
    with pytest.raises(WorkflowError, match="Devrin neden reddedildiğini yazın"):
        transfer_answer(transfer, False, actor=staff["defne"])
    transfer_answer(transfer, False, actor=staff["defne"], note="Bizim değil")
    request.refresh_from_db()
    assert request.needs_triage
    assert request.owner_body.code == "ANTAKYA"
    coordinator_assign(request, "DEFNE", actor=staff["coordinator"], note="Karar")
    request.refresh_from_db()
    assert (request.owner_body.code, request.needs_triage) == ("DEFNE", False)
    # The refusal stays on the record; the coordinator's decision beside it.
    settled = Transfer.objects.get(pk=transfer.pk)
    assert settled.state == TransferState.REFUSED
    assert (settled.answered_by, settled.answer_note) == (staff["defne"], "Bizim değil")
    assert (settled.settled_by, settled.settled_to.code) == (
        staff["coordinator"],
        "DEFNE",
    )
    assert settled.settled_at is not None


def test_unanswered_transfer_escalates_after_two_working_days(hatay, staff):
    with time_machine.travel(local(2026, 12, 4, 15, 0), tick=False):
        request = _request()
        transfer = transfer_propose(request, "DEFNE", "agency", actor=staff["antakya"])
    assert transfer.answer_due_at.astimezone(ISTANBUL) == local(2026, 12, 8, 15, 0)
    with time_machine.travel(local(2026, 12, 8, 14, 59), tick=False):
        assert run_due_jobs()["transfers_escalated"] == 0
    with time_machine.travel(local(2026, 12, 8, 15, 0), tick=False):
        assert run_due_jobs()["transfers_escalated"] == 1
        assert run_due_jobs()["transfers_escalated"] == 0
    request.refresh_from_db()
    assert request.needs_triage
    assert Transfer.objects.get(pk=transfer.pk).state == TransferState.ESCALATED


def test_back_and_forth_is_flagged_a_dispute(hatay, staff):
    request = _request()
    first = transfer_propose(request, "DEFNE", "wrong_location", actor=staff["antakya"])
    transfer_answer(first, True, actor=staff["defne"])
    second = transfer_propose(
        request, "ANTAKYA", "wrong_location", actor=staff["defne"]
    )
    assert not first.is_dispute
    assert second.is_dispute
    assert ServiceRequest.objects.get(pk=request.pk).is_disputed


def test_a_second_pending_transfer_is_refused(hatay, staff):
    request = _request()
    transfer_propose(request, "DEFNE", "wrong_location", actor=staff["antakya"])
    with pytest.raises(WorkflowError, match="zaten yanıt bekliyor"):
        transfer_propose(request, "HBB", "agency", actor=staff["antakya"])


def test_personal_data_is_masked_and_revealing_it_is_logged(hatay, staff):
    request = _request()
    assert masked(request.contact) == {
        "name": "A*** Y***",
        "phone": "0532 *** ** 17",
        "email": "",
        "tc_kimlik_no": "",
    }
    with pytest.raises(PersonalDataRefused):
        contact_reveal(request, staff["defne"])
    contact = contact_reveal(request, staff["antakya"], reason="geri arama")
    assert contact.phone == "05321234517"
    event = Event.objects.filter(action="contact.view").get()
    assert (event.actor, event.object_id, event.after["reason"]) == (
        staff["antakya"],
        str(request.pk),
        "geri arama",
    )


def test_personal_data_is_removed_after_retention(hatay, staff):
    with time_machine.travel(local(2026, 1, 5, 10, 0), tick=False):
        request = _request()
        status_change(request, Status.ACCEPTED, actor=staff["antakya"])
        status_change(request, Status.RESOLVED, actor=staff["antakya"], answer="Ok")
    # COP keeps personal data 730 days after closing.
    with time_machine.travel(local(2028, 1, 4, 10, 0), tick=False):
        assert run_due_jobs()["contacts_purged"] == 0
    with time_machine.travel(local(2028, 1, 5, 10, 1), tick=False):
        assert run_due_jobs()["contacts_purged"] == 1
    assert not Contact.objects.filter(request=request).exists()


def test_near_due_requests_are_warned_once(hatay):
    with time_machine.travel(local(2026, 12, 7, 9, 0), tick=False):
        request = _request()  # due 2026-12-08 09:00 (8 working hours)
    with time_machine.travel(local(2026, 12, 8, 7, 0), tick=False):
        assert run_due_jobs()["near_due_warnings"] == 0
    with time_machine.travel(local(2026, 12, 8, 7, 30), tick=False):
        assert run_due_jobs()["near_due_warnings"] == 1
        assert run_due_jobs()["near_due_warnings"] == 0
    assert ServiceRequest.objects.get(pk=request.pk).sla_warned_at is not None


def test_a_note_or_answer_over_5000_characters_is_refused_by_every_service(
    hatay, staff
):
    request = _request()
    for send, name in ((note_add, "İç not"), (answer_send, "Vatandaşa yanıt")):
        with pytest.raises(WorkflowError) as refused:
            send(request, "x" * 5001, actor=staff["antakya"])
        assert str(refused.value) == (
            f"{name}: 5001 karakter; en fazla 5000 karakter yazın."
        )
    assert not request.notes.exists() and not request.answers.exists()
