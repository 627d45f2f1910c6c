"""Decisions and events are append-only; re-routing adds a decision."""

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from geopool.models import Category, Event
from geopool.services.intake import Intake, request_create
from routing_rules.decide import decide
from routing_rules.models import Decision, DecisionShape
from routing_rules.services.decision_store import decision_record

ANTAKYA = (36.1603, 36.2021)


@pytest.fixture
def routed(hatay):
    intake = Intake(
        category=Category.objects.get(code="COP"),
        channel="phone",
        lon=ANTAKYA[0],
        lat=ANTAKYA[1],
        location_source="given",
        description="Konteyner taştı",
    )
    return request_create(intake).request


def test_new_request_has_one_current_decision_with_its_trace(routed):
    decision = Decision.objects.get(request=routed)
    assert decision.is_current
    assert decision.owner_body.code == "ANTAKYA"
    assert decision.rule_code == "ILCE-HIZMETLERI"
    assert decision.rule_set_version == 2
    assert decision.generations == {"districts": 1, "container_cities": 1}
    assert decision.trace == [
        {"rule": "KONTEYNER-KENT-ISLETEN", "status": "no_match"},
        {"rule": "ILCE-HIZMETLERI", "status": "matched"},
    ]
    assert decision.candidates == [
        {
            "layer": "districts",
            "feature": "Antakya",
            "code": "2080",
            "covers": True,
            "distance_m": 0.0,
        }
    ]
    assert routed.owner_body.code == "ANTAKYA"


def test_rerouting_stores_a_new_decision_beside_the_old(routed):
    decision_record(routed, decide(ANTAKYA, "SU"))
    decisions = list(routed.decisions.order_by("id"))
    assert [(d.owner_body.code, d.is_current) for d in decisions] == [
        ("ANTAKYA", False),
        ("HATSU", True),
    ]
    routed.refresh_from_db()
    assert routed.owner_body.code == "HATSU"


def test_decision_cannot_be_edited_or_deleted(routed):
    decision = routed.decisions.get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Decision.objects.filter(pk=decision.pk).update(rule_code="değişti")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Decision.objects.filter(pk=decision.pk).delete()


def test_a_decision_shape_cannot_be_edited_or_deleted(routed):
    shape = routed.decisions.get().shape
    refused = "decisionshape is append-only"
    with pytest.raises(DatabaseError, match=f"{refused}: UPDATE"), transaction.atomic():
        DecisionShape.objects.filter(pk=shape.pk).update(explanation_tr="değişti")
    with (
        pytest.raises(DatabaseError, match=f"{refused}: DELETE"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "DELETE FROM routing_rules_decisionshape WHERE id = %s", [shape.pk]
        )


def test_decisions_with_the_same_trace_and_sentences_share_one_shape(routed):
    second = request_create(
        Intake(
            category=Category.objects.get(code="COP"),
            channel="phone",
            lon=36.1610,
            lat=36.2030,
            location_source="given",
            description="Çöp alınmadı",
        )
    ).request
    first, other = routed.decisions.get(), second.decisions.get()
    assert first.shape_id == other.shape_id
    assert other.explanation_tr == (
        "Çöp toplama ve konteyner, Antakya ilçe sınırı içinde, kural "
        "ILCE-HIZMETLERI: Antakya Belediyesi"
    )
    assert DecisionShape.objects.count() == 1
    # Another category, another sentence: a second shape.
    decision_record(second, decide((36.1610, 36.2030), "SU"))
    assert DecisionShape.objects.count() == 2
    assert second.decisions.get(is_current=True).explanation_en == (
        "Water fault or outage, inside the Antakya district boundary, rule "
        "SU-KANAL-HATSU: Hatay Su ve Kanalizasyon İdaresi (HATSU)"
    )


def test_two_current_decisions_are_impossible(routed):
    current = routed.decisions.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Decision.objects.create(
            request=routed,
            owner_body=current.owner_body,
            explanation_tr="x",
            explanation_en="x",
        )


def test_events_record_creation_and_routing_and_cannot_change(routed):
    events = Event.objects.filter(
        object_id=str(routed.pk), object_type="geopool.servicerequest"
    )
    assert [e.action for e in events] == ["request.route", "request.create"]
    route = events.get(action="request.route")
    assert route.after["owner"] == "ANTAKYA"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Event.objects.filter(pk=route.pk).update(action="forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Event.objects.filter(pk=route.pk).delete()
