"""Two staff acting on one request at once: exactly one wins, the other is told.

Each test starts its contenders in real threads, each with its own database
connection, released together by a barrier; the service functions lock the
request row (``select_for_update``), so the second one sees what the first
did. Which thread wins is up to the scheduler, so where either may win the
test accepts both orders and checks that the request, its transfers, its
decisions and its events all tell the same one story.

These tests commit (``transaction=True``), so the database is flushed after
each one: the ``hatay`` fixture reloads the pack and layers when a flush
removed them, and ``hatay_restored`` reloads them once more after the last
test here, for the tests that follow.
"""

import threading

import pytest
from django.db import connections
from django.test import Client

from geopool.models import (
    Category,
    Contact,
    Event,
    ServiceRequest,
    Status,
    Transfer,
    TransferState,
)
from geopool.services.intake import Intake, request_create
from geopool.services.workflow import (
    WorkflowError,
    coordinator_assign,
    status_change,
    transfer_answer,
    transfer_propose,
)
from routing_rules.models import Decision

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("hatay_restored"),
]

ANTAKYA = (36.1603, 36.2021)
# How often each race is run (on fresh requests): both orders get a chance.
ROUNDS = 3

# The events of a new request: its routing decision, then its creation.
CREATED = ["request.route", "request.create"]

ALREADY_PENDING = "Bu başvurunun bir devri zaten yanıt bekliyor."
TRANSFER_PENDING = (
    "Bu başvurunun devri yanıt bekliyor; devri geri alın veya diğer kurumun "
    "yanıtını bekleyin."
)
RESOLVED_NO_TRANSFER = "Başvuru “Çözüldü” durumunda; devretmeden önce yeniden açın."
ALREADY_ACCEPTED = (
    "Durumu “Kabul edildi” olan bir başvuru “Kabul edildi” olamaz; buradan "
    "şunlar olabilir: Atandı, Bilgi bekleniyor, Mükerrer, Çözüldü, İşlemde."
)
ALREADY_SETTLED = "Bu devir zaten yanıtlandı: Koordinatör karar verdi."


def race(*actions):
    """Run the callables in parallel threads started together.

    Returns one ``(outcome, value)`` per action, in the same order: ``("ok",
    return value)`` or ``("refused", the WorkflowError's message)``. Any
    other exception fails the test.
    """
    barrier = threading.Barrier(len(actions))
    results = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait(timeout=30)
            results[index] = ("ok", action())
        except WorkflowError as exc:
            results[index] = ("refused", str(exc))
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            results[index] = ("error", exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(i, action))
        for i, action in enumerate(actions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a contender never finished"
    errors = [r[1] for r in results if r[0] == "error"]
    if errors:
        raise errors[0]
    return results


def _request():
    return request_create(
        Intake(
            category=Category.objects.get(code="COP"),
            channel="phone",
            lon=ANTAKYA[0],
            lat=ANTAKYA[1],
            location_source="given",
            description="Konteyner taştı",
            contact={"first_name": "Ayşe", "phone": "05321234517"},
        )
    ).request


def _actions(request):
    return list(
        Event.objects.filter(
            object_type="geopool.servicerequest", object_id=str(request.pk)
        )
        .order_by("id")
        .values_list("action", flat=True)
    )


def _owner_events(request):
    """(action, after owner) of every event that changed the owner."""
    return [
        (e.action, e.after["owner"])
        for e in Event.objects.filter(
            object_type="geopool.servicerequest",
            object_id=str(request.pk),
            action__in=["transfer.accept", "request.coordinator_assign"],
        ).order_by("id")
    ]


@pytest.fixture
def staff(hatay, make_staff):
    return {
        "antakya_1": make_staff("body_staff", body="ANTAKYA", username="antakya-1"),
        "antakya_2": make_staff("body_staff", body="ANTAKYA", username="antakya-2"),
        "defne": make_staff("body_staff", body="DEFNE"),
        "coordinator": make_staff("coordinator", body="HBB"),
    }


def test_two_transfers_proposed_at_once_leave_exactly_one_pending(staff):
    for _ in range(ROUNDS):
        request = _request()
        results = race(
            lambda r=request: transfer_propose(
                r, "DEFNE", "wrong_location", actor=staff["antakya_1"]
            ),
            lambda r=request: transfer_propose(
                r, "HBB", "not_our_duty", actor=staff["antakya_2"]
            ),
        )

        outcomes = sorted(outcome for outcome, _ in results)
        assert outcomes == ["ok", "refused"]
        winner = next(value for outcome, value in results if outcome == "ok")
        assert [value for outcome, value in results if outcome == "refused"] == [
            ALREADY_PENDING
        ]
        pending = Transfer.objects.get(request=request)
        assert (pending.pk, pending.state) == (winner.pk, TransferState.PENDING)
        assert pending.to_body.code == winner.to_body.code
        request.refresh_from_db()
        assert request.owner_body.code == "ANTAKYA"
        assert request.sla_running_since is None  # paused while pending
        assert _actions(request) == [*CREATED, "transfer.propose"]


def test_resolving_while_another_proposes_a_transfer_has_one_outcome(staff):
    for _ in range(ROUNDS):
        request = status_change(_request(), Status.ACCEPTED, actor=staff["antakya_1"])
        results = race(
            lambda r=request: status_change(
                r,
                Status.RESOLVED,
                actor=staff["antakya_1"],
                answer="Konteyner boşaltıldı.",
            ),
            lambda r=request: transfer_propose(
                r, "DEFNE", "wrong_location", actor=staff["antakya_2"]
            ),
        )

        request.refresh_from_db()
        resolve, propose = results
        if resolve[0] == "ok":
            assert propose == ("refused", RESOLVED_NO_TRANSFER)
            assert request.status == Status.RESOLVED
            assert request.answers.get().text == "Konteyner boşaltıldı."
            assert not Transfer.objects.filter(request=request).exists()
            last = ["request.answer", "request.status"]
        else:
            assert resolve == ("refused", TRANSFER_PENDING)
            assert propose[0] == "ok"
            assert request.status == Status.ACCEPTED
            assert not request.answers.exists()
            assert request.answered_at is None
            transfer = Transfer.objects.get(request=request)
            assert (transfer.to_body.code, transfer.state) == (
                "DEFNE",
                TransferState.PENDING,
            )
            last = ["transfer.propose"]
        assert _actions(request) == [*CREATED, "request.status", *last]


def test_acceptance_racing_the_coordinator_ends_with_the_coordinators_body(staff):
    for _ in range(ROUNDS):
        request = _request()
        transfer = transfer_propose(
            request, "DEFNE", "wrong_location", actor=staff["antakya_1"]
        )
        accept, assign = race(
            lambda t=transfer: transfer_answer(t, True, actor=staff["defne"]),
            lambda r=request: coordinator_assign(
                r, "SAMANDAG", actor=staff["coordinator"], note="Karar"
            ),
        )

        # Either order ends with Samandağ: an acceptance first is overruled
        # by the coordinator; the coordinator first settles the proposal,
        # and the late acceptance is refused.
        assert assign[0] == "ok"
        request.refresh_from_db()
        transfer.refresh_from_db()
        assert request.owner_body.code == "SAMANDAG"
        assert request.status == Status.NEW
        assert not request.needs_triage
        assert request.sla_running_since is not None
        current = Decision.objects.get(request=request, is_current=True)
        assert current.owner_body.code == "SAMANDAG"
        if accept[0] == "ok":
            assert transfer.state == TransferState.ACCEPTED
            assert _owner_events(request) == [
                ("transfer.accept", "DEFNE"),
                ("request.coordinator_assign", "SAMANDAG"),
            ]
            assert Decision.objects.filter(request=request).count() == 3
        else:
            assert accept == ("refused", ALREADY_SETTLED)
            assert transfer.state == TransferState.SETTLED
            assert _owner_events(request) == [
                ("request.coordinator_assign", "SAMANDAG")
            ]
            assert Decision.objects.filter(request=request).count() == 2
        assert not Transfer.objects.filter(
            request=request, state=TransferState.PENDING
        ).exists()


def test_two_staff_accepting_at_once_accept_it_once(staff):
    request = _request()
    results = race(
        lambda: status_change(request, Status.ACCEPTED, actor=staff["antakya_1"]),
        lambda: status_change(request, Status.ACCEPTED, actor=staff["antakya_2"]),
    )

    assert sorted(outcome for outcome, _ in results) == ["ok", "refused"]
    assert [value for outcome, value in results if outcome == "refused"] == [
        ALREADY_ACCEPTED
    ]
    winner = [staff["antakya_1"], staff["antakya_2"]][
        [outcome for outcome, _ in results].index("ok")
    ]
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED
    assert _actions(request) == [*CREATED, "request.status"]
    event = Event.objects.get(action="request.status", object_id=str(request.pk))
    assert (event.actor, event.before, event.after["status"]) == (
        winner,
        {"status": "new"},
        "accepted",
    )


def test_sixteen_posts_of_one_external_id_store_one_request(api_key):
    form = {
        "api_key": api_key,
        "service_code": "COP",
        "lat": str(ANTAKYA[1]),
        "long": str(ANTAKYA[0]),
        "description": "Çöp konteyneri dolu",
        "external_id": "sys-16",
        "phone": "05321234517",
    }
    results = race(
        *[lambda: Client().post("/open311/v2/requests.json", form) for _ in range(16)]
    )

    statuses = sorted(response.status_code for _, response in results)
    assert statuses == [200] * 15 + [201]
    codes = {response.json()[0]["service_request_id"] for _, response in results}
    stored = ServiceRequest.objects.get(external_id="sys-16")
    assert codes == {stored.tracking_code}
    assert ServiceRequest.objects.count() == 1
    assert Contact.objects.filter(request=stored).count() == 1
    assert Decision.objects.filter(request=stored).count() == 1
    assert _actions(stored) == CREATED


def test_the_old_owner_waiting_on_an_accepted_transfer_is_told_the_new_owner(staff):
    """Defne accepts while Antakya's status change waits for the row: once
    Defne commits, Antakya's change reads the request as it now is (owner
    Defne, with its name), is refused saying so, and nothing else changes."""
    import time

    from django.db import transaction

    request = _request()
    transfer = transfer_propose(
        request, "DEFNE", "wrong_location", actor=staff["antakya_1"]
    )
    accepted = threading.Event()

    def accept():
        with transaction.atomic():
            transfer_answer(transfer, True, actor=staff["defne"])
            accepted.set()
            time.sleep(0.5)  # the other one is waiting for the row meanwhile

    def change():
        accepted.wait(timeout=30)
        return status_change(request, Status.IN_PROGRESS, actor=staff["antakya_1"])

    accept_result, change_result = race(accept, change)

    assert accept_result[0] == "ok"
    assert change_result == (
        "refused",
        "Bu başvuru Defne Belediyesi kurumuna ait; bunu yalnızca onun personeli "
        "veya bir havuz koordinatörü yapabilir.",
    )
    request.refresh_from_db()
    assert (request.owner_body.code, request.status) == ("DEFNE", Status.ACCEPTED)
