"""SLA states in the inbox: highlighted rows, counts per body, the filter.

COP has a target of one working day (8 working hours, 08:00-12:00 and
13:00-17:00). The clock is moved with time-machine, never by sleeping.
"""

import re

import pytest
import time_machine

from geopool.models import ServiceRequest, Status
from geopool.services.workflow import status_change
from tests.web.inbox.conftest import local, make_request
from tests.web.inbox.pages import inbox_codes, row_of, text

pytestmark = pytest.mark.django_db

TUESDAY_8 = local(2026, 12, 8, 8, 0)


def _at(moment, **kwargs):
    with time_machine.travel(moment, tick=False):
        return make_request(at=moment, **kwargs)


@pytest.fixture
def week(hatay, staff, defne):
    """Requests whose SLA states differ on Tuesday 8 December 2026, 08:00."""
    requests = {
        # Due Monday 09:00: overdue.
        "overdue": _at(local(2026, 12, 4, 9, 0)),
        # Due Tuesday 09:00: 60 minutes left, under 20 % of 480.
        "near": _at(local(2026, 12, 7, 9, 0)),
        # Due Tuesday 14:00 and warned by the near-due job.
        "warned": _at(local(2026, 12, 7, 14, 0)),
        # Due Tuesday 16:00: on time.
        "on_time": _at(local(2026, 12, 7, 16, 0)),
        "paused": _at(local(2026, 12, 7, 10, 0)),
        # Defne's, due Monday 09:00.
        "defne": _at(local(2026, 12, 4, 9, 0), point=defne),
    }
    with time_machine.travel(local(2026, 12, 7, 11, 0), tick=False):
        status_change(requests["paused"], Status.WAITING_INFO, actor=staff["antakya"])
    ServiceRequest.objects.filter(pk=requests["warned"].pk).update(
        sla_warned_at=local(2026, 12, 8, 7, 59)
    )
    return {name: r.tracking_code for name, r in requests.items()}


def _state(response, code):
    return re.search(r'data-sla="([^"]*)"', row_of(response, code)).group(1)


def test_rows_are_highlighted_by_sla_state(client, staff, week):
    client.force_login(staff["antakya"])
    with time_machine.travel(TUESDAY_8, tick=False):
        response = client.get("/inbox/")
    states = {
        name: _state(response, code) for name, code in week.items() if name != "defne"
    }
    assert states == {
        "overdue": "overdue",
        "near": "near_due",
        "warned": "near_due",
        "on_time": "on_time",
        "paused": "paused",
    }
    assert 'class="table-danger"' in row_of(response, week["overdue"])
    assert 'class="table-warning"' in row_of(response, week["near"])
    assert 'class="table-warning"' in row_of(response, week["warned"])
    assert "table-" not in row_of(response, week["on_time"])
    assert ">Gecikmiş</span>" in row_of(response, week["overdue"])
    assert ">Süresi yaklaşıyor</span>" in row_of(response, week["near"])
    assert ">Durduruldu</span>" in row_of(response, week["paused"])
    assert "8 Aralık 2026 09:00" in row_of(response, week["near"])


def test_the_body_sees_its_counts_at_the_top(client, staff, week):
    client.force_login(staff["antakya"])
    with time_machine.travel(TUESDAY_8, tick=False):
        page = text(client.get("/inbox/?sla=on_time"))
    # The counts ignore the filters below them.
    assert (
        '<span class="badge text-bg-secondary" data-count="open">5 açık</span>' in page
    )
    assert (
        '<span class="badge text-bg-danger" data-count="overdue">1 gecikmiş</span>'
        in page
    )
    assert (
        '<span class="badge text-bg-warning" data-count="near_due">2 süresi yaklaşan'
        "</span>"
    ) in page


def test_coordinator_gets_a_count_table_per_body(client, staff, week):
    client.force_login(staff["coordinator"])
    with time_machine.travel(TUESDAY_8, tick=False):
        page = text(client.get("/inbox/"))
    table = re.search(r'data-testid="body-counts".*?</table>', page, re.S).group(0)
    rows = re.findall(
        r'<tr data-body="(\w+)">.*?data-count="open">(\d+)<.*?'
        r'data-count="overdue">(\d+)<.*?data-count="near_due">(\d+)<',
        table,
        re.S,
    )
    assert rows == [("ANTAKYA", "5", "1", "2"), ("DEFNE", "1", "1", "0")]


@pytest.mark.parametrize(
    "sla, names",
    [
        ("overdue", ["overdue"]),
        ("near_due", ["near", "warned"]),
        ("on_time", ["on_time"]),
        ("paused", ["paused"]),
    ],
)
def test_sla_filter_gives_exactly_the_rows_in_that_state(
    client, staff, week, sla, names
):
    client.force_login(staff["antakya"])
    with time_machine.travel(TUESDAY_8, tick=False):
        response = client.get(f"/inbox/?sla={sla}&sort=received")
    assert sorted(inbox_codes(response)) == sorted(week[name] for name in names)


@pytest.mark.parametrize(
    "moment, state",
    [
        # 97 minutes before 09:00: more than 20 % of 480 minutes left.
        (local(2026, 12, 8, 7, 23), "on_time"),
        # 96 minutes before: exactly 20 % left.
        (local(2026, 12, 8, 7, 24), "near_due"),
        (local(2026, 12, 8, 8, 59), "near_due"),
        # Past the due time.
        (local(2026, 12, 8, 9, 1), "overdue"),
    ],
)
def test_a_request_becomes_near_due_then_overdue(client, staff, hatay, moment, state):
    request = _at(local(2026, 12, 7, 9, 0))
    client.force_login(staff["antakya"])
    with time_machine.travel(moment, tick=False):
        response = client.get("/inbox/")
    assert _state(response, request.tracking_code) == state


def test_finished_requests_have_no_sla_state(client, staff, hatay):
    request = _at(local(2026, 12, 4, 9, 0))
    with time_machine.travel(local(2026, 12, 4, 10, 0), tick=False):
        status_change(request, Status.ACCEPTED, actor=staff["antakya"])
        status_change(request, Status.RESOLVED, actor=staff["antakya"], answer="Tamam")
    client.force_login(staff["antakya"])
    with time_machine.travel(TUESDAY_8, tick=False):
        response = client.get("/inbox/?status=all")
        assert _state(response, request.tracking_code) == ""
        assert inbox_codes(client.get("/inbox/?status=all&sla=overdue")) == []
