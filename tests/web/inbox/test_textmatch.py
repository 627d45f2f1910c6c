"""The SQL word patterns give the answers of ``geopool.text.fold``."""

import doctest
import unicodedata

import pytest
from django.db import connection

from geopool.text import fold
from geopool.web.inbox import textmatch
from geopool.web.inbox.textmatch import matches, word_pattern

TEXTS = [
    "ÜRGEN CADDESİ No:5",
    "Kırıkhan yolu girişinde çöp",
    "İSKENDERUN SAHİL YOLU",
    "Işık Sokak",
    "Şükrü Balcı Cd. 12/A",
    "Yayladağı çıkışı",
    "Çağlayan Mh. (eski) 1.Sk.",
    unicodedata.normalize("NFD", "Gülbahçe Köyü"),  # decomposed letters
    "Café René",
    "a  b   c",
]
WORDS = [
    "urgen",
    "caddesi",
    "no:5",
    "kirikhan",
    "iskenderun",
    "isik",
    "sukru",
    "12/a",
    "yayladagi",
    "cikisi",
    "(eski)",
    "1.sk.",
    "gulbahce",
    "koyu",
    "cafe",
    "rene",
    "cadd",
    "x",
]


def test_docstring_examples():
    result = doctest.testmod(textmatch)
    assert (result.attempted, result.failed) == (5, 0)


@pytest.mark.parametrize("text", TEXTS)
def test_patterns_agree_with_fold_in_python(text):
    for word in WORDS:
        assert matches(text, word) == (word in fold(text)), (text, word)


@pytest.mark.django_db
@pytest.mark.parametrize("text", TEXTS)
def test_patterns_agree_with_fold_in_postgresql(text):
    with connection.cursor() as cursor:
        for word in WORDS:
            cursor.execute("SELECT %s ~ %s", [text, word_pattern(word)])
            assert cursor.fetchone()[0] == (word in fold(text)), (text, word)
