"""Street lines and door points loaded by the layer import place addresses.

A municipality's street-line file (each line with its neighbourhood's code
and the street's name) and door-number points (street code, number) go
through the ordinary layer import; rebuilding the gazetteer then places a
neighbourhood without a polygon at the middle of its streets, a street at
its line and a door at its point, and reverse geocoding names the street.
"""

import json

import pytest

from boundaries.importing.service import layer_import
from geocoding.gazetteer import gazetteer_load
from geocoding.match import geocode
from geocoding.models import Neighbourhood, Street
from geocoding.reverse import reverse_geocode
from geopool.packs import read_pack
from tests.conftest import PACK

HARBIYE = "149177"  # Defne / Harbiye in the neighbourhood list
URGEN = "84829084"  # its street ÜRGEN in the street list


def _write(path, features):
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def address_layers(hatay, tmp_path):
    lines = _write(
        tmp_path / "sokaklar.geojson",
        [
            {
                "type": "Feature",
                "properties": {"ad": "ÜRGEN", "mahalle_id": HARBIYE, "kod": "L1"},
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[36.1370, 36.1320], [36.1390, 36.1320]],
                },
            }
        ],
    )
    doors = _write(
        tmp_path / "kapilar.geojson",
        [
            {
                "type": "Feature",
                "properties": {"no": "12", "sokak": URGEN, "kod": "K1"},
                "geometry": {"type": "Point", "coordinates": [36.1375, 36.13205]},
            }
        ],
    )
    layer_import(
        lines,
        "street_lines",
        name_field="ad",
        code_field="kod",
        attributes={"neighbourhood_code": "mahalle_id"},
        geometry_kind="line",
        title="Sokaklar",
        commit=True,
        activate=True,
    )
    layer_import(
        doors,
        "door_points",
        name_field="no",
        code_field="kod",
        attributes={"street_code": "sokak", "number": "no"},
        geometry_kind="point",
        title="Kapılar",
        commit=True,
        activate=True,
    )
    return gazetteer_load(read_pack(PACK))


def test_street_lines_and_door_points_place_addresses(address_layers):
    # One test: rebuilding the gazetteer of 30,000 streets takes a while.
    # A neighbourhood without a polygon is placed at the middle of its streets.
    assert address_layers["locations"]["streets"] == 1
    assert address_layers["doors"] == 1
    harbiye = Neighbourhood.objects.get(code=HARBIYE)
    assert harbiye.location_source == "streets"
    assert harbiye.location_note == "1 street lines"
    assert (round(harbiye.location.x, 4), round(harbiye.location.y, 4)) == (
        36.138,
        36.132,
    )
    assert Street.objects.get(code=URGEN).geometry is not None

    # A door number on a street with door points is a door-level answer.
    door = geocode("Harbiye Mah. Ürgen Cad. No:12 D:3 Defne/Hatay")
    assert (door.level, door.location_source, door.needs_pin) == ("door", "door", False)
    assert (door.lon, door.lat) == (36.1375, 36.13205)
    assert (door.door, door.flat) == ("12", "3")
    street = geocode("Harbiye Mah. Ürgen Cad. No:99 Defne")
    assert (street.level, street.location_source) == ("street", "street")
    assert (round(street.lon, 4), round(street.lat, 4)) == (36.138, 36.132)

    # Reverse geocoding names the nearest street line.
    place = reverse_geocode(36.1380, 36.1322)
    assert place["district"] == {"code": "2082", "name": "Defne"}
    assert place["street"]["name"] == "ÜRGEN"
    assert place["street"]["distance_m"] == pytest.approx(22.2, abs=0.5)
    assert place["neighbourhood"]["name"] == "Harbiye"
    assert place["neighbourhood"]["approximate"] is True


def test_open311_places_an_address_at_its_door(address_layers, api_key):
    from django.test import Client

    from geopool.models import ServiceRequest

    response = Client().post(
        "/open311/v2/requests.json",
        {
            "api_key": api_key,
            "service_code": "COP",
            "address_string": "Harbiye Mah. Ürgen Cad. No:12 Defne",
        },
    )
    assert response.status_code == 201
    assert response.json()[0]["service_notice"] == ""
    item = ServiceRequest.objects.get(
        tracking_code=response.json()[0]["service_request_id"]
    )
    assert (item.needs_location, item.location_source) == (False, "geocoded")
    assert (item.location.x, item.location.y) == (36.1375, 36.13205)
    assert item.owner_body.code == "DEFNE"
