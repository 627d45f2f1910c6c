"""``GET /open311/v2/requests/<id>.{json,xml}`` and what is never published."""

import pytest

from geopool.models import ServiceRequest
from geopool.open311.messages import REQUEST_NOT_FOUND
from tests.open311.conftest import children, xml_root

pytestmark = pytest.mark.django_db

PHONE = "05329876543"
LAST_NAME = "Karaosmanoğlu"
FIRST_NAME = "Zeliha"
EMAIL = "zeliha.k@example.org"
RAW_TEXT = "Kapı numaram 12, komşum sürekli çöp döküyor"
TC_KIMLIK = "10000000146"


def test_detail_json_by_tracking_code(client, make_request, schema):
    request = make_request("SU", address_string="Ulus Mah. Antakya/Hatay")
    response = client.get(f"/open311/v2/requests/{request.tracking_code}.json")
    assert response.status_code == 200
    found = response.json()
    schema("requests.json").validate(found)
    (item,) = found
    assert item["service_request_id"] == request.tracking_code
    assert item["agency_responsible"] == "Hatay Su ve Kanalizasyon İdaresi (HATSU)"
    # The address is the citizen's own text: the tracking page hides it too.
    assert item["address"] is None
    assert "Ulus Mah." not in response.content.decode()
    xml = client.get(f"/open311/v2/requests/{request.tracking_code}.xml")
    assert "Ulus Mah." not in xml.content.decode()
    assert item["requested_datetime"].endswith("+03:00")


@pytest.mark.parametrize("typed", [str.lower, lambda code: code.replace("-", "")])
def test_detail_code_is_case_insensitive_and_dash_optional(client, make_request, typed):
    request = make_request()
    response = client.get(f"/open311/v2/requests/{typed(request.tracking_code)}.json")
    assert response.status_code == 200
    assert response.json()[0]["service_request_id"] == request.tracking_code


def test_detail_xml(client, make_request):
    request = make_request("GAZ")
    response = client.get(f"/open311/v2/requests/{request.tracking_code}.xml")
    assert response.status_code == 200
    root = xml_root(response)
    assert root.tag == "service_requests"
    (item,) = root
    assert item.tag == "request"
    assert children(item)[:2] == ["service_request_id", "status"]
    assert item.findtext("service_request_id") == request.tracking_code
    assert "187" in item.findtext("service_notice")


def test_unknown_request_is_a_404_error_list(client, hatay):
    response = client.get("/open311/v2/requests/XXX-XXXX.json")
    assert response.status_code == 404
    assert response.json() == [
        {"code": 404, "description": REQUEST_NOT_FOUND.format(code="XXX-XXXX")}
    ]


def test_unknown_request_in_xml(client, hatay):
    response = client.get("/open311/v2/requests/K7M-4TXR.xml")
    assert response.status_code == 404
    root = xml_root(response)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "404"
    assert root.findtext("error/description") == REQUEST_NOT_FOUND.format(
        code="K7M-4TXR"
    )


def test_description_is_only_the_staff_approved_text(client, make_request):
    request = make_request(description=RAW_TEXT)
    url = f"/open311/v2/requests/{request.tracking_code}.json"
    assert client.get(url).json()[0]["description"] is None
    ServiceRequest.objects.filter(pk=request.pk).update(
        public_description="Konteyner taşması bildirildi"
    )
    item = client.get(url).json()[0]
    assert item["description"] == "Konteyner taşması bildirildi"
    assert RAW_TEXT not in client.get(url).content.decode()


def test_no_personal_data_in_any_get(post, client):
    response = post(
        service_code="COP",
        description=RAW_TEXT,
        first_name=FIRST_NAME,
        last_name=LAST_NAME,
        phone=PHONE,
        email=EMAIL,
        device_id="device-xyz-123",
        account_id="account-xyz-456",
    )
    assert response.status_code == 201
    code = response.json()[0]["service_request_id"]
    # A kimlik number stored by another channel must not leak either.
    request = ServiceRequest.objects.get(tracking_code=code)
    request.contact.tc_kimlik_no = TC_KIMLIK
    request.contact.save()
    for fmt in ("json", "xml"):
        for url in (
            f"/open311/v2/requests.{fmt}",
            f"/open311/v2/requests.{fmt}?service_request_id={code}",
            f"/open311/v2/requests/{code}.{fmt}",
        ):
            body = client.get(url).content.decode()
            assert code in body
            for secret in (
                PHONE,
                LAST_NAME,
                FIRST_NAME,
                EMAIL,
                TC_KIMLIK,
                RAW_TEXT,
                "device-xyz-123",
                "account-xyz-456",
            ):
                assert secret not in body, (url, secret)
