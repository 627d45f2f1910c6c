"""Requests per real district, counted by location and by owner.

The real district layer must hold Hatay's 15 districts; their names, in
Turkish alphabetical order, are ``DISTRICTS_TR_ORDER``.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from boundaries.lookup import covering_features
from geopool.web.map_data import (
    DESCRIPTION_CHARS,
    LocatedTotals,
    districts_count_requests,
    requests_count_located,
    requests_list_newest_located,
)
from tests.web.helpers import (
    ANTAKYA,
    point_inside,
    point_offshore,
    points_on_shared_edge,
    request_at,
)

# Turkish order: H < I < İ, ı < u (Kırıkhan before Kumlu), ö after o.
DISTRICTS_TR_ORDER = [
    "Altınözü",
    "Antakya",
    "Arsuz",
    "Belen",
    "Defne",
    "Dörtyol",
    "Erzin",
    "Hassa",
    "İskenderun",
    "Kırıkhan",
    "Kumlu",
    "Payas",
    "Reyhanlı",
    "Samandağ",
    "Yayladağı",
]

pytestmark = pytest.mark.django_db


def _by_name(rows):
    return {row.name: row for row in rows}


def test_districts_come_in_turkish_alphabetical_order(hatay):
    rows = districts_count_requests("districts")

    assert [row.name for row in rows] == DISTRICTS_TR_ORDER
    assert all(row.outline["type"] in {"Polygon", "MultiPolygon"} for row in rows)


def test_water_fault_counts_in_antakya_by_location_but_not_by_owner(hatay):
    request_at("COP", **ANTAKYA)  # Antakya Belediyesi owns waste collection
    request_at("SU", **ANTAKYA)  # HATSU owns water faults everywhere

    antakya = _by_name(districts_count_requests("districts"))["Antakya"]

    assert (antakya.code, antakya.by_location, antakya.by_owner) == ("2080", 2, 1)


def test_each_district_counts_only_its_own_requests(hatay):
    request_at("COP", **ANTAKYA)
    request_at("COP", **point_inside("İskenderun"))
    request_at("COP", **point_inside("İskenderun"))

    counts = {
        row.name: (row.by_location, row.by_owner)
        for row in districts_count_requests("districts")
    }

    assert counts.pop("Antakya") == (1, 1)
    assert counts.pop("İskenderun") == (2, 2)
    assert set(counts.values()) == {(0, 0)}


def test_request_on_shared_edge_is_counted_once_for_the_lowest_code(hatay):
    on_edge = next(
        p
        for p in points_on_shared_edge("Antakya", "Defne")
        if len(covering_features("districts", p["lon"], p["lat"])) == 2
    )
    request_at("COP", **on_edge)

    counts = _by_name(districts_count_requests("districts"))

    # Antakya's code 2080 is lower than Defne's 2082.
    assert (counts["Antakya"].by_location, counts["Defne"].by_location) == (1, 0)


def test_request_offshore_is_counted_in_no_district(hatay):
    request_at("COP", **point_offshore(3000))
    request_at("COP")  # no location at all

    rows = districts_count_requests("districts")

    assert sum(row.by_location for row in rows) == 0
    assert requests_count_located() == LocatedTotals(
        with_location=1, without_location=1
    )


def test_unknown_layer_has_no_districts(hatay):
    assert districts_count_requests("no-such-layer") == []


def test_newest_located_requests_come_newest_first_and_skip_unlocated(hatay):
    now = timezone.now()
    old = request_at("COP", **ANTAKYA, requested_at=now - timedelta(days=2))
    new = request_at("COP", **ANTAKYA, requested_at=now - timedelta(days=1))
    request_at("COP", requested_at=now)

    codes = [r.tracking_code for r in requests_list_newest_located(10)]

    assert codes == [new.tracking_code, old.tracking_code]
    assert [r.tracking_code for r in requests_list_newest_located(1)] == codes[:1]


def test_description_head_stops_one_character_past_the_shown_length(hatay):
    request_at("COP", **ANTAKYA, description="ç" * 500)

    (row,) = requests_list_newest_located(10)

    assert row.description_head == "ç" * (DESCRIPTION_CHARS + 1)
