"""``GET /open311/discovery.{json,xml}`` and the catch-all 404."""

import pytest

from geopool.open311.discovery import SPECIFICATION
from geopool.open311.messages import ENDPOINT_NOT_FOUND
from tests.open311.conftest import children, iso, xml_root

pytestmark = pytest.mark.django_db


def test_discovery_json_names_the_call_centre_and_the_v2_endpoint(client, hatay):
    response = client.get("/open311/discovery.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    document = response.json()
    assert document["contact"] == "ALO 153 — Hatay Büyükşehir Belediyesi"
    assert "create_api_key" in document["key_service"]
    assert "Basın Yayın ve Halkla İlişkiler" in document["key_service"]
    assert iso(document["changeset"]).utcoffset() is not None
    assert document["endpoints"] == [
        {
            "specification": SPECIFICATION,
            "url": "http://testserver/open311/v2",
            "changeset": document["changeset"],
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }
    ]


def test_discovery_text_comes_from_the_jurisdiction(client, hatay):
    hatay.name = "Örnek Büyükşehir Belediyesi"
    hatay.settings = {**hatay.settings, "call_centre_label": "Çağrı 444 0 153"}
    hatay.save()
    document = client.get("/open311/discovery.json").json()
    assert document["contact"] == "Çağrı 444 0 153 — Örnek Büyükşehir Belediyesi"


def test_discovery_xml_uses_the_spec_element_names(client, hatay):
    response = client.get("/open311/discovery.xml")
    assert response.status_code == 200
    root = xml_root(response)
    assert root.tag == "discovery"
    assert children(root) == ["changeset", "contact", "key_service", "endpoints"]
    (endpoint,) = root.find("endpoints")
    assert endpoint.tag == "endpoint"
    assert children(endpoint) == [
        "specification",
        "url",
        "changeset",
        "type",
        "formats",
    ]
    assert endpoint.findtext("url") == "http://testserver/open311/v2"
    assert [f.tag for f in endpoint.find("formats")] == ["format", "format"]
    assert [f.text for f in endpoint.find("formats")] == [
        "text/xml",
        "application/json",
    ]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_discovery_refuses_post_with_405(client, hatay, fmt):
    response = client.post(f"/open311/discovery.{fmt}")
    assert response.status_code == 405
    if fmt == "json":
        (error,) = response.json()
        assert error["code"] == 405
        assert "POST" in error["description"]
    else:
        root = xml_root(response)
        assert root.tag == "errors"
        assert root.find("error/code").text == "405"


@pytest.mark.parametrize(
    "path",
    [
        "/open311/discovery.csv",
        "/open311/discovery",
        "/open311/v2/services.html",
        "/open311/v2/services",
        "/open311/v2/nothing.json",
        "/open311/",
    ],
)
def test_unknown_endpoint_or_format_is_a_404_error_list(client, hatay, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json() == [
        {"code": 404, "description": ENDPOINT_NOT_FOUND.format(path=path)}
    ]


def test_unknown_endpoint_with_xml_suffix_answers_in_xml(client, hatay):
    response = client.get("/open311/v2/nothing.xml")
    assert response.status_code == 404
    root = xml_root(response)
    assert root.tag == "errors"
    assert children(root.find("error")) == ["code", "description"]
