"""A draft generation's preview offers the simulation with the live rules.

A districts draft that gives the square WEST (in Yayladağı today) to
Samandağ moves the waste request inside it: Yayladağı Belediyesi →
Samandağ Belediyesi, one request.
"""

import pytest
from django.utils import timezone

from tests.web.helpers import request_at
from tests.web.planning.files import DISTRICT_FIELDS, EAST, IN_WEST, WEST, geojson_file
from tests.web.planning.steps import mapping, upload_to_draft

pytestmark = pytest.mark.django_db

WEST_TO_SAMANDAG = ("Samandağ", "1591", WEST[2])
DISTRICT_MAPPING = mapping(
    name_ascii="name_ascii",
    osm_relation_id="osm_relation_id",
    postal_code="postal_code",
)


def test_districts_draft_shows_whose_requests_would_move(planner_client, tmp_path):
    moved = request_at("COP", **IN_WEST)
    path = geojson_file(tmp_path, WEST_TO_SAMANDAG, EAST, extra=DISTRICT_FIELDS)
    preview = upload_to_draft(
        planner_client, path, layer="districts", form=DISTRICT_MAPPING
    )
    url = preview.request["PATH_INFO"]

    page = planner_client.get(url, {"since": timezone.localdate().isoformat()})

    assert 'data-testid="generation-simulation"' in preview.text
    assert preview.context["simulation"] is None  # only when asked
    result = page.context["simulation"]
    assert result["rows"] == [
        {
            "code": "YAYLADAGI",
            "name": "Yayladağı Belediyesi (YAYLADAGI)",
            "cells": [1],
            "total": 1,
        }
    ]
    assert result["columns"] == [
        {"code": "SAMANDAG", "name": "Samandağ Belediyesi (SAMANDAG)"}
    ]
    assert [e["tracking_code"] for e in result["examples"]] == [moved.tracking_code]
    assert dict(result["generations"])["districts"] == 2
    assert "Çöp toplama ve konteyner, Samandağ ilçe sınırı içinde" in page.text


def test_a_layer_no_rule_consults_offers_no_simulation(planner_client, tmp_path):
    preview = upload_to_draft(planner_client, geojson_file(tmp_path))

    assert preview.context["layer"].code == "neighbourhoods"
    assert preview.context["simulation_offered"] is False
    assert 'data-testid="generation-simulation"' not in preview.text


def test_a_bad_day_is_a_form_error(planner_client, tmp_path):
    path = geojson_file(tmp_path, WEST_TO_SAMANDAG, EAST, extra=DISTRICT_FIELDS)
    preview = upload_to_draft(
        planner_client, path, layer="districts", form=DISTRICT_MAPPING
    )

    page = planner_client.get(preview.request["PATH_INFO"], {"since": "2026-02-30"})

    assert page.status_code == 200
    assert page.context["simulate_form"].errors == {
        "since": ["Geçerli bir tarih girin."]
    }
