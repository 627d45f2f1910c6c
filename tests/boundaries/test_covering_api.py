"""``GET /api/layers/<layer>/covering``: which active features cover a point."""

import pytest

pytestmark = pytest.mark.django_db


def test_point_in_antakya_is_covered_by_antakya(client, hatay):
    response = client.get(
        "/api/layers/districts/covering", {"lon": "36.1603", "lat": "36.2021"}
    )
    assert response.status_code == 200
    assert response.json()["features"] == [
        {"name": "Antakya", "code": "2080", "generation": 1}
    ]


def test_point_at_sea_is_covered_by_nothing(client, hatay):
    response = client.get(
        "/api/layers/districts/covering", {"lon": "35.7", "lat": "36.0"}
    )
    assert response.json()["features"] == []


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"lon": "36.16"}, "lat", "lat is required"),
        ({"lon": "36,16", "lat": "36.2"}, "lon", "decimal comma"),
        ({"lon": "abc", "lat": "36.2"}, "lon", "is not a number"),
        ({"lon": "36.16", "lat": "95"}, "lat", "out of range"),
    ],
)
def test_bad_coordinates_are_refused_naming_the_field(
    client, hatay, params, field, message
):
    response = client.get("/api/layers/districts/covering", params)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert message in response.json()["error"]


def test_unknown_layer_is_404(client, hatay):
    response = client.get(
        "/api/layers/ormanlar/covering", {"lon": "36.1", "lat": "36.2"}
    )
    assert response.status_code == 404
    assert response.json() == {"error": "no layer 'ormanlar'"}


def test_layer_without_active_generation_is_404_saying_so(client, hatay):
    response = client.get(
        "/api/layers/neighbourhoods/covering", {"lon": "36.1", "lat": "36.2"}
    )
    assert response.status_code == 404
    assert response.json() == {
        "error": "layer 'neighbourhoods' has no active generation yet"
    }
