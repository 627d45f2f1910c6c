"""Boundary semantics on tiny inline squares, far from Hatay.

Squares are built in WGS 84 around (40°E, 40°N), so no Hatay district is
within the service-area buffer and only these squares count:

    A1 = [40.00, 40.01] × [40.00, 40.01]   (code "A1")
    B2 = [40.01, 40.02] × [40.00, 40.01]   (code "B2"), shares x = 40.01 with A1
    C3 = [40.0203, 40.03] × [40.00, 40.01] (code "C3"); the strip between
         x = 40.02 and 40.0203 (~26 m wide) is a digitising gap

Expected distances are computed here with pyproj's geodesic on WGS 84,
independently of PostGIS.
"""

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from pyproj import Geod

from boundaries.models import Feature, Generation, Layer
from geopool.models import Body, Jurisdiction
from routing_rules.decide import decide
from routing_rules.errors import OutsideServiceArea

GEOD = Geod(ellps="WGS84")
SQUARES = {
    "A1": (40.00, 40.01),
    "B2": (40.01, 40.02),
    "C3": (40.0203, 40.03),
}
LAT = 40.005  # the middle row of every square


def _square(west, east, south=40.00, north=40.01):
    ring = ((west, south), (east, south), (east, north), (west, north), (west, south))
    return MultiPolygon(Polygon(ring), srid=4326)


def _metres_east(lon, metres):
    """Longitude ``metres`` east of ``lon`` along the parallel LAT."""
    east, _, _ = GEOD.fwd(lon, LAT, 90, metres)
    return east


@pytest.fixture
def squares(hatay):
    layer = Layer.objects.create(
        code="squares", title="Squares", geometry_kind="polygon"
    )
    generation = Generation.objects.create(
        layer=layer,
        number=1,
        is_active=True,
        source_file="inline",
        source_checksum="0" * 64,
        source_crs="EPSG:4326",
    )
    for code, (west, east) in SQUARES.items():
        Feature.objects.create(
            generation=generation,
            name=f"Kare {code}",
            code=code,
            geometry=_square(west, east),
        )
        Body.objects.create(
            code=f"SQ-{code}",
            kind="district",
            name=f"Kare {code} Belediyesi",
            district_code=code,
        )
    settings = hatay.settings | {"district_layer": "squares"}
    Jurisdiction.objects.filter(pk=hatay.pk).update(settings=settings)
    return generation


def test_point_inside_a_square_goes_to_its_municipality(squares):
    outcome = decide((40.005, LAT), "COP")
    assert outcome.owner_body.code == "SQ-A1"
    assert outcome.flags == []
    assert outcome.generations == {"squares": 1, "container_cities": 1}


def test_point_on_shared_edge_gets_exactly_one_owner_lowest_code(squares):
    outcome = decide((40.01, LAT), "COP")
    # Covered by A1 and B2, contained by neither: the lowest code wins.
    assert outcome.owner_body.code == "SQ-A1"
    assert outcome.flags == ["on_edge"]
    assert [c["code"] for c in outcome.candidates] == ["A1", "B2"]
    assert "ortak sınırında" in outcome.explanation_tr


def test_point_in_gap_snaps_to_nearest_within_tolerance(squares):
    lon = _metres_east(40.02, 10.0)  # 10 m east of B2, ~16 m west of C3
    outcome = decide((lon, LAT), "COP")
    assert outcome.owner_body.code == "SQ-B2"
    assert outcome.flags == ["snapped"]
    assert outcome.candidates[0]["code"] == "B2"
    assert outcome.candidates[0]["distance_m"] == pytest.approx(10.0, abs=0.1)
    assert "10 m uzakta (tolerans 25 m)" in outcome.explanation_tr


@pytest.mark.parametrize(
    ("metres_outside", "owner", "flags"),
    [
        # Just beyond the 25 m tolerance: created, sent to triage.
        (30, "HBB", ["outside_districts", "triage"]),
        # 5 km off: still inside the 20 km service area.
        (5000, "HBB", ["outside_districts", "triage"]),
    ],
)
def test_point_beyond_tolerance_goes_to_coordinator_triage(
    squares, metres_outside, owner, flags
):
    lon = _metres_east(40.03, metres_outside)
    outcome = decide((lon, LAT), "COP")
    assert outcome.owner_body.code == owner
    assert outcome.owner_department.code == "HBB-HALKLA"
    assert outcome.flags == flags
    assert outcome.needs_triage
    nearest = outcome.candidates[0]
    assert nearest["code"] == "C3"
    assert nearest["distance_m"] == pytest.approx(metres_outside, abs=0.5)


def test_category_default_body_keeps_its_owner_outside_districts(squares):
    # Water is HATSU's in the whole service area, districts or not.
    outcome = decide((_metres_east(40.03, 5000), LAT), "SU")
    assert outcome.owner_body.code == "HATSU"
    assert outcome.flags == ["outside_districts"]


def test_point_outside_service_area_is_refused_naming_lat_and_long(squares):
    lon = _metres_east(40.03, 25_000)
    with pytest.raises(OutsideServiceArea) as caught:
        decide((lon, LAT), "COP")
    assert "lat=40.005" in str(caught.value)
    assert f"long={lon}" in str(caught.value)
    assert caught.value.fields == ("lat", "long")


def test_request_without_location_goes_to_triage(squares):
    outcome = decide(None, "COP")
    assert outcome.owner_body.code == "HBB"
    assert outcome.flags == ["no_location", "triage"]


def test_inline_squares_are_stored_in_storage_srid(squares):
    stored = Feature.objects.get(code="B2").geometry
    assert stored.srid == 4326
    assert stored.equals(_square(40.01, 40.02))


def test_triage_explanation_says_where_and_why_once(squares):
    outcome = decide((_metres_east(40.03, 30), LAT), "COP")
    coordinator = (
        "Hatay Büyükşehir Belediyesi — Basın Yayın ve Halkla İlişkiler Dairesi "
        "Başkanlığı"
    )
    assert outcome.explanation_tr == (
        "Çöp toplama ve konteyner, hiçbir ilçe sınırı içinde değil (en yakın ilçe "
        f"Kare C3, 30 m): 25 m toleransın dışında; havuz koordinatörü ({coordinator}) "
        "karar verecek"
    )
    assert outcome.explanation_en == (
        "Waste collection and bins, not inside any district (nearest: Kare C3, "
        "30 m): beyond the 25 m tolerance; the pool coordinator "
        f"({coordinator}) will decide"
    )


def test_district_feature_without_code_sends_to_triage_not_to_a_random_body(
    squares,
):
    Feature.objects.filter(code="A1").update(code="")
    outcome = decide((40.005, LAT), "COP")
    assert outcome.owner_body.code == "HBB"
    assert outcome.flags == ["triage"]
    assert "has no official code" in outcome.explanation_en
