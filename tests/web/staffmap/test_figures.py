"""The districts compared on the map's filters, against hand-computed figures.

Monday 7 December 2026 is a plain working day (08:00–12:00, 13:00–17:00);
COP's SLA target is 8 working hours. The requests, their receipt and
resolution times (Istanbul), and what follows by hand:

Antakya (298,620 residents):
  A1 09:00 → 11:00 Mon:  2 h, 120 working min, within
  A2 09:00 → 15:00 Tue: 30 h, 780 working min (7 h Mon + 6 h Tue), late
  A3 09:00 → 15:00 Mon:  6 h, 300 working min, within
  A4 10:00, still open
  → 4 requests, 4 × 1000 / 298,620 per 1,000, median 6 h, 2 of 3 in SLA,
    backlog 1, no transfers.
İskenderun (227,498 residents):
  I1 09:00 → 13:00 Mon:  4 h, 180 working min, within
  I2 09:00 → 17:00 Mon:  8 h, 420 working min, within
  I3 09:00, open, offered to HATSU (transfer pending)
  → 3 requests, median (4 + 8) / 2 = 6 h, 2 of 2 in SLA, backlog 1,
    1 transfer.
Defne: nothing → zeros, no median, no SLA share.
"""

import datetime as dt

import pytest
import time_machine

from geopool.services.workflow import status_change, transfer_propose
from geopool.web.staffmap.figures import district_figures
from geopool.web.staffmap.filters import MapFilter, map_filtered
from geopool.worktime import ISTANBUL
from tests.web.helpers import ANTAKYA, point_inside, request_at

pytestmark = pytest.mark.django_db


def at(day, hour):
    return dt.datetime(2026, 12, day, hour, 0, tzinfo=ISTANBUL)


def received(when, point):
    with time_machine.travel(when, tick=False):
        return request_at("COP", **point, requested_at=when)


def resolve(item, when, staff):
    with time_machine.travel(when, tick=False):
        item = status_change(item, "accepted", actor=staff)
        return status_change(item, "resolved", actor=staff, answer="Giderildi.")


@pytest.fixture
def scenario(make_staff):
    antakya = make_staff("body_staff", body="ANTAKYA")
    iskenderun = make_staff("body_staff", body="ISKENDERUN")
    iskenderun_point = point_inside("İskenderun")
    resolve(received(at(7, 9), ANTAKYA), at(7, 11), antakya)
    resolve(received(at(7, 9), ANTAKYA), at(8, 15), antakya)
    resolve(received(at(7, 9), ANTAKYA), at(7, 15), antakya)
    received(at(7, 10), ANTAKYA)
    resolve(received(at(7, 9), iskenderun_point), at(7, 13), iskenderun)
    resolve(received(at(7, 9), iskenderun_point), at(7, 17), iskenderun)
    offered = received(at(7, 9), iskenderun_point)
    with time_machine.travel(at(7, 12), tick=False):
        transfer_propose(offered, "HATSU", "not_our_duty", actor=iskenderun)
    request_at("COP")  # no location: in no district
    return make_staff("coordinator", body="HBB", username="koordinator")


def _figures(user, **filters):
    form = MapFilter(filters, user=user)
    assert form.is_valid(), form.errors
    return {f.name: f for f in district_figures(map_filtered(form))}


def test_district_figures_match_the_hand_computed_values(scenario):
    figures = _figures(scenario)

    antakya = figures["Antakya"]
    assert (antakya.code, antakya.population) == ("2080", 298620)
    assert antakya.requests == 4
    assert antakya.per_1000 == pytest.approx(4 * 1000 / 298620)
    assert antakya.median_resolve_h == pytest.approx(6.0)
    assert (antakya.resolved_within_target, antakya.resolved_with_target) == (2, 3)
    assert antakya.sla_share == pytest.approx(2 / 3)
    assert (antakya.backlog, antakya.transfers) == (1, 0)

    iskenderun = figures["İskenderun"]
    assert (iskenderun.code, iskenderun.requests) == ("1413", 3)
    assert iskenderun.per_1000 == pytest.approx(3 * 1000 / 227498)
    assert iskenderun.median_resolve_h == pytest.approx(6.0)
    assert iskenderun.sla_share == 1.0
    assert (iskenderun.backlog, iskenderun.transfers) == (1, 1)

    defne = figures["Defne"]
    assert (defne.requests, defne.backlog, defne.transfers) == (0, 0, 0)
    assert (defne.median_resolve_h, defne.sla_share, defne.per_1000) == (None, None, 0)
    assert len(figures) == 15


def test_district_figures_follow_the_filters(scenario):
    open_only = _figures(scenario, status="open")
    assert open_only["Antakya"].requests == 1
    assert open_only["Antakya"].median_resolve_h is None

    one_day = _figures(scenario, date_from="2026-12-07", date_to="2026-12-07")
    assert one_day["Antakya"].requests == 4

    next_day = _figures(scenario, date_from="2026-12-08")
    assert next_day["Antakya"].requests == 0


def test_a_district_body_compares_only_what_it_may_see(scenario, make_staff):
    figures = _figures(make_staff("body_staff", body="ANTAKYA", username="a2"))

    assert figures["Antakya"].requests == 4
    assert figures["İskenderun"].requests == 0
