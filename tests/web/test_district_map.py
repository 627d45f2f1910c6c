"""Tooltips and popups of the staff map: Turkish text, escaped HTML."""

from datetime import UTC, datetime

import pytest
from django.utils import translation

from geopool.web.district_map import district_tooltip, request_popup
from geopool.web.map_data import DistrictCounts, requests_list_newest_located
from tests.web.helpers import ANTAKYA, request_at

pytestmark = pytest.mark.django_db


def _district(name="Antakya", by_location=1234, by_owner=10):
    return DistrictCounts(1, name, "2080", by_location, by_owner, {}, (0, 0, 1, 1))


def test_district_tooltip_names_both_counts_in_turkish_number_format():
    with translation.override("tr"):
        text = district_tooltip(_district())

    assert text == "Antakya (2080) — konuma göre: 1.234 · sahibine göre: 10"


def test_district_tooltip_escapes_the_feature_name():
    with translation.override("tr"):
        text = district_tooltip(_district(name="<i>Antakya</i>"))

    assert text.startswith("&lt;i&gt;Antakya&lt;/i&gt; (2080)")


def test_popup_shows_category_text_owner_status_and_turkish_date(hatay):
    request_at(
        "COP",
        **ANTAKYA,
        description="Konteyner taştı",
        requested_at=datetime(2026, 12, 3, 11, 5, tzinfo=UTC),
    )
    (row,) = requests_list_newest_located(10)

    with translation.override("tr"):
        popup = request_popup(row)

    assert row.tracking_code in popup
    assert "Konteyner taştı" in popup
    assert "Sahibi: Antakya Belediyesi" in popup
    assert "Durum: Yeni" in popup
    assert "3 Aralık 2026 14:05" in popup  # Europe/Istanbul, UTC+3


def test_popup_escapes_html_and_cuts_long_descriptions(hatay):
    request_at("COP", **ANTAKYA, description="<b>x</b>" + "a" * 200)
    (row,) = requests_list_newest_located(10)

    popup = request_popup(row)

    assert "<b>" not in popup
    assert "&lt;b&gt;x&lt;/b&gt;" + "a" * 92 + "…" in popup
