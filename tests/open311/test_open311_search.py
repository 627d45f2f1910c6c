"""``GET /open311/v2/requests.{json,xml}``: filters, defaults and paging."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from geopool.models import ServiceRequest, Status
from geopool.open311.messages import (
    DATE_INVALID,
    DATE_ORDER,
    DATE_RANGE,
    PAGE_INVALID,
    PAGE_SIZE_INVALID,
    REQUEST_ID_INVALID,
    SERVICE_CODE_UNKNOWN,
    STATUS_INVALID,
)
from geopool.open311.paging import MAX_PAGE, MAX_PAGE_SIZE
from tests.open311.conftest import children, iso, xml_root

pytestmark = pytest.mark.django_db

ISTANBUL = ZoneInfo("Europe/Istanbul")
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


def _at(*args):
    return datetime(*args, tzinfo=ISTANBUL)


def _ids(response):
    assert response.status_code == 200, response.content
    return [item["service_request_id"] for item in response.json()]


def _search(client, fmt="json", **params):
    return client.get(f"/open311/v2/requests.{fmt}", params)


def test_search_json_matches_the_open311_schema(client, make_request, schema):
    make_request("COP", address_string="Kurtuluş Cad. No:5 Antakya/Hatay")
    make_request("GAZ")
    response = _search(client)
    assert response.status_code == 200
    found = response.json()
    schema("requests.json").validate(found)
    assert len(found) == 2
    for item in found:
        schema("request.json").validate(item)
        assert list(item) == REQUEST_FIELDS
    gaz, cop = found  # newest first
    assert cop["service_code"] == "COP"
    assert cop["service_name"] == "Çöp toplama ve konteyner"
    assert cop["status"] == "open"
    assert cop["status_notes"] is None
    assert cop["agency_responsible"] == "Antakya Belediyesi"
    assert cop["address"] is None
    assert "Kurtuluş Cad." not in response.content.decode()
    assert (cop["lat"], cop["long"]) == (36.2021, 36.1603)
    assert cop["expected_datetime"] is None
    assert cop["media_url"] is None
    assert "187" in gaz["service_notice"]
    assert gaz["agency_responsible"] == "Aksa Çukurova Doğalgaz"


def test_times_carry_the_istanbul_offset(client, make_request):
    request = make_request(requested_at=_at(2026, 7, 15, 13, 45))
    (item,) = _search(client, start_date="2026-07-01", end_date="2026-07-31").json()
    assert item["service_request_id"] == request.tracking_code
    assert item["requested_datetime"] == "2026-07-15T13:45:00+03:00"
    assert item["updated_datetime"].endswith("+03:00")
    assert iso(item["updated_datetime"]) <= timezone.now() + timedelta(seconds=1)


def test_search_xml_uses_the_spec_element_names(client, make_request):
    make_request("COP")
    response = _search(client, "xml")
    assert response.status_code == 200
    root = xml_root(response)
    assert root.tag == "service_requests"
    (request,) = root
    assert request.tag == "request"
    assert children(request) == REQUEST_FIELDS
    assert request.findtext("agency_responsible") == "Antakya Belediyesi"
    assert request.findtext("requested_datetime").endswith("+03:00")
    assert request.findtext("lat") == "36.2021"


def test_empty_search_is_an_empty_list(client, hatay):
    assert _search(client).json() == []
    root = xml_root(_search(client, "xml"))
    assert root.tag == "service_requests"
    assert len(root) == 0


def test_triage_request_shows_the_pool_coordinator(client, make_request):
    # Off Samandağ's coast: in the service area, beyond the snap tolerance.
    request = make_request("COP", lat=36.05, lon=35.85)
    assert request.needs_triage
    (item,) = _search(client).json()
    assert item["agency_responsible"] == (
        "Hatay Büyükşehir Belediyesi — "
        "Basın Yayın ve Halkla İlişkiler Dairesi Başkanlığı"
    )


def test_default_window_is_the_last_90_days(client, make_request):
    now = timezone.now()
    recent = make_request(requested_at=now - timedelta(days=10))
    make_request(requested_at=now - timedelta(days=100))
    assert _ids(_search(client)) == [recent.tracking_code]


def test_date_range_filters_on_requested_datetime(client, make_request):
    january = make_request(requested_at=_at(2026, 1, 10, 9, 0))
    late_feb = make_request(requested_at=_at(2026, 2, 28, 23, 30))
    march = make_request(requested_at=_at(2026, 3, 1, 0, 30))
    # A bare end date includes that whole day.
    found = _ids(_search(client, start_date="2026-02-01", end_date="2026-02-28"))
    assert found == [late_feb.tracking_code]
    found = _ids(
        _search(
            client,
            start_date="2026-01-10T09:00:00+03:00",
            end_date="2026-03-01T00:30:00+03:00",
        )
    )
    assert found == [march.tracking_code, late_feb.tracking_code, january.tracking_code]
    # UTC works too: 06:00Z is 09:00 in Istanbul.
    found = _ids(
        _search(client, start_date="2026-01-10T06:00:00Z", end_date="2026-01-10T06:00Z")
    )
    assert found == [january.tracking_code]


def test_one_date_opens_a_90_day_window(client, make_request):
    inside = make_request(requested_at=_at(2026, 3, 1, 12, 0))
    make_request(requested_at=_at(2026, 6, 15, 12, 0))  # 106 days later
    assert _ids(_search(client, start_date="2026-02-20")) == [inside.tracking_code]
    assert _ids(_search(client, end_date="2026-03-02")) == [inside.tracking_code]


@pytest.mark.parametrize("field", ["start_date", "end_date"])
def test_bad_date_is_a_400_naming_the_field(client, hatay, field):
    response = _search(client, **{field: "03.12.2026"})
    assert response.status_code == 400
    assert response.json() == [
        {
            "code": 400,
            "description": DATE_INVALID.format(field=field, value="03.12.2026"),
        }
    ]


@pytest.mark.parametrize("field", ["start_date", "end_date"])
@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
def test_a_date_beyond_the_years_served_is_a_400(client, hatay, field, value):
    response = _search(client, **{field: value})
    assert response.status_code == 400
    assert response.json() == [
        {"code": 400, "description": DATE_RANGE.format(field=field, value=value)}
    ]


def test_bad_date_in_xml(client, hatay):
    response = _search(client, "xml", start_date="2026-13-45")
    assert response.status_code == 400
    root = xml_root(response)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "400"
    assert root.findtext("error/description").startswith("start_date=")


def test_start_after_end_is_a_400(client, hatay):
    response = _search(client, start_date="2026-03-01", end_date="2026-02-01")
    assert response.status_code == 400
    assert response.json()[0]["description"] == DATE_ORDER.format(
        start="2026-03-01", end="2026-02-01"
    )


def test_status_filter_maps_internal_states(client, make_request):
    new = make_request()
    in_progress = make_request(status=Status.IN_PROGRESS)
    resolved = make_request(status=Status.RESOLVED)
    duplicate = make_request(status=Status.DUPLICATE)
    assert set(_ids(_search(client, status="open"))) == {
        new.tracking_code,
        in_progress.tracking_code,
    }
    assert set(_ids(_search(client, status="closed"))) == {
        resolved.tracking_code,
        duplicate.tracking_code,
    }
    assert len(_ids(_search(client, status="open,closed"))) == 4
    closed = _search(client, status="closed").json()
    assert {item["status"] for item in closed} == {"closed"}
    assert {item["status_notes"] for item in closed} == {None}


def test_bad_status_is_a_400(client, hatay):
    response = _search(client, status="pending")
    assert response.status_code == 400
    assert response.json()[0]["description"] == STATUS_INVALID.format(value="pending")


def test_service_code_filter_takes_a_list(client, make_request):
    cop = make_request("COP")
    su = make_request("SU")
    make_request("GAZ")
    assert _ids(_search(client, service_code="SU")) == [su.tracking_code]
    found = _ids(_search(client, service_code="COP,SU"))
    assert set(found) == {cop.tracking_code, su.tracking_code}


def test_unknown_service_code_filter_is_a_400(client, hatay):
    response = _search(client, service_code="COP,NOPE")
    assert response.status_code == 400
    assert response.json() == [
        {"code": 400, "description": SERVICE_CODE_UNKNOWN.format(code="NOPE")}
    ]


def test_service_request_id_list_overrides_other_filters(client, make_request):
    old = make_request(requested_at=timezone.now() - timedelta(days=200))
    closed = make_request(status=Status.CLOSED)
    make_request()
    typed = f"{old.tracking_code.lower()}, {closed.tracking_code.replace('-', '')}"
    found = _ids(_search(client, service_request_id=typed, status="open"))
    assert set(found) == {old.tracking_code, closed.tracking_code}


def test_bad_service_request_id_is_a_400(client, hatay):
    response = _search(client, service_request_id="12345")
    assert response.status_code == 400
    assert response.json()[0]["description"] == REQUEST_ID_INVALID.format(value="12345")


def _links(response):
    """``{'rel="next"': url, ...}`` from an RFC 8288 Link header."""
    links = {}
    for part in response.headers.get("Link", "").split(","):
        if part:
            target, rel = part.split(";")
            links[rel.strip()] = target.strip(" <>")
    return links


def test_paging_walks_all_results_with_link_headers(client, make_request):
    now = timezone.now()
    made = [
        make_request(requested_at=now - timedelta(hours=hours)).tracking_code
        for hours in range(5)
    ]
    seen, url, pages = [], "/open311/v2/requests.json?page_size=2", 0
    while url:
        response = client.get(url)
        assert response["X-Total-Count"] == "5"
        assert response["X-Page-Size"] == "2"
        seen += _ids(response)
        pages += 1
        links = _links(response)
        url = links.get('rel="next"')
        if pages > 1:
            assert 'rel="prev"' in links
    assert pages == 3
    assert seen == made  # newest first, nothing twice, nothing left out


def test_page_past_the_end_is_empty(client, make_request):
    make_request()
    response = _search(client, page="3", page_size="10")
    assert response.json() == []
    assert response["X-Total-Count"] == "1"
    assert response["X-Page"] == "3"
    assert 'rel="next"' not in _links(response)
    # "prev" leads back to the last page that has results: the first.
    assert _links(response)['rel="prev"'] == (
        "http://testserver/open311/v2/requests.json?page_size=10"
    )


def test_default_page_is_at_most_1000(client, make_request):
    make_request()
    response = _search(client)
    assert response["X-Page-Size"] == str(MAX_PAGE_SIZE) == "1000"
    assert "Link" not in response.headers


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"page": "0"}, PAGE_INVALID.format(value="0", limit=MAX_PAGE)),
        ({"page": "two"}, PAGE_INVALID.format(value="two", limit=MAX_PAGE)),
        ({"page": "9" * 30}, PAGE_INVALID.format(value="9" * 30, limit=MAX_PAGE)),
        ({"page_size": "1001"}, PAGE_SIZE_INVALID.format(value="1001", limit=1000)),
        ({"page_size": "-5"}, PAGE_SIZE_INVALID.format(value="-5", limit=1000)),
    ],
)
def test_bad_paging_is_a_400_naming_the_parameter(client, hatay, params, expected):
    response = _search(client, **params)
    assert response.status_code == 400
    assert response.json() == [{"code": 400, "description": expected}]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("page=1&page=2", ["page is given 2 times; give it once"]),
        ("page_size=5&page_size=10", ["page_size is given 2 times; give it once"]),
        (
            "start_date=2026-01-01&start_date=2026-02-01&end_date=2026-03-01"
            "&end_date=2026-03-02&end_date=2026-03-03",
            [
                "start_date is given 2 times; give it once",
                "end_date is given 3 times; give it once",
            ],
        ),
    ],
)
def test_a_parameter_given_twice_is_refused_not_read_as_the_last(
    client, hatay, query, expected
):
    response = client.get(f"/open311/v2/requests.json?{query}")

    assert response.status_code == 400
    assert response.json() == [
        {"code": 400, "description": description} for description in expected
    ]


def test_lists_may_still_be_given_in_several_parameters(client, make_request):
    make_request("COP")
    make_request("GAZ")
    response = client.get("/open311/v2/requests.json?service_code=COP&service_code=SU")

    assert response.status_code == 200
    assert [r["service_code"] for r in response.json()] == ["COP"]


def test_search_costs_a_fixed_number_of_queries(
    client, make_request, django_assert_max_num_queries
):
    for code in ("COP", "SU", "GAZ", "COP", "SU"):
        make_request(code)
    # One count, one page with categories and owners joined.
    with django_assert_max_num_queries(2):
        assert len(_ids(_search(client))) == 5


def test_sample_and_real_requests_are_both_listed(client, make_request):
    make_request(is_sample=True)
    make_request()
    assert len(_ids(_search(client))) == 2
    assert ServiceRequest.objects.count() == 2
