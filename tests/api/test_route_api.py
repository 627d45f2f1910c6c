"""``GET /api/route``: the decision as JSON, nothing stored."""

import pytest

from geopool.models import ApiKey, Body, ServiceRequest

ANTAKYA = {"lon": "36.1603", "lat": "36.2021"}


def _get(client, key, **params):
    return client.get("/api/route", params, headers={"Authorization": f"Bearer {key}"})


def test_route_returns_the_decision_without_creating_a_request(client, api_key):
    response = _get(client, api_key, category="COP", **ANTAKYA)
    assert response.status_code == 200
    body = response.json()
    assert body["owner"] == {
        "body": "ANTAKYA",
        "name": "Antakya Belediyesi",
        "department": None,
        "department_name": None,
    }
    assert body["rule"] == "ILCE-HIZMETLERI"
    assert body["rule_set_version"] == 2
    assert body["district"] == {"code": "2080", "name": "Antakya"}
    assert body["explanation"]["tr"] == (
        "Çöp toplama ve konteyner, Antakya ilçe sınırı içinde, kural "
        "ILCE-HIZMETLERI: Antakya Belediyesi"
    )
    assert body["trace"][-1] == {"rule": "ILCE-HIZMETLERI", "status": "matched"}
    assert ServiceRequest.objects.count() == 0


def test_emergency_carries_the_line_to_call(client, api_key):
    body = _get(client, api_key, category="GAZ", **ANTAKYA).json()
    assert body["urgent"] is True
    assert body["owner"]["body"] == "AKSA"
    assert "187" in body["service_notice"]


def test_staff_session_may_call_it_too(client, hatay, make_staff):
    client.force_login(make_staff("operator", body="HBB"))
    assert (
        client.get("/api/route", {"category": "SU", **ANTAKYA}).json()["owner"]["body"]
        == "HATSU"
    )


def test_without_a_key_it_is_a_401_that_says_how(client, hatay):
    response = client.get("/api/route", {"category": "COP", **ANTAKYA})
    assert response.status_code == 401
    assert "Authorization: Bearer KEY" in response.json()["error"]


def test_a_revoked_key_is_a_403(client, api_key):
    ApiKey.objects.get().revoke()
    response = _get(client, api_key, category="COP", **ANTAKYA)
    assert response.status_code == 403
    assert response.json()["error"].startswith("the API key is unknown or revoked")


def test_a_key_revoked_after_use_is_refused_at_once(client, api_key):
    assert _get(client, api_key, category="COP", **ANTAKYA).status_code == 200
    ApiKey.objects.get().revoke()
    response = _get(client, api_key, category="COP", **ANTAKYA)
    assert response.status_code == 403


def test_a_key_moved_to_another_body_is_read_again(client, api_key):
    assert ApiKey.authenticate(api_key).body.code == "HBB"
    ApiKey.objects.update(body=Body.objects.get(code="HATSU"))
    key = ApiKey.authenticate(api_key)
    assert (key.body.code, key.body.name) == (
        "HATSU",
        "Hatay Su ve Kanalizasyon İdaresi (HATSU)",
    )
    # A wrong secret with the right prefix stays refused.
    prefix = api_key.split("_")[1]
    assert ApiKey.authenticate(f"gp_{prefix}_not-the-secret") is None


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"category": "COP", "lon": "36,16", "lat": "36.2"}, "lon", "decimal comma"),
        ({"category": "COP", "lat": "36.2"}, "lon", "lon is required"),
        ({"lon": "36.16", "lat": "36.2"}, "category", "category is required"),
        (
            {"category": "CUKUR", **ANTAKYA},
            "category",
            "unknown category 'CUKUR': give a service_code listed by GET "
            "/open311/v2/services.json",
        ),
        (
            {"category": "COP", "lon": "36.2021", "lat": "16.1603"},
            "lat,lon",
            "outside the service area (20,000 m)",
        ),
        (
            {"category": "COP", "date": "2027-02-30", **ANTAKYA},
            "date",
            "is not a date",
        ),
    ],
)
def test_bad_parameters_are_a_400_naming_the_field(
    client, api_key, params, field, message
):
    response = _get(client, api_key, **params)
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == field
    assert message in body["error"]


def test_health_answers_without_a_key(client, db):
    assert client.get("/api/health").json() == {"status": "ok"}


@pytest.mark.parametrize(
    "query, field, message",
    [
        (
            "category=COP&category=KAR&lon=36.1603&lat=36.2021",
            "category",
            "category is given 2 times; give it once",
        ),
        (
            "category=COP&date=20160101&lon=36.1603&lat=36.2021",
            "date",
            "date='20160101' is not a date; write it as YYYY-MM-DD",
        ),
    ],
)
def test_repeated_or_loose_parameters_are_refused(
    client, api_key, query, field, message
):
    response = client.get(
        f"/api/route?{query}", headers={"Authorization": f"Bearer {api_key}"}
    )
    assert response.status_code == 400
    assert response.json() == {"error": message, "field": field}


def test_a_huge_unknown_category_is_not_echoed_whole(client, api_key):
    response = _get(client, api_key, category="X" * 100_000, **ANTAKYA)
    assert response.status_code == 400
    assert len(response.json()["error"]) < 200


def test_a_keyed_route_reads_the_key_and_the_routing_state_in_one_statement(
    client, api_key
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from routing_rules.models import RuleSet
    from routing_rules.services.rule_sets import rule_set_activate, rule_set_draft

    _get(client, api_key, category="COP", **ANTAKYA)  # the key's use recorded
    with CaptureQueriesContext(connection) as queries:
        response = _get(client, api_key, category="COP", **ANTAKYA)

    assert response.status_code == 200
    [statement] = [q["sql"] for q in queries.captured_queries]
    assert "routing_rules_state" in statement and "geopool_apikey" in statement

    # A rule set activated since is what the next keyed call routes with.
    draft = rule_set_draft(RuleSet.objects.get(is_active=True), name="Taslak")
    rule_set_activate(draft)
    routed = _get(client, api_key, category="COP", **ANTAKYA).json()
    assert routed["rule_set_version"] == draft.version
