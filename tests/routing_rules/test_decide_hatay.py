"""Routing on Hatay's real districts.

What the data must contain (checked below): 448 AFAD assembly areas in
Hatay; 392 of them lie at least 750 m (EPSG:5256) from every district
boundary, the province outline included. Each of those 392 is routed for
``COP`` (waste, a district duty) to the municipality of the district its own
``district`` label names. The file's derived ``osm_district`` / ``agrees``
columns are never used: the expected owner comes from the label alone.
"""

import csv
import json

import numpy as np
import pytest

import shapely
from pyproj import Transformer
from shapely.geometry import shape

from geopool.models import Body
from geopool.text import fold
from routing_rules.decide import decide
from tests.conftest import DISTRICTS_FILE, data_file

ASSEMBLY_AREAS = "hatay/hatay_afad_assembly_areas.csv"
HATAY_ROWS = 448
FAR_FROM_EDGES = 392
MIN_EDGE_DISTANCE_M = 750

pytestmark = pytest.mark.django_db


def _district_edges_5256():
    """All district boundaries (shared edges and province outline) in EPSG:5256."""
    to_metric = Transformer.from_crs(4326, 5256, always_xy=True)
    data = json.loads(data_file(DISTRICTS_FILE).read_text(encoding="utf-8"))
    edges = [
        shapely.transform(
            shape(f["geometry"]).boundary,
            lambda xy: np.column_stack(to_metric.transform(xy[:, 0], xy[:, 1])),
        )
        for f in data["features"]
    ]
    return shapely.union_all(edges), to_metric


def _far_assembly_areas():
    edges, to_metric = _district_edges_5256()
    shapely.prepare(edges)
    with data_file(ASSEMBLY_AREAS).open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["province"] == "HATAY"]
    assert len(rows) == HATAY_ROWS
    far = []
    for row in rows:
        lon, lat = float(row["lon"]), float(row["lat"])
        x, y = to_metric.transform(lon, lat)
        if shapely.distance(edges, shapely.Point(x, y)) >= MIN_EDGE_DISTANCE_M:
            far.append((lon, lat, row["district"], row["name"]))
    return far


def test_assembly_areas_far_from_edges_go_to_their_labelled_district(hatay):
    municipality_by_name = {
        fold(b.short_name): b for b in Body.objects.filter(kind="district")
    }
    far = _far_assembly_areas()
    assert len(far) == FAR_FROM_EDGES

    wrong = []
    for lon, lat, label, name in far:
        expected = municipality_by_name[fold(label)]
        outcome = decide((lon, lat), "COP")
        if outcome.owner_body != expected or outcome.flags:
            wrong.append((name, label, outcome.owner_body.code, outcome.flags))
    assert wrong == []


def test_labels_fold_to_district_names_with_turkish_letters(hatay):
    # The AFAD labels are upper case ("İSKENDERUN", "KIRIKHAN"); the stored
    # names keep their Turkish letters.
    names = set(
        Body.objects.filter(kind="district").values_list("short_name", flat=True)
    )
    assert {"İskenderun", "Kırıkhan", "Yayladağı", "Dörtyol", "Altınözü"} <= names
    assert fold("İSKENDERUN") == fold("İskenderun")
    assert fold("KIRIKHAN") == fold("Kırıkhan")


@pytest.mark.parametrize(
    ("category", "lon", "lat", "owner"),
    [
        # Antakya centre, a district duty.
        ("COP", 36.1603, 36.2021, "Antakya Belediyesi"),
        # Water is HATSU's everywhere in the province.
        ("SU", 36.1603, 36.2021, "Hatay Su ve Kanalizasyon İdaresi (HATSU)"),
        # Street lights: the electricity distributor.
        ("AYD-SOKAK", 36.1710, 36.5902, "Toroslar EDAŞ"),
        # İskenderun seat point, a district duty.
        ("HAYVAN", 36.1710354, 36.5902266, "İskenderun Belediyesi"),
        # Information requests go to the pool coordinator.
        (
            "DIGER",
            36.1603,
            36.2021,
            "Hatay Büyükşehir Belediyesi — "
            "Basın Yayın ve Halkla İlişkiler Dairesi Başkanlığı",
        ),
    ],
)
def test_category_defaults_on_real_points(hatay, category, lon, lat, owner):
    assert decide((lon, lat), category).owner_label == owner


def test_gas_smell_is_urgent_and_names_the_line_to_call(hatay):
    outcome = decide((36.1603, 36.2021), "GAZ")
    assert outcome.owner_body.code == "AKSA"
    assert outcome.flags == ["urgent"]
    assert outcome.is_urgent
    assert "187" in outcome.service_notice
    assert outcome.explanation_tr.startswith("ACİL (187).")


def test_explanation_names_category_district_rule_and_owner(hatay):
    outcome = decide((36.1603, 36.2021), "COP")
    assert outcome.explanation_tr == (
        "Çöp toplama ve konteyner, Antakya ilçe sınırı içinde, kural "
        "ILCE-HIZMETLERI: Antakya Belediyesi"
    )
    assert outcome.explanation_en == (
        "Waste collection and bins, inside the Antakya district boundary, rule "
        "ILCE-HIZMETLERI: Antakya Belediyesi"
    )
    assert outcome.generations == {"districts": 1, "container_cities": 1}
    assert outcome.rule_set_version == 2
