"""A request's page shows where it lies: the district, the feature that
decided its owner (named, measured and drawn) and the open requests nearby."""

import json
import re

from shapely.geometry import LineString, Point, shape

from geopool.models import Status
from tests.routing_rules.test_default_rules import at, replace_layer
from tests.web.console.helpers import point_from
from tests.web.helpers import ANTAKYA, request_at
from tests.web.requestpages.conftest import page_url
from tests.web.requestpages.html import texts


def _map_data(content):
    found = re.search(
        r'<script id="request-map-data" type="application/json">(.*?)</script>',
        content.decode(),
        re.S,
    )
    return json.loads(found.group(1))


def test_the_road_that_decided_is_named_measured_and_drawn(as_user, hatay):
    replace_layer(
        "roads",
        [
            (
                "D-817 devlet yolu",
                "KGM-1",
                {"class": "state_highway", "ref": "D-817", "owner": "KGM"},
                LineString([(-500, 0), (500, 0)]),
            )
        ],
    )
    lon, lat = at(100, -9)
    item = request_at("YOL-BAKIM", lon=lon, lat=lat)
    assert item.owner_body.code == "KGM"
    response = as_user("coordinator").get(page_url(item))
    assert response.status_code == 200
    assert texts(response.content, "map-district") == ["Antakya (2080)"]
    assert texts(response.content, "map-deciding") == [
        "Yollar (temsili): D-817 devlet yolu (KGM-1), 9 m uzakta"
    ]
    data = _map_data(response.content)
    assert (data["lon"], data["lat"]) == (item.location.x, item.location.y)
    deciding = data["deciding"]
    assert (deciding["layer"], deciding["code"], deciding["distance_m"]) == (
        "roads",
        "KGM-1",
        9.0,
    )
    assert deciding["geometry"]["type"] == "MultiLineString" or (
        deciding["geometry"]["type"] == "LineString"
    )
    west, east = at(-500, 0), at(500, 0)
    coordinates = deciding["geometry"]["coordinates"]
    line = (
        coordinates[0]
        if deciding["geometry"]["type"] == "MultiLineString"
        else (coordinates)
    )
    assert line[0] == [round(west[0], 6), round(west[1], 6)]
    assert line[-1] == [round(east[0], 6), round(east[1], 6)]
    assert b"/static/geopool/request_map.js" in response.content


def test_a_district_rule_names_the_district_that_covers_it(as_user, hatay):
    item = request_at("COP", **ANTAKYA)
    response = as_user("antakya").get(page_url(item))
    assert texts(response.content, "map-deciding") == [
        "İlçeler: Antakya (2080), nokta onun içinde"
    ]
    geometry = _map_data(response.content)["deciding"]["geometry"]
    assert geometry["type"] in ("Polygon", "MultiPolygon")
    assert shape(geometry).contains(Point(ANTAKYA["lon"], ANTAKYA["lat"]))


def test_nearby_open_requests_are_listed_with_distances_visible_only(as_user, hatay):
    item = request_at("COP", **ANTAKYA)
    near = request_at("TEMIZLIK", **point_from(ANTAKYA, 35, 90))
    farther = request_at("COP", **point_from(ANTAKYA, 260, 0))
    water = request_at("SU", **point_from(ANTAKYA, 20, 180))  # HATSU's
    done = request_at("COP", **point_from(ANTAKYA, 15, 0))
    done.status = Status.CLOSED
    done.save(update_fields=["status"])
    request_at("COP", **point_from(ANTAKYA, 700, 0))  # beyond 500 m

    rows = texts(as_user("antakya").get(page_url(item)).content, "map-nearby")
    assert rows == [
        f"35 m {near.tracking_code} Cadde ve sokak temizliği Yeni "
        f"260 m {farther.tracking_code} Çöp toplama ve konteyner Yeni"
    ]
    everything = as_user("coordinator").get(page_url(item)).content
    assert [row["tracking_code"] for row in _map_data(everything)["nearby"]] == [
        water.tracking_code,
        near.tracking_code,
        farther.tracking_code,
    ]
    assert _map_data(everything)["nearby"][0]["distance_m"] == 20.0


def test_a_request_without_a_location_has_no_map(as_user, new_request):
    item = new_request(point=None)
    response = as_user("coordinator").get(page_url(item))
    assert response.status_code == 200
    assert b'data-testid="place-map"' not in response.content
    assert b"request_map.js" not in response.content
