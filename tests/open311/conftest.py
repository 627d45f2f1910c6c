"""Helpers for the Open311 tests: posting, creating, parsing, schemas.

The JSON schemas are the Open311 project's own (``open311-schema`` in the
shared data folder); they ``$ref`` each other by file name, so one registry
holds them all. A missing schema folder fails the test that needs it.
"""

import json
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from geopool.models import ApiKey, Body, Category, ServiceRequest
from geopool.services.intake import Intake, request_create

# A point in central Antakya (inside the district, far from its edges).
ANTAKYA = {"lat": "36.2021", "long": "36.1603"}
SCHEMA_DIR = Path(settings.GEOPOOL_DATA_DIR) / "external" / "open311-schema"


@pytest.fixture
def api_client():
    """A client that enforces CSRF like a browser and has no session."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def post(api_client, api_key):
    """``post(fmt="json", **fields)``: POST v2/requests with the test key."""

    def send(fmt="json", **fields):
        data = {"api_key": api_key, "service_code": "COP", **ANTAKYA}
        data.update(fields)
        data = {k: v for k, v in data.items() if v is not None}
        return api_client.post(f"/open311/v2/requests.{fmt}", data)

    return send


@pytest.fixture
def make_request(hatay):
    """``make_request("COP", requested_at=..., status=..., **intake)``."""

    def make(code="COP", *, lat=36.2021, lon=36.1603, status=None, **fields):
        result = request_create(
            Intake(
                category=Category.objects.get(code=code),
                channel="api",
                lat=lat,
                lon=lon,
                location_source="given",
                **fields,
            )
        )
        request = result.request
        if status is not None:
            ServiceRequest.objects.filter(pk=request.pk).update(status=status)
            request.refresh_from_db()
        return request

    return make


@pytest.fixture
def key_object(api_key):
    return ApiKey.authenticate(api_key)


@pytest.fixture
def other_key(hatay):
    _, plaintext = ApiKey.issue("other client", Body.objects.get(code="HATSU"))
    return plaintext


def xml_root(response):
    """The parsed XML document of ``response`` (checks the content type)."""
    assert response["Content-Type"].startswith("text/xml"), response["Content-Type"]
    return ET.fromstring(response.content)


def children(element):
    return [child.tag for child in element]


def iso(text):
    """Parse an ISO 8601 date-time the way a client would."""
    return datetime.fromisoformat(text)


def _registry():
    if not SCHEMA_DIR.is_dir():
        pytest.fail(
            f"Open311 schema folder {SCHEMA_DIR} is missing; set GEOPOOL_DATA_DIR "
            "to the shared data folder",
            pytrace=False,
        )
    resources = [
        (
            path.name,
            Resource.from_contents(
                json.loads(path.read_text(encoding="utf-8")),
                default_specification=DRAFT4,
            ),
        )
        for path in sorted(SCHEMA_DIR.glob("*.json"))
    ]
    return Registry().with_resources(resources)


@pytest.fixture
def schema():
    """``schema("requests.json").validate(data)`` with the Open311 schemas."""
    registry = _registry()

    def validator(name):
        if name not in registry:
            pytest.fail(f"schema {name} is missing from {SCHEMA_DIR}", pytrace=False)
        return Draft4Validator(registry.contents(name), registry=registry)

    return validator
