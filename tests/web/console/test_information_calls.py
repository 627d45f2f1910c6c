"""Information calls: answered on the phone, stored already closed."""

import re

import pytest

from geopool.models import Event, ServiceRequest, Status
from geopool.models.workflow import Answer
from geopool.web.console import calls
from tests.web.console.helpers import by_testid

pytestmark = pytest.mark.django_db

QUESTION = "Emlak vergisinin ikinci taksiti ne zaman ödenir?"
ANSWER = "İkinci taksit kasım sonuna kadar ödenir; e-Belediye'den de ödenebilir."


def _post(client, category="DIGER", question=QUESTION, answer=ANSWER):
    return client.post(
        "/console/info/",
        {"info-category": category, "info-question": question, "info-answer": answer},
    )


def test_only_categories_the_rules_give_the_coordinator_are_offered(hatay):
    assert [c.code for c in calls.information_categories()] == ["DIGER"]


def test_an_information_call_is_stored_closed_with_the_answer(client, make_staff):
    operator = make_staff("operator", body="HBB")
    client.force_login(operator)

    response = _post(client)

    assert response.status_code == 302
    code = re.fullmatch(r"/console/done/([^/]+)/\?as=info", response["Location"])[1]
    item = ServiceRequest.objects.get(tracking_code=code)
    assert item.status == Status.CLOSED
    assert item.channel == "phone"
    assert item.description == QUESTION
    assert item.location is None
    # Routed to the coordinator's desk, the operator's own body.
    assert (item.owner_body.code, item.owner_department.code) == ("HBB", "HBB-HALKLA")
    assert not item.needs_triage
    assert item.answered_at is not None and item.closed_at is not None
    assert item.sla_running_since is None
    answer = Answer.objects.get(request=item)
    assert (answer.text, answer.author) == (ANSWER, operator)
    moves = Event.objects.filter(object_id=str(item.pk), action="request.status")
    assert [e.after["status"] for e in moves.order_by("id")] == [
        "accepted",
        "resolved",
        "closed",
    ]

    page = client.get(response["Location"]).content.decode()
    assert by_testid(page, "tracking-code") == code
    assert by_testid(page, "status") == "Kapatıldı"
    assert by_testid(page, "answer") == ANSWER
    assert by_testid(page, "done-title") == (
        "Bilgi talebi kaydedildi, yanıtlandı ve kapatıldı"
    )


def test_an_empty_answer_is_refused_and_the_question_kept(client, make_staff):
    client.force_login(make_staff("operator", body="HBB"))

    response = _post(client, answer="")

    page = response.content.decode()
    assert response.status_code == 200
    assert by_testid(page, "field-error") == "Bu alan zorunlu."
    assert f"{QUESTION}</textarea>" in page
    assert not ServiceRequest.objects.exists()


def test_a_category_that_goes_to_another_body_is_not_accepted(client, make_staff):
    client.force_login(make_staff("operator", body="HBB"))

    response = _post(client, category="SU")  # water: HATSU's

    assert response.status_code == 200
    assert not ServiceRequest.objects.exists()
    assert by_testid(response.content.decode(), "field-error") == (
        "Geçerli bir seçenek seçin. SU mevcut seçeneklerden biri değil."
    )


def test_an_operator_of_another_body_cannot_close_it_and_nothing_is_stored(
    client, make_staff
):
    client.force_login(make_staff("operator", body="ANTAKYA"))

    response = _post(client)

    assert response.status_code == 200
    assert by_testid(response.content.decode(), "form-error") == (
        "Bu başvuru Hatay Büyükşehir Belediyesi kurumuna ait; bunu yalnızca onun "
        "personeli veya bir havuz koordinatörü yapabilir."
    )
    assert not ServiceRequest.objects.exists()
