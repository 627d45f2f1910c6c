"""Where transfers cluster: counts by category, district, rule and pair."""

import re

import pytest
import time_machine

from geopool.services.jobs import run_due_jobs
from geopool.services.workflow import (
    coordinator_assign,
    transfer_answer,
    transfer_propose,
)
from routing_rules.models import Decision
from tests.web.inbox.conftest import local, make_request
from tests.web.inbox.pages import text

pytestmark = pytest.mark.django_db

FRIDAY = local(2026, 12, 4, 15, 0)
MONDAY = local(2026, 12, 7, 10, 0)
WEDNESDAY = local(2026, 12, 9, 10, 0)


@pytest.fixture
def transfers(hatay, staff, defne):
    """Five transfers: refused, accepted and sent back, escalated, pending."""
    s = staff
    with time_machine.travel(FRIDAY, tick=False):
        refused = make_request("COP", at=FRIDAY)
        t = transfer_propose(refused, "DEFNE", "not_our_duty", actor=s["antakya"])
        transfer_answer(t, False, actor=s["defne"], note="Bizim değil")
        # Settled by the coordinator: still counted as a refusal.
        coordinator_assign(refused, "DEFNE", actor=s["coordinator"])

        back = make_request("COP", at=FRIDAY)
        t = transfer_propose(back, "DEFNE", "wrong_location", actor=s["antakya"])
        transfer_answer(t, True, actor=s["defne"])

        unanswered = make_request("KALDIRIM", at=FRIDAY)
        transfer_propose(unanswered, "HBB", "agency", actor=s["antakya"])

        offered = make_request("COP", point=defne, at=FRIDAY)
        transfer_propose(offered, "ANTAKYA", "wrong_location", actor=s["defne"])
    with time_machine.travel(MONDAY, tick=False):
        # Back the way it came: a dispute.
        transfer_propose(back, "ANTAKYA", "wrong_location", actor=s["defne"])
    with time_machine.travel(local(2026, 12, 8, 15, 0), tick=False):
        assert run_due_jobs()["transfers_escalated"] == 2  # HBB's and Defne's


def _table(page, key):
    """``{row key: (transfers, refused, escalated, disputes)}`` of a table."""
    found = re.search(rf'data-testid="by-{key}".*?</table>', page, re.S).group(0)
    rows = re.findall(
        r'<tr data-key="([^"]*)">.*?data-count="transfers">(\d+)<.*?'
        r'data-count="refused">(\d+)<.*?data-count="escalated">(\d+)<.*?'
        r'data-count="disputes">(\d+)<',
        found,
        re.S,
    )
    return [(key, *map(int, counts)) for key, *counts in rows]


def _page(client, query=""):
    with time_machine.travel(WEDNESDAY, tick=False):
        response = client.get(f"/inbox/disputes{query}")
    assert response.status_code == 200
    return text(response)


def test_counts_by_category_district_rule_and_pair(client, staff, transfers):
    client.force_login(staff["coordinator"])
    page = _page(client)
    assert re.search(
        r"<strong>5</strong> devir,\s*<strong>1</strong> ret,\s*"
        r"<strong>2</strong> koordinatöre düşen,\s*<strong>1</strong> anlaşmazlık",
        page,
    )
    # The last 90 days by default.
    assert "10 Eylül 2026 – 9 Aralık 2026 arası:" in page
    assert _table(page, "categories") == [
        ("COP", 4, 1, 1, 1),
        ("KALDIRIM", 1, 0, 1, 0),
    ]
    assert _table(page, "districts") == [
        ("2080", 4, 1, 1, 1),
        ("2082", 1, 0, 1, 0),
    ]
    assert _table(page, "pairs") == [
        ("ANTAKYA→DEFNE", 2, 1, 0, 0),
        ("DEFNE→ANTAKYA", 2, 0, 1, 1),
        ("ANTAKYA→HBB", 1, 0, 1, 0),
    ]
    version = Decision.objects.filter(rule_code="ILCE-HIZMETLERI")[0].rule_set_version
    assert _table(page, "rules") == [("ILCE-HIZMETLERI", 5, 1, 2, 1)]
    assert f'<a href="/rules/{version}/#rule-ILCE-HIZMETLERI">' in page
    assert "Antakya Belediyesi → Defne Belediyesi" in page
    assert '<a href="/rules/">kuralları gözden geçirin</a>' in page


@pytest.mark.parametrize(
    "sort, categories",
    [
        ("-transfers", ["COP", "KALDIRIM"]),
        ("-escalated", ["COP", "KALDIRIM"]),  # a tie: by name
        ("-disputes", ["COP", "KALDIRIM"]),
        ("name", ["COP", "KALDIRIM"]),  # Çöp … before Kaldırım
    ],
)
def test_tables_sort_by_the_chosen_count(client, staff, transfers, sort, categories):
    client.force_login(staff["coordinator"])
    page = _page(client, f"?sort={sort}")
    assert [row[0] for row in _table(page, "categories")] == categories


def test_pairs_sort_by_refusals(client, staff, transfers):
    client.force_login(staff["coordinator"])
    pairs = _table(_page(client, "?sort=-refused"), "pairs")
    assert [row[0] for row in pairs] == [
        "ANTAKYA→DEFNE",
        "ANTAKYA→HBB",
        "DEFNE→ANTAKYA",
    ]


def test_the_period_limits_the_transfers_counted(client, staff, transfers):
    client.force_login(staff["coordinator"])
    page = _page(client, "?since=2026-12-05&until=2026-12-09")
    # Only the dispute, proposed on Monday.
    assert _table(page, "pairs") == [("DEFNE→ANTAKYA", 1, 0, 0, 1)]
    page = _page(client, "?since=2026-12-01&until=2026-12-03")
    assert _table(page, "categories") == []
    assert "Bu dönemde devir yok." in page


def test_a_period_ending_before_it_starts_is_refused(client, staff, hatay):
    client.force_login(staff["coordinator"])
    response = client.get("/inbox/disputes?since=2026-12-09&until=2026-12-01")
    assert response.status_code == 400
    assert (
        "Dönem 2026-12-09 tarihinde, bitişinden (2026-12-01) sonra başlıyor; "
        "tarihlerin yerini değiştirin."
    ) in text(response)
    response = client.get("/inbox/disputes?since=yesterday")
    assert response.status_code == 400
    assert "Geçerli bir tarih girin." in text(response)


@pytest.mark.parametrize("query", ["until=9999-12-31", "since=0001-01-01"])
def test_a_day_beyond_the_calendar_is_refused(client, staff, hatay, query):
    client.force_login(staff["coordinator"])
    response = client.get(f"/inbox/disputes?{query}")
    assert response.status_code == 400
    assert "1900-01-01 ile 2999-12-31 arasında bir gün verin." in text(response)


@pytest.mark.parametrize("role", ["antakya", "manager", "operator"])
def test_the_statistics_are_for_coordinators(client, staff, hatay, role):
    client.force_login(staff[role])
    response = client.get("/inbox/disputes")
    assert response.status_code == 403
    assert "Bu sayfa havuz koordinatörleri içindir." in text(response)
