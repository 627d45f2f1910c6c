"""Matching on a small hand-made gazetteer: hierarchy, spelling, ambiguity."""

import pytest

from geocoding.match import Gazetteer, Place, geocode
from geopool.text import name_key


def place(pid, code, name, district_code, district_name, source="polygon", pop=0):
    key = name_key(name)
    return Place(
        pid,
        code,
        name,
        key,
        key.replace(" ", ""),
        district_code,
        district_name,
        36.0 + pid / 100,
        36.2,
        source,
        pop,
    )


@pytest.fixture
def gaz():
    districts = [
        place(0, "D1", "Defne", "D1", "Defne", "district"),
        place(0, "D2", "Antakya", "D2", "Antakya", "district"),
        place(0, "D3", "Kırıkhan", "D3", "Kırıkhan", "district"),
    ]
    neighbourhoods = [
        place(1, "N1", "Harbiye", "D1", "Defne"),
        place(2, "N2", "Çekmece", "D1", "Defne", "district"),
        place(3, "N3", "Gazi", "D2", "Antakya", pop=900),
        place(4, "N4", "Gazi", "D3", "Kırıkhan", pop=5000),
        place(5, "N5", "Kurtmezraası", "D2", "Antakya"),
        place(6, "N6", "Yeşiltepe", "D2", "Antakya"),
    ]
    streets = {
        1: [("urgen", "ÜRGEN", "S1", 11, False), ("2023", "2023.", "S2", 12, False)],
        3: [("namik kemal", "NAMIK KEMAL", "S3", 13, False)],
    }
    return Gazetteer(
        districts,
        neighbourhoods,
        streets,
        {"province_names": ["Hatay"], "confidence_threshold": 0.8},
    )


def test_street_in_the_neighbourhood_in_the_district(gaz):
    r = geocode("Hatay ,Defne ,Harbiye Mh.Ürgen Cad.", gaz)
    assert r.level == "street"
    assert r.district == {"code": "D1", "name": "Defne"}
    assert r.neighbourhood["name"] == "Harbiye"
    assert r.street == {"code": "S1", "name": "ÜRGEN", "type": "cadde"}
    assert r.confidence == 1.0
    assert r.needs_pin is False


def test_numbered_street_matches_only_exactly(gaz):
    assert geocode("Harbiye Mah. 2023 Sk.", gaz).street["name"] == "2023."
    r = geocode("Harbiye Mah. 2032 Sk.", gaz)
    assert (r.level, r.street) == ("neighbourhood", None)


def test_ascii_upper_case_and_a_slip_in_the_district(gaz):
    r = geocode("HATAY, DEFNE, HARBIYE MAH.", gaz)
    assert (r.neighbourhood["code"], r.confidence) == ("N1", 1.0)
    r = geocode("HATAY, DEFNEE, HARBIYE", gaz)
    assert r.district["code"] == "D1"
    assert r.neighbourhood["code"] == "N1"


def test_misspelt_neighbourhood_is_found_with_less_confidence(gaz):
    r = geocode("KURTMEZRASI MAHALLESİ", gaz)
    assert r.neighbourhood["name"] == "Kurtmezraası"
    assert r.confidence == pytest.approx(0.913, abs=0.001)


def test_another_name_close_in_spelling_is_not_confident(gaz):
    r = geocode("Yeditepe Mah.", gaz)
    assert r.confidence < 0.8
    assert r.needs_pin is True


def test_same_name_in_two_districts_without_district_is_ambiguous(gaz):
    r = geocode("Gazi Mah.", gaz)
    assert r.needs_pin is True
    assert r.confidence == pytest.approx(0.6)
    assert [a["district"]["code"] for a in r.alternatives] == ["D3", "D2"]
    # The more populous one is the first answer, never a sure one.
    assert r.neighbourhood["code"] == "N4"


def test_the_named_street_tells_the_two_apart(gaz):
    r = geocode("Gazi mh. Namık Kemal cd.", gaz)
    assert (r.neighbourhood["code"], r.district["code"]) == ("N3", "D2")
    assert r.confidence == 1.0


def test_district_constrains_the_neighbourhood(gaz):
    r = geocode("Gazi Mah. Kırıkhan", gaz)
    assert r.neighbourhood["code"] == "N4"
    assert r.confidence == 1.0


def test_named_district_is_trusted_over_a_neighbourhood_elsewhere(gaz):
    r = geocode("Harbiye Mah. Antakya/Hatay", gaz)
    assert (r.level, r.district["code"], r.neighbourhood) == ("district", "D2", None)
    assert r.needs_pin is True
    assert r.alternatives[0]["neighbourhood"] == {"code": "N1", "name": "Harbiye"}
    assert "not in Antakya" in r.reason


def test_a_street_named_like_a_neighbourhood_is_a_hint(gaz):
    r = geocode("HARBİYE CAD.", gaz)
    assert (r.neighbourhood["code"], r.district["code"]) == ("N1", "D1")
    assert r.confidence == pytest.approx(0.7)
    assert r.needs_pin is True


def test_point_only_from_the_district_needs_a_pin(gaz):
    r = geocode("Çekmece Mah. Defne", gaz)
    assert (r.level, r.confidence, r.location_source) == (
        "neighbourhood",
        1.0,
        "district",
    )
    assert r.needs_pin is True


def test_district_only_and_nothing(gaz):
    r = geocode("Defne ilçesi", gaz)
    assert (r.level, r.district["code"], r.needs_pin) == ("district", "D1", True)
    r = geocode("Okul Bölgesi", gaz)
    assert (r.level, r.confidence, r.lon) == ("none", 0.0, None)


def test_a_word_inside_a_place_name_is_not_sure(gaz):
    # "Gazi Parkı" is a park, maybe not in Gazi Mahallesi.
    assert geocode("Gazi Parkı önü Antakya", gaz).confidence < 0.8


def test_a_street_that_is_another_neighbourhood_makes_it_unsure(gaz):
    r = geocode("Harbiye Mah. Çekmece Cad. Defne", gaz)
    assert (r.neighbourhood["code"], r.street) == ("N1", None)
    assert r.confidence == pytest.approx(0.7)
    assert r.alternatives[0]["neighbourhood"] == {"code": "N2", "name": "Çekmece"}


def test_a_street_of_the_neighbourhood_named_like_another_is_unsure(gaz):
    # Harbiye has a Çekmece street too: the place may still be in Çekmece,
    # where that street leads; the answer keeps Harbiye but asks for a pin.
    gaz.streets[1].append(("cekmece", "ÇEKMECE", "S9", 19, False))
    r = geocode("Harbiye Mah. Çekmece Cad. Defne", gaz)
    assert r.neighbourhood["code"] == "N1"
    assert r.street == {"code": "S9", "name": "ÇEKMECE", "type": "cadde"}
    assert r.confidence == pytest.approx(0.7)
    assert r.needs_pin is True
    assert r.alternatives[0]["neighbourhood"] == {"code": "N2", "name": "Çekmece"}
    assert r.reason == (
        "Harbiye has a street “ÇEKMECE”, but Çekmece is a neighbourhood of the "
        "district too"
    )
    assert (r.reason_code, r.reason_params) == (
        "street_is_another",
        {"neighbourhood": "Harbiye", "street": "ÇEKMECE", "other": "Çekmece"},
    )


def test_an_address_naming_another_province_is_never_sure(gaz):
    r = geocode("Harbiye Mh., Kızılay Cd., Çankaya, Ankara", gaz)
    assert r.neighbourhood["code"] == "N1"
    assert r.confidence == pytest.approx(0.5)
    assert r.needs_pin is True
    assert r.reason == "the address names Ankara, another province"
    # Short names count too; the jurisdiction's own province does not.
    assert geocode("Gazi Mah. Maraş", gaz).reason_params == {
        "province": "Kahramanmaraş"
    }
    assert geocode("Harbiye Mh. Defne Hatay", gaz).confidence == 1.0
