"""The Open311 JSON schemas themselves: loaded, linked, and strict enough.

If the registry did not resolve ``$ref`` between the files, every schema
test would pass vacuously; these checks make sure a wrong document fails.
"""

import jsonschema
import pytest

from tests.open311 import conftest


def test_services_schema_rejects_a_wrong_service(schema):
    with pytest.raises(jsonschema.ValidationError):
        schema("services.json").validate([{"service_code": "X"}])


def test_requests_schema_rejects_a_wrong_request(schema):
    with pytest.raises(jsonschema.ValidationError):
        schema("requests.json").validate([{"service_request_id": 7}])
    with pytest.raises(jsonschema.ValidationError):
        schema("requests.json").validate({"service_request_id": "K7M-4TXR"})


def test_a_missing_schema_folder_fails_instead_of_skipping(monkeypatch, tmp_path):
    monkeypatch.setattr(conftest, "SCHEMA_DIR", tmp_path / "absent")
    with pytest.raises(pytest.fail.Exception, match="schema folder"):
        conftest._registry()
