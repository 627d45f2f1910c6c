"""Sample requests at set distances from the pack's illustrative demo layers.

The ``near_features`` sample sources place points at exact ground distances
from each drawn road, park and container city, so that every distance rule
visibly fires on one side of its threshold and does not on the other. These
tests check the distances independently of the generator (EPSG:5256 with
shapely, and a geodesic check with pyproj's Geod), that the demo files are
what they claim (illustrative, inside Hatay, owned by bodies of the pack),
and that loading the samples is idempotent.

The geometry tests need no database; the loading tests use the real Hatay
pack and districts (the ``hatay`` fixture).
"""

import csv
import json
import logging

import pytest

import shapely
from pyproj import Geod, Transformer
from shapely.geometry import LineString, Point, Polygon, shape
from shapely.ops import unary_union

from geopool.packs import read_pack
from geopool.services.samples import (
    TOLERANCE_M,
    points_near_feature,
    samples_load,
    signed_distance_m,
)
from geopool.spatial import METRIC_SRID
from tests.conftest import DISTRICTS_FILE, PACK, data_file

DEMO = PACK / "demo"
ROAD_CLASSES = {"motorway", "state_highway", "hbb_arterial", "district_street"}
# Demo file -> the property naming the responsible body.
BODY_PROPERTY = {
    "roads.geojson": "owner",
    "parks.geojson": "maintainer",
    "container_cities.geojson": "operator",
}
TO_METRIC = Transformer.from_crs(4326, METRIC_SRID, always_xy=True)
GEOD = Geod(ellps="WGS84")


def _metric(geom):
    return shapely.transform(
        geom, lambda x, y: TO_METRIC.transform(x, y), interleaved=False
    )


def metric_distance(lon, lat, geom):
    """Distance in EPSG:5256 (m), negative inside a polygon: the check."""
    projected = _metric(geom)
    point = Point(TO_METRIC.transform(lon, lat))
    if projected.geom_type in {"Polygon", "MultiPolygon"} and projected.contains(point):
        return -projected.boundary.distance(point)
    return projected.distance(point)


def _collection(name):
    return json.loads((DEMO / name).read_text(encoding="utf-8"))


def _features(name):
    return {
        f["properties"]["code"]: shape(f["geometry"])
        for f in _collection(name)["features"]
    }


def _near_specs(pack):
    return [s for s in pack.meta["samples"]["points"] if s["format"] == "near_features"]


def _parse_key(key):
    """``sample:pack:demo/roads.geojson:KGM-D817-2:20m:YOL-BAKIM`` -> parts."""
    rest = key.removeprefix("sample:")
    source, code, metres, category = rest.rsplit(":", 3)
    return source, code, float(metres.removesuffix("m")), category


# --- pure geometry, no database ---------------------------------------------


def test_points_beside_a_line_are_at_the_exact_distances():
    line = LineString([(36.10, 36.20), (36.16, 36.21), (36.20, 36.26)])
    points = points_near_feature(line, [5, 20, 30])
    assert [p.distance_m for p in points] == [5, 20, 30]
    for p in points:
        assert metric_distance(p.lon, p.lat, line) == pytest.approx(
            p.distance_m, abs=TOLERANCE_M
        )
        assert abs(p.measured_m - p.distance_m) <= TOLERANCE_M


def test_points_inside_and_outside_a_polygon_measure_from_its_edge():
    park = Polygon(
        [(36.160, 36.200), (36.161, 36.200), (36.161, 36.2008), (36.160, 36.2008)]
    )
    points = points_near_feature(park, [-10, 3, 8])
    assert [p.distance_m for p in points] == [-10, 3, 8]
    inside, near, far = points
    assert park.contains(Point(inside.lon, inside.lat))
    assert not park.contains(Point(near.lon, near.lat))
    for p in points:
        assert metric_distance(p.lon, p.lat, park) == pytest.approx(
            p.distance_m, abs=TOLERANCE_M
        )


def test_geojson_dict_and_point_features_are_accepted():
    points = points_near_feature({"type": "Point", "coordinates": [36.16, 36.2]}, [7])
    assert len(points) == 1
    assert signed_distance_m(points[0].lon, points[0].lat, Point(36.16, 36.2)) == (
        pytest.approx(7, abs=0.01)
    )


def test_a_point_nearer_another_feature_is_skipped_with_a_log_line(caplog):
    line = LineString([(36.10, 36.20), (36.12, 36.20)])
    # A parallel line 25 m north (and none south would help: block both sides).
    north = LineString([(36.10, 36.200225), (36.12, 36.200225)])
    south = LineString([(36.10, 36.199775), (36.12, 36.199775)])
    with caplog.at_level(logging.WARNING, logger="geopool.services.samples"):
        points = points_near_feature(line, [5, 30], [north, south], "test line")
    assert [p.distance_m for p in points] == [5]
    assert "no sample point 30 m from test line" in caplog.text
    assert "another feature is" in caplog.text


def test_a_negative_distance_has_no_point_for_a_line(caplog):
    line = LineString([(36.10, 36.20), (36.12, 36.20)])
    with caplog.at_level(logging.WARNING, logger="geopool.services.samples"):
        assert points_near_feature(line, [-5], label="test line") == []
    assert "no sample point -5 m from test line" in caplog.text


def test_demo_layers_are_illustrative_and_owned_by_pack_bodies():
    with (PACK / "bodies.csv").open(encoding="utf-8") as handle:
        bodies = {row["code"] for row in csv.DictReader(handle)}
    kinds = {
        "roads.geojson": {"LineString"},
        "parks.geojson": {"Polygon"},
        "container_cities.geojson": {"Polygon"},
    }
    for name, prop in BODY_PROPERTY.items():
        collection = _collection(name)
        assert collection["type"] == "FeatureCollection"
        assert collection["illustrative"] is True
        codes = [f["properties"]["code"] for f in collection["features"]]
        assert len(codes) == len(set(codes)), name
        for feature in collection["features"]:
            props = feature["properties"]
            assert props["illustrative"] is True, props["code"]
            assert props["name"], props["code"]
            assert props[prop] in bodies, props["code"]
            assert feature["geometry"]["type"] in kinds[name]
            if name == "roads.geojson":
                assert props["class"] in ROAD_CLASSES
    roads = _collection("roads.geojson")["features"]
    refs = {f["properties"]["ref"] for f in roads if f["properties"]["owner"] == "KGM"}
    assert refs == {"O-53", "D-817", "D-420", "D-825", "D-827"}
    assert {f["properties"]["class"] for f in roads} == ROAD_CLASSES
    operators = {
        f["properties"]["operator"]
        for f in _collection("container_cities.geojson")["features"]
    }
    assert operators == {"AFAD"}


def test_demo_features_lie_inside_the_province():
    districts = json.loads(data_file(DISTRICTS_FILE).read_text(encoding="utf-8"))
    province = unary_union([shape(f["geometry"]) for f in districts["features"]])
    for name in BODY_PROPERTY:
        for code, geom in _features(name).items():
            assert province.contains(geom), f"{name} {code} leaves the province"
            # RFC 7946: exterior rings counter-clockwise.
            if geom.geom_type == "Polygon":
                assert geom.exterior.is_ccw, code


def test_every_demo_feature_gets_every_wanted_distance():
    pack = read_pack(PACK)
    for spec in _near_specs(pack):
        name = spec["source"].removeprefix("pack:demo/")
        features = _features(name)
        geoms = list(features.values())
        for index, (code, geom) in enumerate(features.items()):
            others = geoms[:index] + geoms[index + 1 :]
            points = points_near_feature(geom, spec["distances_m"], others, code)
            assert [p.distance_m for p in points] == spec["distances_m"], code
            for p in points:
                assert metric_distance(p.lon, p.lat, geom) == pytest.approx(
                    p.distance_m, abs=TOLERANCE_M
                ), code
                nearest_other = min(
                    (abs(metric_distance(p.lon, p.lat, g)) for g in others),
                    default=float("inf"),
                )
                assert nearest_other > abs(p.distance_m), code


def _geodesic_distance_to_segment(lon, lat, a, b, step_m=1.0):
    """Geodesic distance (m) from a point to the geodesic a-b, by dense sampling."""
    length = GEOD.inv(a[0], a[1], b[0], b[1])[2]
    samples = [a, *GEOD.npts(a[0], a[1], b[0], b[1], int(length / step_m)), b]
    best = min(samples, key=lambda q: GEOD.inv(lon, lat, q[0], q[1])[2])
    # Refine around the best sample (the sampling error is ~step²/8d).
    i = samples.index(best)
    lo, hi = samples[max(i - 1, 0)], samples[min(i + 1, len(samples) - 1)]
    fine = [lo, *GEOD.npts(lo[0], lo[1], hi[0], hi[1], 200), hi]
    return min(GEOD.inv(lon, lat, q[0], q[1])[2] for q in fine)


def _nearest_segment(lon, lat, line):
    coords = list(line.coords)
    point = Point(TO_METRIC.transform(lon, lat))
    return min(
        zip(coords, coords[1:], strict=False),
        key=lambda s: _metric(LineString(s)).distance(point),
    )


def test_the_20_m_point_of_a_d817_segment_is_20_m_from_it_pure():
    features = _features("roads.geojson")
    segment = features["KGM-D817-2"]
    others = [g for code, g in features.items() if code != "KGM-D817-2"]
    (point,) = points_near_feature(segment, [20], others)
    a, b = _nearest_segment(point.lon, point.lat, segment)
    assert _geodesic_distance_to_segment(point.lon, point.lat, a, b) == (
        pytest.approx(20, abs=TOLERANCE_M)
    )


# --- loading, with the real Hatay pack and districts -------------------------


def _near_only(pack):
    """The pack with only its near-feature sample sources (a faster load)."""
    pack.meta["samples"]["points"] = _near_specs(pack)
    return pack


def _expected_keys(pack):
    keys = set()
    for spec in _near_specs(pack):
        name = spec["source"].removeprefix("pack:demo/")
        for code in _features(name):
            for metres in spec["distances_m"]:
                for category in spec["categories"]:
                    keys.add(f"sample:{spec['source']}:{code}:{metres:g}m:{category}")
    return keys


@pytest.mark.django_db
def test_near_feature_samples_are_created_at_the_exact_distances(hatay):
    from geopool.models import ServiceRequest
    from routing_rules.decide import decide

    pack = _near_only(read_pack(PACK))
    created, skipped, refused = samples_load(pack, progress=False)
    expected = _expected_keys(pack)
    assert (created, skipped, refused) == (len(expected), 0, 0)
    samples = ServiceRequest.objects.filter(external_id__startswith="sample:pack:")
    assert set(samples.values_list("external_id", flat=True)) == expected
    geometries = {
        spec["source"]: _features(spec["source"].removeprefix("pack:demo/"))
        for spec in _near_specs(pack)
    }
    for request in samples.select_related("category"):
        source, code, metres, category = _parse_key(request.external_id)
        assert request.is_sample and request.category.code == category
        lon, lat = request.location.x, request.location.y
        distance = metric_distance(lon, lat, geometries[source][code])
        assert distance == pytest.approx(metres, abs=TOLERANCE_M), request.external_id
        assert f"{abs(metres):g} m" in request.description
        assert request.description.startswith("Örnek: ")
        # Inside the province: decide() neither refuses nor snaps the point.
        outcome = decide((lon, lat), request.category)
        assert not {"snapped", "outside_districts", "triage"} & set(outcome.flags)
        current = request.decisions.get(is_current=True)
        assert "outside_districts" not in current.flags


@pytest.mark.django_db
def test_loading_the_samples_twice_creates_nothing_new(hatay):
    from geopool.models import ServiceRequest

    first = samples_load(read_pack(PACK), progress=False)
    count = ServiceRequest.objects.filter(is_sample=True).count()
    assert first[0] > 0 and count == first[0]
    again = samples_load(read_pack(PACK), progress=False)
    # Refused samples are never stored, so they are tried (and refused) again.
    assert again == (0, first[0], first[2])
    assert ServiceRequest.objects.filter(is_sample=True).count() == count


@pytest.mark.django_db
def test_the_20_m_point_of_a_d817_segment_is_20_m_from_that_segment(hatay):
    from geopool.models import ServiceRequest

    samples_load(_near_only(read_pack(PACK)), progress=False)
    request = ServiceRequest.objects.get(
        external_id="sample:pack:demo/roads.geojson:KGM-D817-2:20m:YOL-BAKIM"
    )
    lon, lat = request.location.x, request.location.y
    segment = _features("roads.geojson")["KGM-D817-2"]
    assert metric_distance(lon, lat, segment) == pytest.approx(20, abs=TOLERANCE_M)
    a, b = _nearest_segment(lon, lat, segment)
    assert _geodesic_distance_to_segment(lon, lat, a, b) == pytest.approx(
        20, abs=TOLERANCE_M
    )
    assert "D-817" in request.description and "20 m" in request.description
