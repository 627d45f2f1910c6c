"""The exception handler: every failure is the spec's error list."""

import pytest
from rest_framework import exceptions

from geopool.models import Jurisdiction, ServiceRequest
from geopool.open311.errors import InvalidInput, error_list, exception_handler, named
from routing_rules.errors import OutsideServiceArea
from routing_rules.models import RuleSet
from tests.open311.conftest import xml_root

pytestmark = pytest.mark.django_db


def test_named_prefixes_only_messages_that_do_not_name_their_field():
    assert named(["lat"], "lat='x' is not a number") == "lat='x' is not a number"
    assert named(["lat", "long"], "the point lat=1, long=2 ...") == (
        "the point lat=1, long=2 ..."
    )
    assert named(["phone"], "too long") == "phone: too long"
    assert named(["non_field_errors"], "bad") == "bad"


def test_handler_turns_errors_into_lists():
    context = {}
    response = exception_handler(OutsideServiceArea("the point lat=1, long=2"), context)
    assert response.status_code == 400
    assert response.data == error_list(400, ["the point lat=1, long=2"])
    response = exception_handler(InvalidInput(["a", "b"]), context)
    assert response.data == [
        {"code": 400, "description": "a"},
        {"code": 400, "description": "b"},
    ]
    response = exception_handler(exceptions.ValidationError({"x": ["bad"]}), context)
    assert response.data == [{"code": 400, "description": "x: bad"}]
    response = exception_handler(exceptions.Throttled(wait=7), context)
    assert response.status_code == 429
    assert response["Retry-After"] == "7"


def test_bugs_are_left_to_django():
    assert exception_handler(ZeroDivisionError(), {}) is None


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_missing_configuration_is_a_503_not_a_500(post, fmt):
    RuleSet.objects.update(is_active=False)
    response = post(fmt)
    assert response.status_code == 503
    if fmt == "json":
        (error,) = response.json()
        assert error["code"] == 503
        assert "rule set" in error["description"]
    else:
        assert xml_root(response).findtext("error/code") == "503"


def test_discovery_without_a_jurisdiction_is_a_503(client, hatay):
    Jurisdiction.objects.all().delete()
    response = client.get("/open311/discovery.json")
    assert response.status_code == 503
    assert "jurisdiction" in response.json()[0]["description"]


def test_control_characters_cannot_break_xml(client, make_request):
    request = make_request()
    ServiceRequest.objects.filter(pk=request.pk).update(
        public_description="Kat\x01 2\x0b"
    )
    response = client.get("/open311/v2/requests.xml")
    assert response.status_code == 200
    assert xml_root(response).findtext("request/description") == "Kat 2"


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "9999-12-31"},
        {"end_date": "0001-01-01"},
        {"start_date": "2026-02-30"},
        {"service_code": "CO\x00P"},
        {"service_request_id": "\x00"},
        {"status": "\x00"},
        {"page_size": "1" * 40},
        {"page": "9" * 5000},
        {"page_size": "9" * 5000},
    ],
)
def test_hostile_search_parameters_are_400_not_500(client, hatay, params):
    response = client.get("/open311/v2/requests.json", params)
    assert response.status_code == 400
    (name,) = params
    assert all(name in error["description"] for error in response.json())


@pytest.mark.parametrize(
    "fields",
    [
        {"api_key": "gp_\x00bad_secret"},
        {"service_code": "CO\x00P"},
        {"description": "a\x00b"},
        {"lat": "1e400"},
        {"long": "-" * 1000},
        {"description": "x" * 4001},
    ],
)
def test_hostile_post_fields_are_refused_not_500(post, fields):
    response = post(**fields)
    assert response.status_code in (400, 403)
    (name,) = fields
    assert all(name in error["description"] for error in response.json())


@pytest.mark.parametrize(
    "lat",
    [
        "٣٦.٢٠٢١",  # Arabic-Indic digits
        "３６.２０２１",  # full-width digits
        "3_6.2021",
    ],
)
def test_non_ascii_or_odd_digits_are_not_numbers(client, api_key, lat):
    response = client.post(
        "/open311/v2/requests.json",
        {"api_key": api_key, "service_code": "COP", "lat": lat, "long": "36.1603"},
    )
    assert response.status_code == 400
    assert "is not a number" in response.json()[0]["description"]


def test_start_date_with_an_offset_postgresql_cannot_take_is_fine(client, hatay):
    response = client.get(
        "/open311/v2/requests.json", {"start_date": "2026-01-01T00:00:00+16:00"}
    )
    assert response.status_code == 200


def test_each_form_has_fields_of_its_own():
    """The form's fields are remade for each post (not deep-copied): no
    field, message dict or validator list is shared between two posts."""
    from geopool.open311.submission import RequestSubmission

    first, second = RequestSubmission(data={}), RequestSubmission(data={})
    assert list(first.fields) == list(second.fields)
    for name, field in first.fields.items():
        other = second.fields[name]
        assert field is not other
        assert field.error_messages is not other.error_messages
        assert field.validators is not other.validators
        assert field.parent is first and other.parent is second
    assert (
        first.fields["lat"].error_messages["required"]
        == (second.fields["lat"].error_messages["required"])
    )
    assert "lat" in first.fields["lat"].error_messages["required"]
    assert "long" in first.fields["long"].error_messages["required"]


def test_a_body_django_will_not_read_is_an_open311_error(api_client, settings):
    """Too many fields or too large a body: Django refuses them before any
    view; Open311 clients still get the error list, not a page."""
    fields = "&".join(
        f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)
    )
    response = api_client.post(
        "/open311/v2/requests.json",
        fields,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert response.json() == [
        {
            "code": 400,
            "description": "the request has more than 1,000 fields; send only the "
            "fields the API names",
        }
    ]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2**20
    response = api_client.post(
        "/open311/v2/requests.xml",
        "description=" + "x" * 2**21,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/xml")
    assert (
        "<errors><error><code>400</code><description>the request's fields are "
        "larger than 1 MB" in response.content.decode()
    )
