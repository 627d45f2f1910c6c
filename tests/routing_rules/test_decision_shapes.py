"""Decisions share their trace and sentences through shapes; nothing shown changes.

A decision stored one at a time (``decision_record``) and the decision the
bulk path stores for the same request (``route_stored``, by COPY) show the
same owner, rule, candidates with distances, flags, generations, trace and
both sentences, and the request page shows the same explanation.
"""

import pytest

from geopool.models import Category
from geopool.services.intake import Intake, request_create
from routing_rules.decide import decide
from routing_rules.models import Decision, DecisionShape
from routing_rules.services.bulk import OWNER_KEPT, route_stored
from tests.routing_rules.test_default_rules import at, town  # noqa: F401
from tests.web.requestpages.html import text

# (category, point): a district default, a road inside its distance, a tie of
# two road owners, a park of another body, and the emergency line.
CASES = [
    ("COP", at(0, -100)),
    ("YOL-BAKIM", at(0, 24)),
    ("YOL-BAKIM", at(0, 12.4)),
    ("YOL-BAKIM", at(100, -24.9)),
    ("PARK", at(230, -170)),
    ("GAZ", at(0, -100)),
]

SHOWN = (
    "rule_code",
    "rule_set_version",
    "candidates",
    "flags",
    "generations",
    "trace",
    "explanation_tr",
    "explanation_en",
)


def _create(category, point):
    return request_create(
        Intake(
            category=Category.objects.get(code=category),
            channel="phone",
            lon=point[0],
            lat=point[1],
            location_source="given",
            description="Deneme",
        )
    ).request


def _shown(decision):
    values = {name: getattr(decision, name) for name in SHOWN}
    values["flags"] = [f for f in values["flags"] if f != OWNER_KEPT]
    values["owner"] = decision.owner_body.code
    values["department"] = getattr(decision.owner_department, "code", None)
    return values


@pytest.fixture
def pairs(town):  # noqa: F811
    """[(decision stored one at a time, decision stored in bulk)] per case."""
    requests = [_create(category, point) for category, point in CASES]
    single = [Decision.objects.get(request=r, is_current=True) for r in requests]
    route_stored([r.pk for r in requests])
    bulk = [Decision.objects.get(request=r, is_current=True) for r in requests]
    return list(zip(single, bulk, strict=True))


def test_bulk_decisions_show_exactly_what_single_decisions_show(pairs):
    for single, bulk in pairs:
        assert bulk.pk != single.pk
        assert _shown(bulk) == _shown(single)


def test_the_stored_decision_is_the_one_decide_gives(pairs):
    for (category, point), (_, bulk) in zip(CASES, pairs, strict=True):
        outcome = decide(point, category)
        assert bulk.explanation_tr == outcome.explanation_tr
        assert bulk.explanation_en == outcome.explanation_en
        assert bulk.trace == outcome.trace
        assert bulk.candidates == outcome.candidates
        assert bulk.generations == outcome.generations
        assert bulk.rule_code == outcome.rule_code


def test_a_bulk_decision_keeps_its_distances_and_the_tie(pairs):
    _, tie = pairs[2]
    assert tie.flags == ["triage", "tie"]
    roads = [c for c in tie.candidates if c["layer"] == "roads"]
    assert [(c["body"], c["code"], c["distance_m"]) for c in roads] == [
        ("KGM", "KGM-1", 12.4),
        ("HBB", "HBB-1", 14.6),
    ]
    assert {
        "rule": "YOL-KGM",
        "status": "tie",
        "with": "YOL-HBB",
        "difference_m": 2.2,
    } in tie.trace
    _, kgm = pairs[3]
    assert kgm.owner_body.code == "KGM"
    assert kgm.explanation_tr == (
        "Yol bozukluğu, D-817 devlet yolu 25 m uzakta, kural YOL-KGM: "
        "Karayolları 5. Bölge Müdürlüğü"
    )


def test_the_same_content_is_stored_once(pairs):
    # Routing the same requests again adds decisions but no shape.
    shapes = DecisionShape.objects.count()
    assert shapes == len({single.shape_id for single, _ in pairs})
    route_stored([single.request_id for single, _ in pairs])
    assert DecisionShape.objects.count() == shapes
    assert all(single.shape_id == bulk.shape_id for single, bulk in pairs)


def test_the_request_page_shows_the_same_explanation(pairs, make_staff, client):
    client.force_login(make_staff("coordinator", body="HBB"))
    _, bulk = pairs[1]
    page = client.get(f"/requests/{bulk.request.tracking_code}/").content.decode()
    assert text(page, "decision-explanation") == (
        "Yol bozukluğu, Kurtuluş Caddesi 3 m uzakta, kural YOL-HBB: Hatay "
        "Büyükşehir Belediyesi — Yol Bakım ve Altyapı Koordinasyon Dairesi "
        "Başkanlığı"
    )


def test_batches_written_while_the_next_is_routed_store_the_same_rows(pairs):
    # Batches of two: the COPY of one batch is still open while the next is
    # routed, and each batch retires the decisions its requests had.
    ids = [single.request_id for single, _ in pairs]
    result = route_stored(ids, batch=2)
    assert result.routed == len(CASES)
    assert result.triage == 1  # the tie
    for single, _ in pairs:
        decisions = Decision.objects.filter(request_id=single.request_id)
        assert decisions.count() == 3
        current = decisions.get(is_current=True)
        assert _shown(current) == _shown(single)


def test_a_failure_while_a_batch_is_being_copied_stores_nothing(pairs, monkeypatch):
    import routing_rules.engine as engine

    route = engine.route
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the first batch's COPY is open now
            raise RuntimeError("routing failed")
        return route(*args, **kwargs)

    monkeypatch.setattr(engine, "route", failing)
    ids = [single.request_id for single, _ in pairs]
    with pytest.raises(RuntimeError, match="routing failed"):
        route_stored(ids, batch=2)
    monkeypatch.setattr(engine, "route", route)
    assert len(calls) == 2
    # The connection is usable and the decisions are those of before.
    assert Decision.objects.filter(request_id__in=ids).count() == 2 * len(CASES)
    current = Decision.objects.filter(request_id__in=ids, is_current=True)
    assert sorted(current.values_list("pk", flat=True)) == sorted(
        bulk.pk for _, bulk in pairs
    )


@pytest.mark.parametrize(
    "positions",
    [
        [0, 2, 3, 5, 5],  # gaps, the batch fills most of its id range; one twice
        [0, 5],  # a batch spread thinly over its id range
    ],
)
def test_a_batch_routes_exactly_the_requests_it_names(pairs, positions):
    ids = [single.request_id for single, _ in pairs]
    assert ids == list(range(ids[0], ids[0] + len(CASES)))
    named = sorted({ids[p] for p in positions})
    result = route_stored([ids[p] for p in positions])
    assert result.routed == len(named)
    for single, _ in pairs:
        decisions = Decision.objects.filter(request_id=single.request_id)
        assert decisions.count() == (3 if single.request_id in named else 2)
        assert _shown(decisions.get(is_current=True)) == _shown(single)
