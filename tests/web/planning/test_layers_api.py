"""``GET /api/layers/`` and ``GET /api/layers/<layer>/features.geojson``.

Real data: the 15 Hatay districts are generation 1 of ``districts``. Small
files (``files.py``) are imported with the service for the rest.
"""

import json
import re
from datetime import datetime

import pytest

from shapely.geometry import Polygon

from boundaries.importing.service import layer_import
from geopool.api import layers as api
from tests.web.planning.files import EAST, WEST, geojson_file

pytestmark = pytest.mark.django_db

# Central Antakya (lon 36.16, lat 36.20) and a box of ±0.01° around it.
ANTAKYA_BBOX = "36.15,36.19,36.17,36.21"
INTEGER_COORDINATE = re.compile(r"[\[,]-?\d+[,\]]")


def _neighbourhoods(tmp_path, *features):
    layer_import(
        geojson_file(tmp_path, *features),
        "neighbourhoods",
        name_field="AD",
        code_field="KOD",
        attributes={"district": "ILCE"},
        commit=True,
        activate=True,
    )


def test_layer_list_gives_each_layer_and_its_active_generation(client, hatay):
    response = client.get("/api/layers/")

    assert response.status_code == 200
    layers = {layer["code"]: layer for layer in response.json()["layers"]}
    assert {"districts", "neighbourhoods"} <= set(layers)
    districts = layers["districts"]
    activated_at = districts["active_generation"].pop("activated_at")
    assert districts == {
        "code": "districts",
        "title": "İlçeler",
        "geometry_kind": "polygon",
        "is_boundary": True,
        "is_illustrative": False,
        "attribution": "© OpenStreetMap contributors (ODbL 1.0)",
        "active_generation": {
            "number": 1,
            "feature_count": 15,
            "source_file": "hatay_districts_osm.geojson",
            "source_crs": "EPSG:4326",
        },
    }
    assert datetime.fromisoformat(activated_at).tzinfo is not None
    assert layers["neighbourhoods"]["active_generation"] is None


def test_features_in_a_bbox_around_central_antakya(client, hatay):
    response = client.get(
        "/api/layers/districts/features.geojson", {"bbox": ANTAKYA_BBOX}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    collection = json.loads(response.content)
    assert collection["type"] == "FeatureCollection"
    names = [f["properties"]["name"] for f in collection["features"]]
    assert "Antakya" in names and "İskenderun" not in names
    antakya = next(
        f for f in collection["features"] if f["properties"]["name"] == "Antakya"
    )
    assert antakya["properties"] == {
        "name": "Antakya",
        "code": "2080",
        "attributes": {
            "name_ascii": "Antakya",
            "osm_relation_id": antakya["properties"]["attributes"]["osm_relation_id"],
            "postal_code": antakya["properties"]["attributes"]["postal_code"],
        },
        "generation": 1,
    }
    assert antakya["geometry"]["type"] == "MultiPolygon"
    lon, lat = antakya["geometry"]["coordinates"][0][0][0]
    assert 35.8 < lon < 36.7 and 35.8 < lat < 36.7  # lon, lat order


def test_all_features_without_a_bbox(client, hatay):
    collection = client.get("/api/layers/districts/features.geojson").json()

    assert len(collection["features"]) == 15


def test_coordinates_always_have_a_decimal_point(client, hatay, tmp_path):
    _neighbourhoods(tmp_path, WEST, EAST)

    text = client.get("/api/layers/neighbourhoods/features.geojson").content.decode()

    assert "[36.0,36.0]" in text.replace(" ", "")
    assert not INTEGER_COORDINATE.search(text.split('"coordinates"', 1)[1])


def test_polygon_exteriors_are_counterclockwise(client, hatay, tmp_path):
    name, code, square = WEST
    clockwise = square.exterior.coords[::-1]
    _neighbourhoods(tmp_path, (name, code, Polygon(clockwise)))

    feature = client.get("/api/layers/neighbourhoods/features.geojson").json()[
        "features"
    ][0]
    ring = feature["geometry"]["coordinates"][0][0]
    assert _signed_area(ring) > 0


def _signed_area(ring):
    """Shoelace formula: positive for a counterclockwise ring."""
    return (
        sum(
            x0 * y1 - x1 * y0
            for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False)
        )
        / 2
    )


@pytest.mark.parametrize(
    ("bbox", "expected"),
    [
        # Too few numbers.
        ("36.15,36.19,36.17", "expected four numbers"),
        # Decimal commas split into eight parts.
        ("36,15,36,19,36,17,36,21", "not a comma"),
        # Not numbers.
        ("a,b,c,d", "expected four numbers"),
        ("nan,36.19,36.17,36.21", "expected four numbers"),
        # West not west of east.
        ("36.17,36.19,36.15,36.21", "west < east"),
        # Latitude out of range.
        ("36.15,-91.0,36.17,36.21", "south < north within -90 to 90"),
        ("-181.0,36.19,36.17,36.21", "-180 to 180"),
    ],
)
def test_bad_bbox_is_400_naming_bbox(client, hatay, bbox, expected):
    response = client.get("/api/layers/districts/features.geojson", {"bbox": bbox})

    assert response.status_code == 400
    assert response.json()["field"] == "bbox"
    assert expected in response.json()["error"]
    assert "bbox=" in response.json()["error"]


def test_unknown_layer_is_404(client, hatay):
    response = client.get("/api/layers/yok/features.geojson")

    assert response.status_code == 404
    assert response.json() == {"error": "no layer 'yok'"}


def test_layer_without_an_active_generation_is_404_saying_so(client, hatay):
    response = client.get("/api/layers/neighbourhoods/features.geojson")

    assert response.status_code == 404
    assert "has no active generation" in response.json()["error"]


def test_too_many_features_asks_for_a_bbox(client, hatay, monkeypatch):
    monkeypatch.setattr(api, "FEATURES_LIMIT", 3)

    response = client.get("/api/layers/districts/features.geojson")

    assert response.status_code == 400
    assert response.json()["field"] == "bbox"
    assert "more than 3 features" in response.json()["error"]
    assert (
        client.get(
            "/api/layers/districts/features.geojson", {"bbox": ANTAKYA_BBOX}
        ).status_code
        == 200
    )


def test_covering_lookup_still_answers(client, hatay):
    response = client.get(
        "/api/layers/districts/covering", {"lon": "36.1603", "lat": "36.2021"}
    )

    assert response.json()["features"] == [
        {"name": "Antakya", "code": "2080", "generation": 1}
    ]
