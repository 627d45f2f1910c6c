"""``POST /open311/v2/requests.{json,xml}``: filing a request with a key."""

import pytest
from django.test import Client

from geopool.models import ApiKey, Contact, ServiceRequest
from geopool.open311.messages import (
    API_KEY_INVALID,
    API_KEY_MISSING,
    COORDINATE_REQUIRED,
    EMAIL_INVALID,
    NULL_ISLAND,
    SERVICE_CODE_MISSING,
    SERVICE_CODE_UNKNOWN,
    TOO_LONG,
    UNSUPPORTED_MEDIA,
)
from routing_rules.models import Decision
from tests.open311.conftest import ANTAKYA, children, xml_root

pytestmark = pytest.mark.django_db


def _created(response, status=201):
    assert response.status_code == status, response.content
    (item,) = response.json()
    return item


def _descriptions(response, status=400):
    assert response.status_code == status, response.content
    errors = response.json()
    assert all(e["code"] == status for e in errors)
    assert all(set(e) == {"code", "description"} for e in errors)
    return [e["description"] for e in errors]


def test_post_creates_a_request_routed_to_antakya(post, key_object):
    item = _created(post(description="Konteyner taştı", address_string="Saray Cad."))
    assert set(item) == {"service_request_id", "service_notice", "account_id"}
    assert item["service_notice"] == ""
    assert item["account_id"] is None
    request = ServiceRequest.objects.get(tracking_code=item["service_request_id"])
    assert request.owner_body.name == "Antakya Belediyesi"
    assert request.channel == key_object.channel
    assert request.api_key == key_object
    assert request.location_source == "given"
    assert request.address_string == "Saray Cad."
    assert request.description == "Konteyner taştı"
    assert (request.location.x, request.location.y) == (36.1603, 36.2021)
    assert Decision.objects.get(request=request, is_current=True).rule_code


def test_agency_responsible_follows_the_category(post, client):
    cop = _created(post(service_code="COP"))["service_request_id"]
    su = _created(post(service_code="SU"))["service_request_id"]
    cop_doc = client.get(f"/open311/v2/requests/{cop}.json").json()[0]
    su_doc = client.get(f"/open311/v2/requests/{su}.json").json()[0]
    assert cop_doc["agency_responsible"] == "Antakya Belediyesi"
    assert su_doc["agency_responsible"] == "Hatay Su ve Kanalizasyon İdaresi (HATSU)"


def test_gas_smell_tells_the_caller_to_phone_187(post, client):
    item = _created(post(service_code="GAZ"))
    assert "187" in item["service_notice"]
    shown = client.get(f"/open311/v2/requests/{item['service_request_id']}.json")
    # GET rebuilds the notice; it must say exactly what routing said.
    assert shown.json()[0]["service_notice"] == item["service_notice"]


def test_post_xml_answers_with_service_requests(post):
    response = post("xml", service_code="GAZ")
    assert response.status_code == 201
    root = xml_root(response)
    assert root.tag == "service_requests"
    (request,) = root
    assert request.tag == "request"
    assert children(request) == ["service_request_id", "service_notice", "account_id"]
    assert ServiceRequest.objects.filter(
        tracking_code=request.findtext("service_request_id")
    ).exists()
    assert "187" in request.findtext("service_notice")


def test_post_without_csrf_cookie_succeeds(api_key, hatay):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/open311/v2/requests.json",
        {"api_key": api_key, "service_code": "COP", **ANTAKYA},
    )
    assert response.status_code == 201


def test_contact_data_is_stored_apart(post):
    item = _created(
        post(
            first_name="Ayşe",
            last_name="Yılmazoğlu",
            phone="05321234567",
            email="ayse@example.org",
            device_id="dev-1",
            account_id="acc-9",
        )
    )
    contact = Contact.objects.get(request__tracking_code=item["service_request_id"])
    assert (contact.first_name, contact.last_name, contact.phone) == (
        "Ayşe",
        "Yılmazoğlu",
        "05321234567",
    )
    assert (contact.email, contact.device_id, contact.account_id) == (
        "ayse@example.org",
        "dev-1",
        "acc-9",
    )


def test_retry_with_same_external_id_returns_the_first_request(post):
    first = _created(post(external_id="sys-42", description="Çöp taştı"))
    again = _created(post(external_id="sys-42", description="Çöp taştı"), status=200)
    assert again["service_request_id"] == first["service_request_id"]
    assert ServiceRequest.objects.filter(external_id="sys-42").count() == 1


def test_an_external_id_reused_for_another_report_is_a_409(post):
    code = _created(post(external_id="sys-7"))["service_request_id"]
    response = post(external_id="sys-7", service_code="YOL-BAKIM")
    assert response.status_code == 409
    assert response.json() == [
        {
            "code": 409,
            "description": f"external_id='sys-7' was already used for request "
            f"{code} with another service_code, place or description; a retry "
            "must repeat the first post, and a new report needs a new external_id",
        }
    ]
    assert post(external_id="sys-7", lat="36.21").status_code == 409
    assert ServiceRequest.objects.filter(external_id="sys-7").count() == 1


def test_a_retry_after_staff_corrected_the_request_still_finds_it(post):
    from geopool.services.rerouting import request_change

    code = _created(post(external_id="sys-9", description="Çöp taştı"))[
        "service_request_id"
    ]
    stored = ServiceRequest.objects.get(tracking_code=code)
    request_change(stored, location=(36.1610, 36.2030))
    request_change(stored, category="KONTEYNER-KENT")

    again = post(external_id="sys-9", description="Çöp taştı")

    assert again.status_code == 200
    assert again.json()[0]["service_request_id"] == code
    # The corrected request is not what a new post may reuse the id for.
    assert post(external_id="sys-9", service_code="KONTEYNER-KENT").status_code == (409)


def test_retry_of_an_emergency_repeats_its_notice(post):
    first = _created(post(service_code="GAZ", external_id="gaz-1"))
    again = _created(post(service_code="GAZ", external_id="gaz-1"), status=200)
    assert again == first


def test_same_external_id_from_another_key_is_another_request(post, other_key):
    first = _created(post(external_id="sys-7"))
    second = _created(post(external_id="sys-7", api_key=other_key))
    assert second["service_request_id"] != first["service_request_id"]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"api_key": None}, API_KEY_MISSING),
        ({"api_key": ""}, API_KEY_MISSING),
        ({"api_key": "gp_00000000_wrong"}, API_KEY_INVALID),
        ({"api_key": "not-a-key"}, API_KEY_INVALID),
    ],
)
def test_missing_or_unknown_key_is_403(post, fields, expected):
    assert _descriptions(post(**fields), status=403) == [expected]
    assert not ServiceRequest.objects.exists()


def test_revoked_key_is_403(post, key_object):
    key_object.revoke()
    assert _descriptions(post(), status=403) == [API_KEY_INVALID]


def test_revoked_key_is_403_in_xml(post, key_object):
    key_object.revoke()
    response = post("xml")
    assert response.status_code == 403
    root = xml_root(response)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "403"
    assert root.findtext("error/description") == API_KEY_INVALID


def test_key_use_is_recorded(post, key_object):
    _created(post())
    assert ApiKey.objects.get(pk=key_object.pk).last_used_at is not None


def test_missing_service_code(post):
    assert _descriptions(post(service_code=None)) == [SERVICE_CODE_MISSING]
    assert _descriptions(post(service_code="")) == [SERVICE_CODE_MISSING]


def test_unknown_service_code_points_to_services(post):
    (message,) = _descriptions(post(service_code="NOPE"))
    assert message == SERVICE_CODE_UNKNOWN.format(code="NOPE")
    assert "services.json" in message


def test_unknown_service_code_in_xml(post):
    response = post("xml", service_code="NOPE")
    assert response.status_code == 400
    root = xml_root(response)
    assert root.tag == "errors"
    assert root.findtext("error/description") == SERVICE_CODE_UNKNOWN.format(
        code="NOPE"
    )


def test_far_away_point_is_refused_naming_lat_and_long(post):
    (message,) = _descriptions(post(lat="39.9", long="32.85"))
    assert "lat" in message
    assert "long" in message
    assert "service area" in message
    assert not ServiceRequest.objects.exists()


def test_decimal_comma_gets_a_hint(post):
    (message,) = _descriptions(post(lat="36,2021"))
    assert message.startswith("lat=")
    assert "decimal comma" in message
    assert "36.2021" in message


def test_zero_zero_is_not_a_location(post):
    assert _descriptions(post(lat="0", long="0")) == [NULL_ISLAND]
    assert NULL_ISLAND.startswith("lat=0, long=0 is not a real location")


@pytest.mark.parametrize(
    ("fields", "starts"),
    [
        ({"lat": "abc"}, "lat='abc' is not a number"),
        ({"long": "east"}, "long='east' is not a number"),
        ({"lat": "nan"}, "lat='nan' is not a number"),
        ({"lat": "91"}, "lat='91' is out of range"),
        ({"long": "-181"}, "long='-181' is out of range"),
        ({"lat": None}, COORDINATE_REQUIRED.format(field="lat")),
        ({"long": ""}, COORDINATE_REQUIRED.format(field="long")),
    ],
)
def test_bad_coordinates_name_the_field(post, fields, starts):
    (message,) = _descriptions(post(**fields))
    assert message.startswith(starts)


def test_every_bad_field_is_reported_at_once(post):
    messages = _descriptions(
        post(service_code=None, lat="abc", long="36,1", email="not-an-email")
    )
    assert len(messages) == 4
    assert messages[0] == SERVICE_CODE_MISSING
    assert messages[1].startswith("lat=")
    assert messages[2].startswith("long=")
    assert messages[3] == EMAIL_INVALID


def test_phone_is_stored_as_the_console_and_the_web_form_store_it(post):
    item = _created(post(phone="+90 (532) 123-45-67"))
    contact = Contact.objects.get(request__tracking_code=item["service_request_id"])
    assert contact.phone == "05321234567"


def test_bad_phone_is_a_400_saying_what_a_phone_number_looks_like(post):
    (message,) = _descriptions(post(phone="0132 123 45 67"))
    assert message == (
        "phone='0132 123 45 67' is not a Turkish phone number. No Turkish phone "
        "number starts with 01; area and mobile codes start with 02, 03, 04, 05 "
        "or 08."
    )
    (message,) = _descriptions(post(phone="12345"))
    assert message == (
        "phone='12345' is not a Turkish phone number. A Turkish phone number has "
        "11 digits starting with 0, e.g. 0532 123 45 17 or 0326 214 00 00; 5 "
        "digits were typed."
    )
    assert not ServiceRequest.objects.exists()


def test_a_refused_post_leaves_what_was_sent_out_of_the_log(post, caplog):
    """The answer quotes the phone number to the client; the log does not."""
    with caplog.at_level("INFO"):
        (message,) = _descriptions(post(phone="0532 123 45 6", first_name="Ayşe"))
    assert "0532 123 45 6" in message
    assert "open311 POST /open311/v2/requests.json → 400 (1 errors)" in caplog.text
    assert "0532" not in caplog.text


def test_too_long_value_is_a_400_naming_the_field(post):
    (message,) = _descriptions(post(phone="1" * 31))
    assert message == TOO_LONG.format(field="phone", limit=30)
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_wrong_method_is_405_even_without_a_key(api_client, hatay, method):
    response = getattr(api_client, method)("/open311/v2/requests.json")
    assert response.status_code == 405
    (error,) = response.json()
    assert error["code"] == 405
    assert method.upper() in error["description"]


def test_json_body_is_refused_with_415(api_client, api_key, hatay):
    response = api_client.post(
        "/open311/v2/requests.json",
        {"api_key": api_key, "service_code": "COP", **ANTAKYA},
        content_type="application/json",
    )
    assert response.status_code == 415
    assert response.json() == [
        {
            "code": 415,
            "description": UNSUPPORTED_MEDIA.format(media_type="application/json"),
        }
    ]
    response = api_client.post(
        "/open311/v2/requests.json", "api_key=x", content_type="text/plain"
    )
    assert response.json()[0]["description"].startswith(
        "the request body is text/plain; it must be form-encoded"
    )


def test_a_key_given_twice_is_refused_whatever_their_order(api_client, api_key, hatay):
    for keys in (["gp_00000000_x", api_key], [api_key, "gp_00000000_x"]):
        response = api_client.post(
            "/open311/v2/requests.json",
            {"api_key": keys, "service_code": "COP", **ANTAKYA},
        )
        assert response.status_code == 400
        assert _descriptions(response) == ["api_key is given 2 times; give it once"]
    response = api_client.post(
        f"/open311/v2/requests.json?api_key={api_key}",
        {"api_key": api_key, "service_code": "COP", **ANTAKYA},
    )
    assert _descriptions(response) == ["api_key is given 2 times; give it once"]
    assert not ServiceRequest.objects.exists()


def test_a_field_given_twice_is_refused_not_read_as_the_last(post):
    assert _descriptions(post(lat=["36.2021", "40.0"])) == [
        "lat is given 2 times; give it once"
    ]
    assert not ServiceRequest.objects.exists()


def test_text_that_is_not_utf8_is_refused(api_client, api_key, hatay):
    body = (
        f"api_key={api_key}&service_code=COP&lat=36.2021&long=36.1603"
        "&description=%C7%F6p+ta%FEt%FD"  # Windows-1254, not UTF-8
    )
    response = api_client.post(
        "/open311/v2/requests.json",
        body,
        content_type="application/x-www-form-urlencoded",
    )
    assert _descriptions(response) == [
        "description holds bytes that are not UTF-8; send the text encoded as UTF-8"
    ]
    assert not ServiceRequest.objects.exists()


def test_control_characters_in_text_are_refused(post):
    assert _descriptions(post(address_string="Akhisar Mh.\x1b[31m Antakya")) == [
        "address_string contains the control character U+001B; send plain text"
    ]
    assert _descriptions(post(description="Çöp\x00 taştı")) == [
        "description contains the control character U+0000; send plain text"
    ]
    # Tabs and line breaks are text.
    assert post(description="Çöp taştı.\r\nKonteyner\tdolu").status_code == 201


def test_a_huge_unknown_service_code_is_not_echoed_whole(post):
    response = post(service_code="X" * 100_000)

    assert response.status_code == 400
    [error] = response.json()
    assert len(error["description"]) < 300
    assert error["description"].startswith("service_code='XXXX")


def test_a_post_reads_key_and_routing_state_together_then_writes_once(post):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    post(external_id="warm-1")  # the key's use recorded (once a minute)
    with CaptureQueriesContext(connection) as queries:
        response = post(external_id="two-1", description="Çöp taştı")

    assert response.status_code == 201
    statements = [q["sql"] for q in queries.captured_queries]
    verbs = [s.split()[0].upper() for s in statements]
    # The test's own transaction adds the savepoint around the write.
    assert verbs == ["SELECT", "SAVEPOINT", "WITH", "RELEASE"], verbs
    assert "routing_rules_state" in statements[0]
