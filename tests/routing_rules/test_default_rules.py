"""The Hatay pack's default rules, row by row, on features drawn by the test.

Every layer the rules consult is replaced by a generation built here around
a base point B in Antakya (lon 36.1603, lat 36.2021). Geometries are laid
out in metres east/north of B on a local transverse Mercator and converted
to WGS 84 with pyproj; each expected distance is the one the layout gives
(3 m north of a road is 3 m from it), checked against pyproj's geodesic.

    KGM state highway D-817:   the line north = 0 m, east -500 … +500 m
    HBB arterial:              the line north = 27 m, east -500 … +500 m
    HBB park (maintainer HBB): the square east 200 … 260 m, north -200 … -140 m
    Container city (AFAD):     the square east -300 … -240 m, north -200 … -140 m
"""

import datetime as dt

import numpy as np
import pytest
from django.contrib.gis.geos import GEOSGeometry
from django.utils import timezone

import shapely
from pyproj import Geod, Transformer
from shapely.geometry import LineString, Point, box

from boundaries.models import Feature, Generation, Layer
from routing_rules.decide import decide
from routing_rules.models import Delegation, RuleSet

B = (36.1603, 36.2021)
GEOD = Geod(ellps="WGS84")
_LOCAL = f"+proj=tmerc +lat_0={B[1]} +lon_0={B[0]} +k=1 +ellps=GRS80 +units=m"
_TO_WGS = Transformer.from_crs(_LOCAL, "EPSG:4326", always_xy=True)


def at(east, north):
    """(lon, lat) of the point ``east``/``north`` metres from B."""
    return _TO_WGS.transform(east, north)


def _wgs(geometry):
    wgs = shapely.transform(
        geometry, lambda xy: np.column_stack(_TO_WGS.transform(xy[:, 0], xy[:, 1]))
    )
    return GEOSGeometry(wgs.wkt, srid=4326)


def replace_layer(code, features):
    """Make a new generation of ``code`` holding ``features`` the active one.

    ``features`` are (name, code, attributes, shapely geometry in metres).
    """
    layer = Layer.objects.get(code=code)
    last = layer.generations.order_by("-number").first()
    layer.generations.filter(is_active=True).update(is_active=False)
    generation = Generation.objects.create(
        layer=layer,
        number=(last.number + 1) if last else 1,
        is_active=True,
        source_file="test",
        source_checksum="0" * 64,
        source_crs="EPSG:4326",
        feature_count=len(features),
    )
    for name, feature_code, attributes, geometry in features:
        Feature.objects.create(
            generation=generation,
            name=name,
            code=feature_code,
            attributes=attributes,
            geometry=_wgs(geometry),
        )
    return generation


@pytest.fixture
def town(hatay):
    replace_layer(
        "roads",
        [
            (
                "D-817 devlet yolu",
                "KGM-1",
                {"class": "state_highway", "ref": "D-817", "owner": "KGM"},
                LineString([(-500, 0), (500, 0)]),
            ),
            (
                "Kurtuluş Caddesi",
                "HBB-1",
                {"class": "hbb_arterial", "ref": "", "owner": "HBB"},
                LineString([(-500, 27), (500, 27)]),
            ),
        ],
    )
    replace_layer(
        "parks",
        [
            (
                "Deneme Parkı",
                "PARK-T1",
                {"maintainer": "HBB"},
                box(200, -200, 260, -140),
            )
        ],
    )
    replace_layer(
        "container_cities",
        [
            (
                "Deneme Konteyner Kent",
                "KK-T1",
                {"operator": "AFAD"},
                box(-300, -200, -240, -140),
            )
        ],
    )
    return hatay


def test_the_layout_distances_hold_on_the_ground():
    lon0, lat0 = at(0, 0)
    lon1, lat1 = at(0, 24)
    _, _, metres = GEOD.inv(lon0, lat0, lon1, lat1)
    assert metres == pytest.approx(24.0, abs=0.01)


def test_pothole_3_m_from_hbb_street_and_24_m_from_highway_goes_to_hbb(town):
    outcome = decide(at(0, 24), "YOL-BAKIM")
    assert outcome.owner_label == (
        "Hatay Büyükşehir Belediyesi — "
        "Yol Bakım ve Altyapı Koordinasyon Dairesi Başkanlığı"
    )
    assert outcome.rule_code == "YOL-HBB"
    roads = [c for c in outcome.candidates if c["layer"] == "roads"]
    assert [(c["code"], c["distance_m"]) for c in roads] == [
        ("HBB-1", 3.0),
        ("KGM-1", 24.0),
    ]
    assert outcome.explanation_tr == (
        "Yol bozukluğu, Kurtuluş Caddesi 3 m uzakta, kural YOL-HBB: Hatay "
        "Büyükşehir Belediyesi — Yol Bakım ve Altyapı Koordinasyon Dairesi "
        "Başkanlığı"
    )


def test_just_inside_the_highway_distance_goes_to_kgm(town):
    outcome = decide(at(100, -24.9), "YOL-BAKIM")
    assert outcome.owner_body.code == "KGM"
    assert outcome.rule_code == "YOL-KGM"
    assert outcome.explanation_tr == (
        "Yol bozukluğu, D-817 devlet yolu 25 m uzakta, kural YOL-KGM: "
        "Karayolları 5. Bölge Müdürlüğü"
    )
    assert outcome.explanation_en == (
        "Pothole or road damage, 25 m from D-817 devlet yolu, rule YOL-KGM: "
        "Karayolları 5. Bölge Müdürlüğü"
    )


def test_just_outside_the_highway_distance_goes_to_the_district(town):
    outcome = decide(at(100, -25.1), "YOL-BAKIM")
    assert outcome.owner_body.code == "ANTAKYA"
    assert outcome.rule_code == "ILCE-HIZMETLERI"
    assert {"rule": "YOL-KGM", "status": "no_match"} in outcome.trace


def test_two_owners_within_the_margin_go_to_triage_with_both(town):
    # 12.4 m from D-817 and 14.6 m from the HBB street: 2.2 m apart < 3 m.
    outcome = decide(at(0, 12.4), "YOL-BAKIM")
    assert outcome.needs_triage
    assert outcome.flags == ["triage", "tie"]
    assert outcome.owner_body.code == "HBB"
    assert outcome.owner_department.code == "HBB-HALKLA"
    roads = [c for c in outcome.candidates if c["layer"] == "roads"]
    assert [(c["body"], c["distance_m"]) for c in roads] == [
        ("KGM", 12.4),
        ("HBB", 14.6),
    ]
    assert "3 m payından az" in outcome.explanation_tr


def test_outside_the_margin_the_nearer_owner_wins(town):
    # 11.9 m and 15.1 m: 3.2 m apart.
    outcome = decide(at(0, 11.9), "YOL-BAKIM")
    assert outcome.owner_body.code == "KGM"
    assert outcome.flags == []


def test_corner_of_two_road_owners_goes_to_triage(hatay):
    # KGM's road ends where HBB's begins: a point 10 m north of the
    # junction is 10 m from both.
    replace_layer(
        "roads",
        [
            (
                "D-817",
                "KGM-1",
                {"class": "state_highway", "owner": "KGM"},
                LineString([(-500, 0), (0, 0)]),
            ),
            (
                "Kavşak Caddesi",
                "HBB-1",
                {"class": "hbb_arterial", "owner": "HBB"},
                LineString([(0, 0), (500, 0)]),
            ),
        ],
    )
    outcome = decide(at(0, 10), "YOL-BAKIM")
    assert outcome.flags == ["triage", "tie"]
    assert outcome.trace[-1] == {
        "rule": "YOL-KGM",
        "status": "tie",
        "with": "YOL-HBB",
        "difference_m": 0.0,
    }


def test_inside_a_park_of_another_body_goes_to_its_maintainer(town):
    outcome = decide(at(230, -170), "PARK")
    assert outcome.owner_body.code == "HBB"
    assert outcome.rule_code == "PARK-BAKIM"
    assert outcome.explanation_tr == (
        "Park ve oyun alanı, Deneme Parkı içinde, kural PARK-BAKIM: "
        "Hatay Büyükşehir Belediyesi"
    )


def test_within_the_park_edge_buffer_still_goes_to_the_maintainer(town):
    outcome = decide(at(264, -170), "AGAC")
    assert outcome.owner_body.code == "HBB"
    park = [c for c in outcome.candidates if c["layer"] == "parks"]
    assert park[0]["distance_m"] == 4.0


def test_beyond_the_park_edge_buffer_goes_to_the_district(town):
    outcome = decide(at(266, -170), "PARK")
    assert outcome.owner_body.code == "ANTAKYA"


def test_vendor_in_an_hbb_park_goes_to_hbb_zabita(town):
    outcome = decide(at(230, -170), "ZABITA-ISGAL")
    assert outcome.owner_label == (
        "Hatay Büyükşehir Belediyesi — Zabıta Dairesi Başkanlığı"
    )


def test_vendor_on_an_hbb_road_goes_to_hbb_zabita(town):
    outcome = decide(at(0, 30), "ZABITA-ISGAL")
    assert outcome.rule_code == "ZABITA-HBB-YOL"
    assert outcome.owner_department.code == "HBB-ZABITA"


def test_rubbish_inside_a_container_city_goes_to_its_operator(town):
    outcome = decide(at(-270, -170), "COP")
    assert outcome.owner_body.code == "AFAD"
    assert outcome.rule_code == "KONTEYNER-KENT-ISLETEN"


def test_ponding_away_from_stormwater_goes_to_the_road_owner(town):
    outcome = decide(at(0, 25), "YAGMUR")
    assert outcome.owner_body.code == "HBB"
    assert outcome.rule_code == "YAGMUR-YOL-SAHIBI"
    assert {"rule": "YAGMUR-HATSU", "status": "dormant", "layer": "stormwater"} in (
        outcome.trace
    )
    assert {
        "rule": "YOL-SAHIBI-HBB",
        "status": "matched",
        "in_group": "road-owner",
    } in outcome.trace
    assert "kural YAGMUR-YOL-SAHIBI → YOL-SAHIBI-HBB" in outcome.explanation_tr


def test_ponding_near_a_stormwater_asset_goes_to_hatsu_once_loaded(town):
    replace_layer(
        "stormwater",
        [("Izgara 17", "YS-17", {"kind": "izgara"}, Point(8, 25))],
    )
    outcome = decide(at(0, 25), "YAGMUR")
    assert outcome.owner_body.code == "HATSU"
    assert outcome.rule_code == "YAGMUR-HATSU"
    assert outcome.generations["stormwater"] == 1


def test_water_fault_goes_to_hatsu_anywhere(town):
    assert decide(at(0, 0), "SU").owner_body.code == "HATSU"


def test_street_light_goes_to_toroslar(town):
    assert decide(at(0, 27), "AYD-SOKAK").owner_body.code == "TOROSLAR"


def test_gas_smell_is_urgent_with_the_line_to_call(town):
    outcome = decide(at(0, 0), "GAZ")
    assert outcome.owner_body.code == "AKSA"
    assert outcome.flags == ["urgent"]
    assert outcome.explanation_tr.startswith("ACİL (187). Gaz kokusu")


def test_unknown_attribute_owner_falls_through_and_is_traced(hatay):
    replace_layer(
        "parks",
        [("Sahipsiz Park", "P-X", {"maintainer": "YOKBOYLE"}, box(-30, -30, 30, 30))],
    )
    outcome = decide(at(0, 0), "PARK")
    assert outcome.owner_body.code == "ANTAKYA"
    assert {"rule": "PARK-BAKIM", "status": "owner_unknown:YOKBOYLE"} in outcome.trace


def _delegate(**fields):
    rule_set = RuleSet.objects.get(is_active=True)
    return Delegation.objects.create(
        rule_set=rule_set,
        code="MEZARLIK-ANTAKYA",
        from_body_code="HBB",
        to_body_code="",
        categories=["MEZARLIK"],
        district_codes=["2080"],
        valid_from=dt.date(2027, 1, 1),
        valid_to=dt.date(2027, 12, 31),
        decision_ref="HBB Meclisi 2026/412",
        **fields,
    )


def _day(year, month, day):
    return timezone.make_aware(dt.datetime(year, month, day, 12))


def test_delegation_applies_only_within_its_dates(town):
    _delegate()
    before = decide(at(0, -60), "MEZARLIK", _day(2026, 12, 31))
    during = decide(at(0, -60), "MEZARLIK", _day(2027, 6, 1))
    after = decide(at(0, -60), "MEZARLIK", _day(2028, 1, 1))
    assert before.owner_label == (
        "Hatay Büyükşehir Belediyesi — Mezarlıklar Dairesi Başkanlığı"
    )
    assert during.owner_body.code == "ANTAKYA"
    assert during.owner_department is None
    assert during.flags == ["delegated"]
    assert during.trace[-1] == {
        "delegation": "MEZARLIK-ANTAKYA",
        "from": "HBB",
        "to": "ANTAKYA",
        "decision": "HBB Meclisi 2026/412",
    }
    assert during.explanation_tr.endswith("(yetki devri: HBB Meclisi 2026/412)")
    assert after.owner_body.code == "HBB"


def test_delegation_applies_only_in_its_districts(hatay):
    _delegate()
    defne = (36.1500, 36.1300)
    outcome = decide(defne, "MEZARLIK", _day(2027, 6, 1))
    assert outcome.place.district_name == "Defne"
    assert outcome.owner_body.code == "HBB"


def test_rule_outside_its_validity_period_is_skipped_and_traced(town):
    rule_set = RuleSet.objects.get(is_active=True)
    rule_set.rules.filter(code="YOL-KGM").update(valid_to=dt.date(2026, 1, 31))
    outcome = decide(at(0, 5), "YOL-BAKIM", _day(2026, 6, 1))
    assert {"rule": "YOL-KGM", "status": "not_valid"} in outcome.trace
    # Without the KGM rule the HBB street, 22 m away, is out of its 15 m reach.
    assert outcome.owner_body.code == "ANTAKYA"


# Every category at a point 100 m south of the highway and far from every
# drawn feature: what the category rows of the default table give.
AWAY = (0, -100)
HBB = "Hatay Büyükşehir Belediyesi"


@pytest.mark.parametrize(
    "category, owner, rule",
    [
        ("YOL-BAKIM", "Antakya Belediyesi", "ILCE-HIZMETLERI"),
        ("YOL-YENI", "Antakya Belediyesi", "ILCE-HIZMETLERI"),
        ("KALDIRIM", "Antakya Belediyesi", "ILCE-HIZMETLERI"),
        ("KAR", "Antakya Belediyesi", "ILCE-HIZMETLERI"),
        ("SINYAL", f"{HBB} — Ulaşım Dairesi Başkanlığı", "ULASIM-HBB"),
        ("LEVHA", f"{HBB} — Ulaşım Dairesi Başkanlığı", "ULASIM-HBB"),
        ("DURAK", f"{HBB} — Ulaşım Dairesi Başkanlığı", "ULASIM-HBB"),
        ("TOPLU-TASIMA", f"{HBB} — Ulaşım Dairesi Başkanlığı", "ULASIM-HBB"),
        ("OTOPARK", f"{HBB} — Ulaşım Dairesi Başkanlığı", "ULASIM-HBB"),
        ("SU", "Hatay Su ve Kanalizasyon İdaresi (HATSU)", "SU-KANAL-HATSU"),
        ("KANAL", "Hatay Su ve Kanalizasyon İdaresi (HATSU)", "SU-KANAL-HATSU"),
        ("YAGMUR", "Antakya Belediyesi", "YAGMUR-YOL-SAHIBI"),
        ("DERE", f"{HBB} — Fen İşleri Dairesi Başkanlığı", "DERE-HBB"),
        ("COP", "Antakya Belediyesi", "ILCE-HIZMETLERI"),
        ("TEMIZLIK", "Antakya Belediyesi", "ILCE-HIZMETLERI"),
        ("MOLOZ", "Antakya Belediyesi", "ILCE-HIZMETLERI"),
        (
            "ATIK-TESIS",
            f"{HBB} — Temizlik İşleri ve Katı Atık Dairesi Başkanlığı",
            "ATIK-TESIS-HBB",
        ),
        ("ILACLAMA", "Antakya Belediyesi", "ILCE-HIZMETLERI"),
        ("PARK", "Antakya Belediyesi", "ILCE-HIZMETLERI"),
        ("AGAC", "Antakya Belediyesi", "ILCE-HIZMETLERI"),
        ("KIYI", "Antakya Belediyesi", "ILCE-HIZMETLERI"),
        ("GURULTU", "Antakya Belediyesi", "ILCE-HIZMETLERI"),
        ("AYD-SOKAK", "Toroslar EDAŞ", "ELEKTRIK-TOROSLAR"),
        ("AYD-PARK", "Antakya Belediyesi", "ILCE-HIZMETLERI"),
        ("ELEKTRIK", "Toroslar EDAŞ", "ELEKTRIK-TOROSLAR"),
        ("ELEKTRIK-HAT", "Toroslar EDAŞ", "ELEKTRIK-HAT-TOROSLAR"),
        ("GAZ", "Aksa Çukurova Doğalgaz", "GAZ-AKSA"),
        ("ZABITA-ISGAL", "Antakya Belediyesi", "ILCE-HIZMETLERI"),
        ("ZABITA-ISYERI", "Antakya Belediyesi", "ILCE-HIZMETLERI"),
        ("HAYVAN", "Antakya Belediyesi", "ILCE-HIZMETLERI"),
        ("KACAK-YAPI", "Antakya Belediyesi", "ILCE-HIZMETLERI"),
        ("TEHLIKELI-BINA", "Antakya Belediyesi", "ILCE-HIZMETLERI"),
        ("ADRES", "Antakya Belediyesi", "ILCE-HIZMETLERI"),
        ("MEZARLIK", f"{HBB} — Mezarlıklar Dairesi Başkanlığı", "MEZARLIK-HBB"),
        ("SOSYAL", f"{HBB} — Sosyal Hizmetler Dairesi Başkanlığı", "SOSYAL-HBB"),
        ("KONTEYNER-KENT", "Antakya Belediyesi", "ILCE-HIZMETLERI"),
        ("ITFAIYE", f"{HBB} — İtfaiye Dairesi Başkanlığı", "ITFAIYE-HBB"),
        (
            "DIGER",
            f"{HBB} — Basın Yayın ve Halkla İlişkiler Dairesi Başkanlığı",
            "DIGER-KOORDINATOR",
        ),
    ],
)
def test_every_category_away_from_any_feature(town, category, owner, rule):
    outcome = decide(at(*AWAY), category)
    assert (outcome.owner_label, outcome.rule_code) == (owner, rule)
    assert "triage" not in outcome.flags


def test_street_light_on_the_o53_motorway_goes_to_kgm(hatay):
    replace_layer(
        "roads",
        [
            (
                "O-53 otoyolu",
                "KGM-O53",
                {"class": "motorway", "ref": "O-53", "owner": "KGM"},
                LineString([(-500, 0), (500, 0)]),
            )
        ],
    )
    assert decide(at(0, 20), "AYD-SOKAK").owner_body.code == "KGM"
    assert decide(at(0, 30), "AYD-SOKAK").owner_body.code == "TOROSLAR"


def test_stray_animal_outside_every_district_goes_to_hbb_veterinary(hatay):
    # 4.9 km south of Yayladağı's border, inside the 20 km service area.
    outcome = decide((35.9, 36.0), "HAYVAN")
    assert outcome.owner_department.code == "HBB-VETERINER"
    assert outcome.flags == ["outside_districts"]
    rubbish = decide((35.9, 36.0), "COP")
    assert rubbish.flags == ["outside_districts", "triage"]


def test_a_tie_inside_a_rule_group_sends_the_request_to_triage(town):
    # Ponding halfway between D-817 and the HBB street: the road-owner group
    # cannot tell the owner, so the coordinator decides.
    outcome = decide(at(0, 13.5), "YAGMUR")
    assert outcome.flags == ["triage", "tie"]
    assert {
        "rule": "YAGMUR-YOL-SAHIBI",
        "status": "tie",
        "group": "road-owner",
    } in outcome.trace
    roads = [c for c in outcome.candidates if c["layer"] == "roads"]
    assert [(c["body"], c["distance_m"]) for c in roads] == [
        ("KGM", 13.5),
        ("HBB", 13.5),
    ]
