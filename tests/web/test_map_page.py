"""``GET /map/``: the staff map page as served, on the real districts."""

import re

import pytest

from tests.web.helpers import ANTAKYA, request_at
from tests.web.test_map_data import DISTRICTS_TR_ORDER

pytestmark = pytest.mark.django_db

TABLE_ROW = re.compile(
    r'<tr data-code="(?P<code>[^"]*)">\s*<td>(?P<name>[^<]*)</td>\s*'
    r"<td>[^<]*</td>\s*"
    r'<td class="text-end" data-count="by-location">(?P<located>[^<]*)</td>\s*'
    r'<td class="text-end" data-count="by-owner">(?P<owned>[^<]*)</td>'
)
ASSET = re.compile(r"<(?:script[^>]*\ssrc|link[^>]*\shref)=\"(?P<url>[^\"]*)\"")


@pytest.fixture
def staff_client(client, make_staff):
    client.force_login(make_staff("operator", body="HBB"))
    return client


def _table(page):
    return {m["name"]: m.groupdict() for m in TABLE_ROW.finditer(page)}


def test_map_lists_all_districts_with_their_turkish_names_in_order(staff_client):
    page = staff_client.get("/map/").text

    assert list(_table(page)) == DISTRICTS_TR_ORDER


def test_map_counts_requests_by_location_and_by_owner(staff_client):
    request_at("COP", **ANTAKYA)  # owner: Antakya Belediyesi
    request_at("SU", **ANTAKYA)  # owner: HATSU

    table = _table(staff_client.get("/map/").text)

    assert table["Antakya"] == {
        "code": "2080",
        "name": "Antakya",
        "located": "2",
        "owned": "1",
    }
    assert (table["Defne"]["located"], table["Defne"]["owned"]) == ("0", "0")


def test_map_tells_how_many_markers_are_shown_of_how_many(staff_client, monkeypatch):
    monkeypatch.setattr("geopool.web.views.MARKER_LIMIT", 2)
    for _ in range(3):
        request_at("COP", **ANTAKYA)
    request_at("COP")  # no location

    page = staff_client.get("/map/").text

    assert "2 / 3 gösteriliyor" in page
    assert "konumsuz: 1" in page
    assert "ilçe sınırları dışında: 0" in page


def test_map_page_is_turkish(staff_client):
    response = staff_client.get("/map/")

    assert response.headers["Content-Language"] == "tr"
    for text in ("Harita", "gösteriliyor", "Konuma göre", "Sahibine göre"):
        assert text in response.text


def test_map_page_follows_an_english_browser(staff_client):
    page = staff_client.get("/map/", HTTP_ACCEPT_LANGUAGE="en").text

    assert "0 / 0 shown" in page
    assert "By owner" in page


def test_request_description_html_is_shown_as_text(staff_client):
    request_at("COP", **ANTAKYA, description="<script>alert(1)</script> <b>x</b>")

    page = staff_client.get("/map/").text

    assert "<script>alert(1)" not in page
    assert "<b>x</b>" not in page
    # Escaped once for HTML, then its "&" escaped again inside the JSON.
    assert r"\u0026lt;b\u0026gt;x\u0026lt;/b\u0026gt;" in page


def test_scripts_and_styles_come_from_geopool_itself(staff_client):
    page = staff_client.get("/map/").text
    urls = [m["url"] for m in ASSET.finditer(page)]

    assert any(url.endswith("leaflet.js") for url in urls)
    assert any(url.endswith("leaflet.markercluster.js") for url in urls)
    for url in urls:
        assert url.startswith("/static/vendor/"), url
        assert "cdn" not in url and "https://" not in url


def test_map_page_marks_itself_ready_after_drawing(staff_client):
    page = staff_client.get("/map/").text

    script = page.rindex("<script>")
    assert page.index("L.map(", script) < page.index("dataset.mapReady", script)
    assert 'performance.mark("map-ready")' in page


def test_map_has_no_tiles_unless_configured(staff_client, settings):
    assert "L.tileLayer" not in staff_client.get("/map/").text

    settings.GEOPOOL_TILE_URL = "/tiles/{z}/{x}/{y}.png"
    settings.GEOPOOL_TILE_ATTRIBUTION = "Belediye altlığı"
    page = staff_client.get("/map/").text

    assert "L.tileLayer" in page
    assert "/tiles/{z}/{x}/{y}.png" in page
