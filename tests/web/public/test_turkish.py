"""Case endings on body names: every body of the pack reads right."""

import doctest

import pytest

from geopool.web.public import turkish
from geopool.web.public.turkish import from_body, to_body


def test_docstring_examples():
    result = doctest.testmod(turkish)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize(
    "name, ablative, dative",
    [
        # Possessive ending: buffer n.
        ("Antakya Belediyesi", "Antakya Belediyesi'nden", "Antakya Belediyesi'ne"),
        ("Hatay Valiliği", "Hatay Valiliği'nden", "Hatay Valiliği'ne"),
        ("Ulaşım Dairesi Başkanlığı", "Başkanlığı'ndan", "Başkanlığı'na"),
        # The abbreviation in brackets follows the word before it.
        (
            "Hatay Su ve Kanalizasyon İdaresi (HATSU)",
            "İdaresi (HATSU)'nden",
            "İdaresi (HATSU)'ne",
        ),
        # A word ending in a consonant; voiceless ş turns d into t.
        ("Toroslar EDAŞ", "EDAŞ'tan", "EDAŞ'a"),
        ("Aksa Çukurova Doğalgaz", "Doğalgaz'dan", "Doğalgaz'a"),
        # Read letter by letter: ke-ge-me, te-ce-de-de.
        ("KGM", "KGM'den", "KGM'ye"),
        ("TCDD", "TCDD'den", "TCDD'ye"),
        # A place name ending in a vowel: buffer y.
        ("Antakya", "Antakya'dan", "Antakya'ya"),
        ("Reyhanlı", "Reyhanlı'dan", "Reyhanlı'ya"),
    ],
)
def test_endings(name, ablative, dative):
    assert from_body(name).endswith(ablative)
    assert to_body(name).endswith(dative)
