"""``GET /open311/v2/services.{json,xml}``: the active categories."""

import pytest

from geopool.models import Category
from tests.open311.conftest import children, xml_root

pytestmark = pytest.mark.django_db

SERVICE_FIELDS = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]


def test_services_json_lists_active_categories_in_turkish(client, hatay, schema):
    response = client.get("/open311/v2/services.json")
    assert response.status_code == 200
    services = response.json()
    schema("services.json").validate(services)
    by_code = {s["service_code"]: s for s in services}
    assert len(services) == Category.objects.filter(is_active=True).count()
    assert by_code["COP"] == {
        "service_code": "COP",
        "service_name": "Çöp toplama ve konteyner",
        "description": "Waste collection and bins",
        "metadata": False,
        "type": "realtime",
        "keywords": "çöp,konteyner,atık",
        "group": "Temizlik ve atık",
    }
    assert by_code["GAZ"]["service_name"] == "Gaz kokusu"
    for service in services:
        schema("service.json").validate(service)


def test_inactive_category_is_not_listed(client, hatay):
    Category.objects.filter(code="KAR").update(is_active=False)
    codes = [s["service_code"] for s in client.get("/open311/v2/services.json").json()]
    assert "KAR" not in codes
    assert "COP" in codes


def test_services_xml_uses_the_spec_element_names(client, hatay):
    response = client.get("/open311/v2/services.xml")
    assert response.status_code == 200
    root = xml_root(response)
    assert root.tag == "services"
    assert {child.tag for child in root} == {"service"}
    cop = next(s for s in root if s.findtext("service_code") == "COP")
    assert children(cop) == SERVICE_FIELDS
    assert cop.findtext("service_name") == "Çöp toplama ve konteyner"
    assert cop.findtext("metadata") == "false"
    assert cop.findtext("type") == "realtime"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_services_refuse_delete_with_405(client, hatay, fmt):
    response = client.delete(f"/open311/v2/services.{fmt}")
    assert response.status_code == 405
    assert response["Allow"].startswith("GET")
    if fmt == "json":
        assert response.json()[0]["code"] == 405
        assert "DELETE" in response.json()[0]["description"]
    else:
        root = xml_root(response)
        assert root.tag == "errors"
        assert root.findtext("error/code") == "405"
        assert "DELETE" in root.findtext("error/description")
