"""Two planners activating generations of one layer at once.

Activation is serialised on the layer's row: the one who gets it first
activates; the other, who decided seeing the generation that was active
before, is told that another went live meanwhile, and nothing of theirs is
written. The contenders run in real threads with their own connections, as
in ``tests/geopool/test_concurrency.py``; the first holds its transaction
open a moment (its audit event waits), so the second has read the
active generation it decides on before the first commits.
"""

import threading
import time

import pytest
from django.db import connections

from boundaries.errors import ActivationRefused
from boundaries.models import Generation, Layer
from boundaries.services import generations
from boundaries.services.generations import generation_activate, generation_rollback
from geopool.models import Event

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("hatay_restored"),
]

HOLD_S = 0.5


@pytest.fixture
def layer(db):
    layer = Layer.objects.create(
        code="test-parks", title="Parks", geometry_kind="polygon"
    )
    Generation.objects.create(layer=layer, number=1, is_active=True, report={})
    for number in (2, 3):
        Generation.objects.create(layer=layer, number=number, report={})
    return layer


@pytest.fixture
def hold_first_event(monkeypatch):
    """Call it to make the next audit event of a generation wait HOLD_S,
    its transaction's locks held."""
    record = generations.event_record
    armed = []

    def slow(*args, **kwargs):
        if armed:
            armed.clear()
            time.sleep(HOLD_S)
        return record(*args, **kwargs)

    monkeypatch.setattr(generations, "event_record", slow)
    return lambda: armed.append(True)


def race(*actions):
    """Run the callables in threads started together; ``("ok"|"refused", …)``."""
    barrier = threading.Barrier(len(actions))
    results = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait(timeout=30)
            if index:
                # Decide while the first holds the layer, not after it is done.
                time.sleep(HOLD_S / 5)
            results[index] = ("ok", action())
        except ActivationRefused as exc:
            results[index] = ("refused", str(exc))
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            results[index] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=a) for a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a contender never finished"
    errors = [r[1] for r in results if r[0] == "error"]
    if errors:
        raise errors[0]
    return results


def _active_numbers(layer):
    return list(
        Generation.objects.filter(layer=layer, is_active=True).values_list(
            "number", flat=True
        )
    )


def test_second_of_two_activations_at_once_is_told_the_first_went_live(
    layer, hold_first_event
):
    second, third = (Generation.objects.get(layer=layer, number=n) for n in (2, 3))
    hold_first_event()

    results = race(
        lambda: generation_activate(second), lambda: generation_activate(third)
    )

    assert results[0][0] == "ok"
    assert results[1] == (
        "refused",
        "generation 2 of layer test-parks became active meanwhile, so "
        "test-parks#3 was not activated; look at the layer again and activate "
        "test-parks#3 if it should replace generation 2",
    )
    assert _active_numbers(layer) == [2]
    assert Generation.objects.get(pk=third.pk).activated_at is None
    assert list(
        Event.objects.filter(
            action__startswith="generation.",
            object_id__in=[str(g.pk) for g in layer.generations.all()],
        ).values_list("action", "object_id")
    ) == [("generation.activate", str(second.pk))]


def test_rollback_racing_an_activation_is_refused_not_an_error(layer, hold_first_event):
    first, second, third = (
        Generation.objects.get(layer=layer, number=n) for n in (1, 2, 3)
    )
    generation_activate(second)
    hold_first_event()

    results = race(
        lambda: generation_activate(third), lambda: generation_rollback(layer)
    )

    assert results[0][0] == "ok"
    assert results[1] == (
        "refused",
        "generation 3 of layer test-parks became active meanwhile, so "
        "test-parks#1 was not activated; look at the layer again and activate "
        "test-parks#1 if it should replace generation 3",
    )
    assert _active_numbers(layer) == [3]
    assert Generation.objects.get(pk=third.pk).replaced_id == second.pk
    assert not Event.objects.filter(
        action="generation.rollback", object_id=str(first.pk)
    ).exists()


def test_activations_one_after_the_other_both_go_through(layer):
    second, third = (Generation.objects.get(layer=layer, number=n) for n in (2, 3))
    generation_activate(second)
    generation_activate(third)
    assert _active_numbers(layer) == [3]
    assert Generation.objects.get(pk=third.pk).replaced_id == second.pk
