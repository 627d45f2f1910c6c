"""Geocoding in the product, on the real Hatay gazetteer: API, Open311, queue."""

import pytest
from django.test import Client

from boundaries.lookup import covering_features
from geopool.models import ServiceRequest
from tests.web.helpers import in_menu

AKHISAR = "Hatay ,Antakya ,Akhisar Mh."


def _get(client, key, path, **params):
    return client.get(path, params, headers={"Authorization": f"Bearer {key}"})


def test_geocode_places_a_neighbourhood_with_a_polygon(client, api_key):
    body = _get(client, api_key, "/api/geocode", q=AKHISAR).json()
    assert body["level"] == "neighbourhood"
    assert body["confidence"] == 1.0
    assert body["district"] == {"code": "2080", "name": "Antakya"}
    assert body["neighbourhood"]["name"] == "Akhisar"
    assert body["location_source"] == "polygon"
    assert body["needs_pin"] is False
    point = body["location"]
    names = [f.name for f in covering_features("osm_neighbourhoods", **point)]
    assert names == ["Akhisar Mahallesi"]


def test_geocode_street_in_a_neighbourhood_without_polygon_needs_a_pin(client, api_key):
    body = _get(
        client, api_key, "/api/geocode", q="Hatay ,Defne ,Harbiye Mh.Ürgen Cad."
    ).json()
    assert body["level"] == "street"
    assert body["district"] == {"code": "2082", "name": "Defne"}
    assert body["neighbourhood"]["name"] == "Harbiye"
    assert body["street"] == {"code": "84829084", "name": "ÜRGEN", "type": "cadde"}
    assert body["location_source"] == "district"
    assert body["needs_pin"] is True


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({}, "q", "q is required"),
        ({"q": "  "}, "q", "q is required"),
        ({"q": "x" * 501}, "q", "q is 501 characters long; at most 500"),
        ({"q": AKHISAR, "limit": "0"}, "limit", "limit='0' is not a whole number"),
        (
            {"q": "Harbiye\x00 Mah."},
            "q",
            "q contains the control character U+0000, which text cannot hold;",
        ),
        (
            {"q": AKHISAR, "limit": "9" * 5000},
            "limit",
            f"limit='{'9' * 40}…' is not a whole number",
        ),
        ({"q": AKHISAR, "limit": "²"}, "limit", "limit='²' is not a whole number"),
    ],
)
def test_geocode_bad_input_is_a_400_naming_the_field(
    client, api_key, params, field, message
):
    response = _get(client, api_key, "/api/geocode", **params)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert response.json()["error"].startswith(message)


def test_geocode_and_reverse_need_a_key_or_staff(hatay):
    assert Client().get("/api/geocode", {"q": AKHISAR}).status_code == 401
    assert (
        Client().get("/api/reverse", {"lon": "36.1", "lat": "36.2"}).status_code == 401
    )


def test_reverse_names_district_and_neighbourhood(client, api_key):
    body = _get(
        client, api_key, "/api/reverse", lon="36.18821709729494", lat="36.30921345"
    ).json()
    assert body["district"] == {"code": "2080", "name": "Antakya"}
    assert body["neighbourhood"] == {
        "code": "149127",
        "name": "Akhisar",
        "approximate": False,
        "distance_m": 0.0,
    }
    response = _get(client, api_key, "/api/reverse", lon="36,18", lat="36.3")
    assert response.status_code == 400
    assert response.json()["field"] == "lon"
    assert "decimal comma" in response.json()["error"]


def _post(api_key, **fields):
    data = {"api_key": api_key, "service_code": "COP", **fields}
    return Client().post("/open311/v2/requests.json", data)


def test_open311_sure_neighbourhood_is_not_taken_for_the_place(api_key, make_staff):
    # Akhisar is certain, but its polygon's point is not where the rubbish
    # is: the request waits for a pin instead of being placed on a guess.
    response = _post(api_key, address_string=AKHISAR)
    assert response.status_code == 201
    code = response.json()[0]["service_request_id"]
    assert response.json()[0]["service_notice"].startswith(
        "Adres haritada güvenle bulunamadı;"
    )
    item = ServiceRequest.objects.get(tracking_code=code)
    assert (item.needs_location, item.location, item.location_source) == (
        True,
        None,
        "",
    )
    client = Client()
    client.force_login(make_staff("operator"))
    page = client.get("/needs-location/").content.decode()
    assert "Antakya / Akhisar" in page
    assert "nokta yalnızca mahallenin noktası; yerin kendisi işaretlenmeli" in page
    # The reading's confidence as the console writes it: two decimals, comma.
    assert "(güven 1,00; nokta yalnızca mahallenin noktası" in page
    # The request's history says what was read, in Turkish.
    client.force_login(make_staff("coordinator"))
    history = client.get(f"/requests/{code}/").content.decode()
    assert "Adres okundu (coğrafi kodlama)" in history
    assert '<div data-key="confidence">Güven: 1,00</div>' in history
    assert "nokta yalnızca mahallenin noktası; yerin kendisi işaretlenmeli" in history
    assert "reason_code" not in history
    assert "neighbourhood_point" not in history


def test_open311_unsure_address_waits_for_a_pin_never_at_a_guess(api_key, make_staff):
    response = _post(api_key, address_string="Harbiye Mah. Defne")
    assert response.status_code == 201
    code = response.json()[0]["service_request_id"]
    assert response.json()[0]["service_notice"] == (
        "Adres haritada güvenle bulunamadı; bir operatör konumu işaretleyince "
        "talep sorumlu kuruma yönlendirilecek. The address could not be placed "
        "on the map with confidence; an operator will set the location, then "
        "the request is routed to its owner."
    )
    shown = Client().get(f"/open311/v2/requests/{code}.json").json()[0]
    assert shown["service_notice"] == response.json()[0]["service_notice"]
    item = ServiceRequest.objects.get(tracking_code=code)
    assert item.needs_location is True
    assert item.location is None
    assert item.location_source == ""

    operator = make_staff("operator")
    client = Client()
    client.force_login(operator)
    page = client.get("/needs-location/").content.decode()
    assert code in page
    assert "Harbiye Mah. Defne" in page
    # Why the geocoder was unsure, in the page's language.
    assert "nokta yalnızca ilçenin noktası; konum işaretlenmeli" in page
    assert "Harbiye" in page

    bad = client.post(
        "/needs-location/",
        {"tracking_code": code, "lat": "36.13.2", "lon": ""},
        follow=True,
    )
    page = bad.content.decode()
    assert (
        f"{code}: Enlem (°K): “36.13.2” bir derece değeri değil; 36.2021 gibi "
        "yazın (ondalık virgül de olur: 36,2021)."
    ) in page
    assert f"{code}: Boylam (°D): Bu alan zorunlu." in page
    item.refresh_from_db()
    assert item.needs_location is True

    # Turkish writes a decimal comma: read like a point.
    client.post(
        "/needs-location/", {"tracking_code": code, "lat": "36,132", "lon": "36,137"}
    )
    item.refresh_from_db()
    assert item.needs_location is False
    assert item.location_source == "operator_pin"
    assert item.owner_body.code == "DEFNE"
    shown = Client().get(f"/open311/v2/requests/{code}.json").json()[0]
    assert shown["service_notice"] == ""
    after = client.get("/needs-location/").content.decode()
    assert 'data-testid="needs-location-table"' not in after


def test_open311_without_point_or_address_names_lat_and_long(api_key):
    response = _post(api_key)
    assert response.status_code == 400
    text = " ".join(e["description"] for e in response.json())
    assert "lat is required" in text
    assert "or send address_string" in text
    response = _post(api_key, lat="36.2", address_string=AKHISAR)
    assert response.status_code == 400
    assert "long is required" in response.json()[0]["description"]


def test_request_page_shows_district_and_neighbourhood(api_key, make_staff):
    point = {"lat": "36.3092", "long": "36.1882"}  # inside Akhisar's polygon
    code = _post(api_key, **point).json()[0]["service_request_id"]
    client = Client()
    client.force_login(make_staff("coordinator"))
    page = client.get(f"/requests/{code}/").content.decode()
    assert "Antakya / Akhisar" in page


def test_crew_place_box_answers_through_the_geocoder(make_staff):
    crew = make_staff("field_crew", body="ANTAKYA")
    client = Client()
    client.force_login(crew)
    places = client.get("/crew/place", {"q": "akhisar mh antakya"}).json()["places"]
    assert [(p["label"], p["kind"], p["approximate"]) for p in places] == [
        ("Akhisar, Antakya", "Mahalle", True)
    ]
    point = {"lon": places[0]["lon"], "lat": places[0]["lat"]}
    names = [f.name for f in covering_features("osm_neighbourhoods", **point)]
    assert names == ["Akhisar Mahallesi"]
    assert client.get("/crew/place", {"q": "Ankara"}).json()["places"] == []


def test_a_place_placed_only_at_its_district_is_named_by_the_district(make_staff):
    """Harbiye has no polygon or point here: the geocoder places the street
    at Defne's point, and the place says Defne, not the street."""
    from geocoding.match import geocode

    text = "Harbiye Mah. Ürgen Cad. Defne"
    assert geocode(text).location_source == "district"
    client = Client()
    client.force_login(make_staff("field_crew", body="DEFNE"))
    places = client.get("/crew/place", {"q": text}).json()["places"]
    assert [(p["label"], p["kind"], p["approximate"]) for p in places][:1] == [
        ("Defne", "İlçe", True)
    ]


def test_emergencies_lead_the_needs_location_queue(api_key, make_staff):
    first = _post(api_key, address_string="Harbiye Mah. Defne").json()
    gas = _post(api_key, service_code="GAZ", address_string="Kırıkhan").json()
    client = Client()
    client.force_login(make_staff("operator"))
    page = client.get("/needs-location/").content.decode()
    gas_code = gas[0]["service_request_id"]
    assert page.index(gas_code) < page.index(first[0]["service_request_id"])
    assert page.count('data-testid="emergency"') == 1


def test_a_pin_beyond_the_service_area_is_refused_in_turkish(api_key, make_staff):
    code = _post(api_key, address_string="Harbiye Mah. Defne").json()[0][
        "service_request_id"
    ]
    client = Client()
    client.force_login(make_staff("operator"))
    page = client.post(
        "/needs-location/",
        {"tracking_code": code, "lat": "39.92", "lon": "32.85"},  # Ankara
        follow=True,
    ).content.decode()
    assert (f"{code}: Değiştirilmedi: bu nokta hizmet alanının dışında") in page
    assert ServiceRequest.objects.get(tracking_code=code).needs_location is True


def test_the_menu_leads_operators_to_the_queue_and_no_one_else(make_staff):
    link = '<a class="nav-link" href="/needs-location/">Konum bekleyenler</a>'
    for role, shown in (
        ("operator", True),
        ("coordinator", True),
        ("body_staff", False),
    ):
        assert in_menu(make_staff, role, link) is shown, role
