"""``GET /console/nearby``: open requests of the same category near a point."""

import pytest

from geopool.models import Contact, Status
from geopool.services.workflow import status_change
from tests.web.console.helpers import point_from
from tests.web.helpers import ANTAKYA, request_at

pytestmark = pytest.mark.django_db

# COP's duplicate radius in the Hatay pack (service_levels.csv).
RADIUS_M = 50
FIELDS = {
    "tracking_code",
    "status",
    "status_label",
    "distance_m",
    "received",
    "received_text",
    "owner",
}


@pytest.fixture
def operator(make_staff):
    return make_staff("operator", body="HBB")


def _nearby(client, category="COP", point=ANTAKYA):
    return client.get(
        "/console/nearby",
        {"lon": point["lon"], "lat": point["lat"], "category": category},
    )


def test_lists_open_same_category_requests_within_the_radius_nearest_first(
    client, operator, make_staff
):
    near = request_at(
        "COP",
        **point_from(ANTAKYA, 30),
        description="Ayşe Yılmaz aradı, 0532 123 45 17",
    )
    Contact.objects.create(request=near, first_name="Ayşe", phone="05321234517")
    nearer = request_at("COP", **point_from(ANTAKYA, 12, 90))
    request_at("COP", **point_from(ANTAKYA, RADIUS_M + 15))  # outside the radius
    request_at("SU", **ANTAKYA)  # another category
    closed = request_at("COP", **point_from(ANTAKYA, 5))
    antakya = make_staff("body_staff", body="ANTAKYA")
    status_change(closed, Status.ACCEPTED, actor=antakya)
    status_change(closed, Status.RESOLVED, actor=antakya, answer="Toplandı.")
    client.force_login(operator)

    response = _nearby(client)

    assert response.status_code == 200
    body = response.json()
    assert (body["category"], body["radius_m"], body["window_hours"]) == (
        "COP",
        RADIUS_M,
        24,
    )
    rows = body["requests"]
    assert [(r["tracking_code"], r["distance_m"]) for r in rows] == [
        (nearer.tracking_code, 12.0),
        (near.tracking_code, 30.0),
    ]
    assert {frozenset(r) for r in rows} == {frozenset(FIELDS)}
    assert rows[1]["status"] == "new"
    assert rows[1]["status_label"] == "Yeni"
    assert rows[1]["owner"] == "Antakya Belediyesi"
    # No personal data: neither the contact nor the description.
    text = response.content.decode()
    for personal in ("Ayşe", "0532", "Yılmaz", "aradı"):
        assert personal not in text


def test_a_category_without_duplicate_radius_lists_nothing(client, operator):
    request_at("DIGER", **ANTAKYA)  # DIGER's radius is 0: suggestions off
    client.force_login(operator)

    body = _nearby(client, "DIGER").json()

    assert body["radius_m"] == 0
    assert body["requests"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"lon": "36,1,6", "lat": "36.2", "category": "COP"}, "lon"),  # two commas
        ({"lon": "36.16", "category": "COP"}, "lat"),  # missing
        ({"lon": "36.16", "lat": "36.2", "category": "NOPE"}, "category"),
        ({"lon": "36.16", "lat": "36.2"}, "category"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_field(client, operator, query, field):
    client.force_login(operator)
    response = client.get("/console/nearby", query)
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_unknown_category_message(client, operator):
    client.force_login(operator)
    response = client.get(
        "/console/nearby", {"lon": "36.16", "lat": "36.2", "category": "NOPE"}
    )
    assert response.json() == {
        "error": "“NOPE” kategorisi katalogda yok",
        "field": "category",
    }


@pytest.mark.parametrize("category", [None, "", "  "])  # absent, empty, blank
def test_missing_category_says_it_is_required_and_what_to_give(
    client, operator, category
):
    client.force_login(operator)
    query = {"lon": "36.1603", "lat": "36.2021"}
    if category is not None:
        query["category"] = category

    response = client.get("/console/nearby", query)

    assert response.status_code == 400
    assert response.json() == {
        "error": (
            "category gerekli: etkin bir kategorinin kodunu verin (konsolun "
            "kategori listesinde parantez içindeki kod ya da "
            "/open311/v2/services.json'daki bir service_code)"
        ),
        "field": "category",
    }


def test_a_decimal_comma_is_read_as_the_console_form_reads_it(client, operator):
    near = request_at("COP", **point_from(ANTAKYA, 12, 90))
    client.force_login(operator)
    response = client.get(
        "/console/nearby",
        {
            "lon": str(ANTAKYA["lon"]).replace(".", ","),
            "lat": str(ANTAKYA["lat"]).replace(".", ","),
            "category": "COP",
        },
    )
    assert response.status_code == 200
    rows = response.json()["requests"]
    assert [(r["tracking_code"], r["distance_m"]) for r in rows] == [
        (near.tracking_code, 12.0)
    ]
