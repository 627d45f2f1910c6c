"""Inbox filters give exactly the rows asked for; sorting and paging."""

import datetime as dt

import pytest
from django.utils import timezone

from geopool.models import ServiceRequest, Status
from geopool.services.workflow import status_change, transfer_answer, transfer_propose
from routing_rules.models import Decision
from tests.web.helpers import point_offshore, points_on_shared_edge
from tests.web.inbox.conftest import make_request
from tests.web.inbox.pages import (
    filters_invalid,
    inbox_codes,
    messages,
    row_of,
    text,
)

pytestmark = pytest.mark.django_db


def _codes(*requests):
    return sorted(r.tracking_code for r in requests)


def _sorted(response):
    return sorted(inbox_codes(response))


def test_status_filter_open_by_default_then_one_status_or_all(client, staff, hatay):
    new = make_request()
    accepted = status_change(make_request(), Status.ACCEPTED, actor=staff["antakya"])
    resolved = status_change(
        status_change(make_request(), Status.ACCEPTED, actor=staff["antakya"]),
        Status.RESOLVED,
        actor=staff["antakya"],
        answer="Konteyner boşaltıldı.",
    )
    client.force_login(staff["antakya"])
    assert _sorted(client.get("/inbox/")) == _codes(new, accepted)
    assert _sorted(client.get("/inbox/?status=accepted")) == _codes(accepted)
    assert _sorted(client.get("/inbox/?status=resolved")) == _codes(resolved)
    assert _sorted(client.get("/inbox/?status=all")) == _codes(new, accepted, resolved)


def test_category_and_group_filters(client, staff, hatay):
    waste = make_request("COP")
    street = make_request("TEMIZLIK")  # same group: Temizlik ve atık
    sidewalk = make_request("KALDIRIM")  # Yol ve ulaşım
    client.force_login(staff["antakya"])
    assert _sorted(client.get("/inbox/?category=COP")) == _codes(waste)
    response = client.get("/inbox/", {"group": "Temizlik ve atık"})
    assert _sorted(response) == _codes(waste, street)
    response = client.get("/inbox/", {"group": "Yol ve ulaşım"})
    assert _sorted(response) == _codes(sidewalk)
    # Category and group together: both must hold.
    response = client.get("/inbox/", {"group": "Yol ve ulaşım", "category": "COP"})
    assert _sorted(response) == []


def test_district_is_the_location_whoever_owns_the_request(client, staff, hatay, defne):
    in_antakya = make_request("COP")
    water = make_request("SU")  # HATSU's, in Antakya
    in_defne = make_request("COP", point=defne)
    moved = make_request("COP")
    transfer = transfer_propose(moved, "DEFNE", "not_our_duty", actor=staff["antakya"])
    transfer_answer(transfer, True, actor=staff["defne"])
    client.force_login(staff["coordinator"])
    assert _sorted(client.get("/inbox/?district=2080")) == _codes(
        in_antakya, water, moved
    )
    response = client.get("/inbox/?district=2082")
    assert _sorted(response) == _codes(in_defne)
    # Defne's own inbox: its requests, both districts shown.
    client.force_login(staff["defne"])
    response = client.get("/inbox/")
    assert _sorted(response) == _codes(in_defne, moved)
    assert "<td>Antakya</td>" in row_of(response, moved.tracking_code)
    assert "<td>Defne</td>" in row_of(response, in_defne.tracking_code)
    assert _sorted(client.get("/inbox/?district=2080")) == _codes(moved)


def test_age_filters_count_days_back_from_now(client, staff, hatay):
    now = timezone.now()
    recent = make_request(at=now - dt.timedelta(days=2))
    older = make_request(at=now - dt.timedelta(days=10))
    oldest = make_request(at=now - dt.timedelta(days=40))
    client.force_login(staff["antakya"])
    assert _sorted(client.get("/inbox/?within=5")) == _codes(recent)
    assert _sorted(client.get("/inbox/?older=5")) == _codes(older, oldest)
    assert _sorted(client.get("/inbox/?within=30&older=5")) == _codes(older)


@pytest.mark.parametrize(
    "query, error",
    [
        # Not a number.
        ("within=abc", "1 ile 3650 arasında tam bir gün sayısı yazın."),
        # Zero days.
        ("older=0", "1 ile 3650 arasında tam bir gün sayısı yazın."),
        # A window that holds nothing.
        (
            "within=5&older=10",
            "Hiçbir başvuru hem son 5 günde alınmış hem 10 günden eski olamaz; "
            "“kaç günden eski” değerini küçültün.",
        ),
        # A category that does not exist.
        (
            "category=NOPE",
            "Geçerli bir seçenek seçin. NOPE mevcut seçeneklerden biri değil.",
        ),
    ],
)
def test_bad_filters_are_refused_with_the_reason_and_show_no_rows(
    client, staff, hatay, query, error
):
    make_request()
    client.force_login(staff["antakya"])
    response = client.get(f"/inbox/?{query}")
    assert response.status_code == 400
    assert inbox_codes(response) == []
    assert error in text(response)


def test_a_bad_value_is_a_400_naming_the_field_and_what_is_expected(
    client, staff, hatay
):
    make_request()
    client.force_login(staff["antakya"])

    response = client.get("/inbox/?within=abc")

    assert response.status_code == 400
    assert filters_invalid(response) == (
        "Süzgeçler geçerli değil: Son kaç günde alındı: 1 ile 3650 arasında tam "
        "bir gün sayısı yazın."
    )


def test_an_unknown_filter_is_a_400_listing_the_inboxs_filters(client, staff, hatay):
    make_request()
    client.force_login(staff["antakya"])

    response = client.get("/inbox/?received_within=abc")

    assert response.status_code == 400
    assert inbox_codes(response) == []
    assert filters_invalid(response) == (
        "Süzgeçler geçerli değil: Gelen kutusunda “received_within” adlı bir "
        "süzgeç yok. Süzgeçleri şunlardır: status, category, group, district, "
        "within, older, sla, sort (within: son N günde alınanlar; older: N "
        "günden önce alınanlar)."
    )


def test_a_filter_given_twice_or_a_body_for_body_staff_is_a_400(client, staff, hatay):
    """Neither the last value nor silence: the list is not what was asked."""
    make_request()
    client.force_login(staff["antakya"])

    twice = client.get("/inbox/?status=xyz&status=open")
    body = client.get("/inbox/?body=DEFNE")

    assert (twice.status_code, body.status_code) == (400, 400)
    assert filters_invalid(twice) == (
        "Süzgeçler geçerli değil: “status” birden çok kez verilmiş; her süzgeci "
        "bir kez verin."
    )
    assert "Gelen kutusunda “body” adlı bir süzgeç yok" in filters_invalid(body)
    assert inbox_codes(body) == []


def test_paging_is_no_unknown_filter(client, staff, hatay):
    make_request()
    client.force_login(staff["antakya"])

    assert client.get("/inbox/?page=1&within=5").status_code == 200


def test_sorted_by_received_date_and_by_sla_due(client, staff, hatay):
    now = timezone.now()
    first = make_request(at=now - dt.timedelta(days=3))
    second = make_request(at=now - dt.timedelta(days=2))
    third = make_request(at=now - dt.timedelta(days=1))
    # Waiting for information: its clock stands and it has no due time.
    paused = status_change(
        make_request(at=now - dt.timedelta(days=4)),
        Status.WAITING_INFO,
        actor=staff["antakya"],
    )
    client.force_login(staff["antakya"])
    codes = [r.tracking_code for r in (third, second, first, paused)]
    assert inbox_codes(client.get("/inbox/")) == codes
    assert inbox_codes(client.get("/inbox/?sort=received")) == codes[::-1]
    assert inbox_codes(client.get("/inbox/?sort=sla_due")) == [
        first.tracking_code,
        second.tracking_code,
        third.tracking_code,
        paused.tracking_code,  # no due time: last
    ]
    assert inbox_codes(client.get("/inbox/?sort=-sla_due"))[:3] == [
        third.tracking_code,
        second.tracking_code,
        first.tracking_code,
    ]

    # An unknown order shows the list in the default order, and says so.
    unknown = client.get("/inbox/?sort=xyz")
    assert inbox_codes(unknown) == codes
    assert messages(unknown) == [
        "Bilinmeyen sıralama “xyz”: liste varsayılan sırayla (En yeni önce) "
        "gösteriliyor. Şunlardan birini seçin: En yeni önce, En eski önce, "
        "SLA bitişi en yakın önce, SLA bitişi en uzak önce."
    ]
    # The other filters still apply.
    assert inbox_codes(client.get("/inbox/?sort=xyz&status=waiting_info")) == [
        paused.tracking_code
    ]


def test_pages_hold_fifty_rows_and_keep_the_filters(client, staff, hatay):
    base = make_request()
    ServiceRequest.objects.bulk_create(
        [
            ServiceRequest(
                tracking_code=f"T{i:02d}-TEST",
                category=base.category,
                channel="phone",
                location=base.location,
                owner_body=base.owner_body,
                requested_at=base.requested_at - dt.timedelta(minutes=i + 1),
            )
            for i in range(55)
        ]
    )
    client.force_login(staff["antakya"])
    first = client.get("/inbox/?category=COP")
    assert len(inbox_codes(first)) == 50
    assert "56 başvuru" in text(first)
    assert 'href="?category=COP&amp;page=2"' in text(first)
    second = client.get("/inbox/?category=COP&page=2")
    assert len(inbox_codes(second)) == 6
    assert not set(inbox_codes(first)) & set(inbox_codes(second))


def test_rows_link_to_the_request_page(client, staff, hatay):
    request = make_request()
    client.force_login(staff["antakya"])
    row = row_of(client.get("/inbox/"), request.tracking_code)
    assert f'href="/requests/{request.tracking_code}/"' in row


def test_a_point_on_a_shared_edge_is_in_the_district_with_the_lower_code(
    client, staff, hatay
):
    # Antakya (2080) and Defne (2082) share an edge: routing gives the point
    # to Antakya, and so do the list and the filter.
    edge = points_on_shared_edge("Antakya", "Defne")[3]
    on_edge = make_request(point=edge)
    assert "on_edge" in Decision.objects.get(request=on_edge, is_current=True).flags
    client.force_login(staff["coordinator"])
    assert _sorted(client.get("/inbox/?district=2080")) == _codes(on_edge)
    assert _sorted(client.get("/inbox/?district=2082")) == []
    row = row_of(client.get("/inbox/"), on_edge.tracking_code)
    assert "<td>Antakya</td>" in row


def test_a_point_just_offshore_keeps_the_district_routing_snapped_it_to(
    client, staff, hatay
):
    offshore = make_request(point=point_offshore(10))
    decision = Decision.objects.get(request=offshore, is_current=True)
    assert "snapped" in decision.flags
    snapped = decision.candidates[0]
    client.force_login(staff["coordinator"])
    response = client.get(f"/inbox/?district={snapped['code']}")
    assert _sorted(response) == _codes(offshore)
    assert f"<td>{snapped['feature']}</td>" in row_of(response, offshore.tracking_code)
