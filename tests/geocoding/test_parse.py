"""Parsing Turkish address text: each rule with the exact parts expected."""

import pytest

from geocoding.parse import parse_address
from geopool.text import fold, name_key

HATAY = ["Hatay"]


def parts(text):
    p = parse_address(text, HATAY)
    return {k: v for k, v in p.as_dict().items() if v and k != "text"}


def test_full_written_form():
    assert parts("Harbiye Mah. Ürgen Cad. No:12 Apt. K:3 D:7 Defne/Hatay") == {
        "province": True,
        "district": "defne",
        "neighbourhood": "harbiye",
        "street": "urgen",
        "street_type": "cadde",
        "door": "12",
        "floor": "3",
        "flat": "7",
    }


@pytest.mark.parametrize(
    "text, neighbourhood",
    [
        ("Harbiye Mahallesi", "harbiye"),
        ("Harbiye Mah.", "harbiye"),
        ("Harbiye Mh.", "harbiye"),
        ("HARBİYE MAH", "harbiye"),
        ("harbiye mh", "harbiye"),
    ],
)
def test_neighbourhood_abbreviations(text, neighbourhood):
    assert parts(text)["neighbourhood"] == neighbourhood


@pytest.mark.parametrize(
    "text, street, kind",
    [
        ("Ürgen Caddesi", "urgen", "cadde"),
        ("Ürgen Cad.", "urgen", "cadde"),
        ("Ürgen Cd.", "urgen", "cadde"),
        ("Gül Sokağı", "gul", "sokak"),
        ("Gül Sok.", "gul", "sokak"),
        ("Gül Sk.", "gul", "sokak"),
        ("Atatürk Bulvarı", "ataturk", "bulvar"),
        ("Atatürk Bulv.", "ataturk", "bulvar"),
        ("Atatürk Blv.", "ataturk", "bulvar"),
        ("Atatürk Bul.", "ataturk", "bulvar"),
        ("2023 Sk.", "2023", "sokak"),
        ("730.sk.", "730", "sokak"),
        ("Kırıkhan Reyhanlı yolu", "kirikhan reyhanli yolu", "yol"),
    ],
)
def test_street_types_and_abbreviations(text, street, kind):
    got = parts(text)
    assert (got["street"], got["street_type"]) == (street, kind)


def test_missing_space_after_abbreviation():
    got = parts("Hatay ,Defne ,Harbiye Mh.Ürgen Cad.")
    assert got == {
        "province": True,
        "neighbourhood": "harbiye",
        "street": "urgen",
        "street_type": "cadde",
        "free": ["defne"],
    }


def test_flat_is_not_a_highway_and_a_highway_is_not_a_flat():
    assert parts("Gül Sk. No:5 D:5") == {
        "street": "gul",
        "street_type": "sokak",
        "door": "5",
        "flat": "5",
    }
    got = parts("D-817 kenarı Kırıkhan")
    assert got["highway"] == "D-817"
    assert "flat" not in got


@pytest.mark.parametrize(
    "text, door, floor, flat, block",
    [
        ("No:5/2", "5/2", "", "", ""),
        ("No.14 Kat:2 Daire 8", "14", "2", "8", ""),
        ("no 3 k.1 d.4", "3", "1", "4", ""),
        ("A Blok No:7 Zemin Kat", "7", "zemin", "", "A"),
        ("Blok B2 No:1", "1", "", "", "B2"),
    ],
)
def test_door_floor_flat_block(text, door, floor, flat, block):
    p = parse_address(text, HATAY)
    assert (p.door, p.floor, p.flat, p.block) == (door, floor, flat, block)


def test_building_site_and_postcode():
    p = parse_address("Yıldız Apt. Gül Sk. 31200 İskenderun/Hatay", HATAY)
    assert (p.building, p.building_type, p.postcode, p.district) == (
        "yildiz",
        "apartman",
        "31200",
        "iskenderun",
    )
    p = parse_address("Park Evleri Sitesi", HATAY)
    assert (p.building, p.building_type) == ("park evleri", "site")


def test_a_road_between_two_places_is_not_a_district_ending():
    p = parse_address("GÜNEY SÖĞÜT MAH. ANTAKYA/SAMANDAĞ YOLU", HATAY)
    assert (p.neighbourhood, p.street, p.street_type, p.district, p.free) == (
        "guney sogut",
        "antakya samandag yolu",
        "yol",
        "",
        [],
    )


def test_province_first_and_ilce_word():
    p = parse_address("SUÇIKAĞI MAH. HATAY/İSKENDERUN", HATAY)
    assert (p.neighbourhood, p.province, p.free) == ("sucikagi", True, ["iskenderun"])
    p = parse_address("Kırıkhan İlçesi Gazi Mah.", HATAY)
    assert (p.district, p.neighbourhood) == ("kirikhan", "gazi")


def test_ascii_and_upper_case_read_alike():
    assert parts("KIRIKHAN ILIKPINAR MH.") == parts("Kirikhan Ilikpinar mh.")
    assert parts("ÇARDAKLI MAH. ÇARDAKLI SK.") == parts("cardakli mah. cardakli sk.")


@pytest.mark.parametrize(
    "text, key",
    [
        ("İSKENDERUN", "iskenderun"),
        ("KIRIKHAN", "kirikhan"),
        ("Kırıkhan", "kirikhan"),
        ("ILIKPINAR", "ilikpinar"),
        ("ılıkpınar", "ilikpinar"),
        ("Dörtyol", "dortyol"),
        ("YAYLADAĞI", "yayladagi"),
        ("Çiğdede", "cigdede"),
        ("I\u0307SKENDERUN", "iskenderun"),  # decomposed İ
    ],
)
def test_turkish_folding(text, key):
    assert fold(text) == key


def test_plain_lower_is_not_used():
    # Python's lower() turns İ into i + combining dot; the key never has it.
    assert "İ".lower() != "i"
    assert fold("İ") == "i"
    assert name_key("ŞHT.YAKUP ASLAN 1") == "sehit yakup aslan 1"
    assert name_key("Habib-i Neccar") == "habib i neccar"
