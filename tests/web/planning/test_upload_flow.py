"""Upload → mapping → dry run → draft → activate → rollback, by the test client.

The file holds two squares in Yayladağı (``files.py``); the target is the
pack's ``neighbourhoods`` layer (boundary, attribute ``district``, no
generation yet).
"""

import pytest
from django.utils import translation
from django.utils.html import escape

from boundaries.models import Feature, Generation, Layer
from geopool.web.planning.views.actions import (
    ACTIVATED,
    DISCARDED,
    REFUSED,
    ROLLED_BACK,
)
from geopool.web.planning.views.check import DRAFT_SAVED
from tests.web.planning.files import EAST, FIELDS, WEST, geojson_file
from tests.web.planning.steps import upload, upload_to_check, upload_to_draft

pytestmark = pytest.mark.django_db


def _text(message, **values):
    with translation.override("tr"):
        return escape(str(message % values))


def _active_number(code="neighbourhoods"):
    active = Generation.objects.filter(layer__code=code, is_active=True).first()
    return active.number if active else None


def test_mapping_form_offers_the_files_real_field_names(planner_client, tmp_path):
    token = upload(planner_client, geojson_file(tmp_path))

    page = planner_client.get(f"/planning/upload/{token}/fields/").text

    for field in FIELDS:
        assert f'<option value="{field}">{field}</option>' in page
    assert 'name="attribute__district"' in page
    assert "mahalleler.geojson" in page and "EPSG:4326" in page


def test_mapping_is_prefilled_from_the_layers_saved_mapping(planner_client, tmp_path):
    Layer.objects.filter(code="neighbourhoods").update(
        field_mapping={
            "name": "AD",
            "code": "NO_SUCH",
            "attributes": {"district": "ILCE"},
        }
    )
    token = upload(planner_client, geojson_file(tmp_path))

    form = planner_client.get(f"/planning/upload/{token}/fields/").context["form"]

    assert form.initial == {"name": "AD", "attribute__district": "ILCE"}


def test_dry_run_shows_the_report_and_writes_nothing(planner_client, tmp_path):
    _token, response = upload_to_check(planner_client, geojson_file(tmp_path))

    assert response.status_code == 200
    assert "2 öğe kaydedilecek" in response.text
    assert "Taslak olarak kaydet" in response.text
    assert not Generation.objects.filter(layer__code="neighbourhoods").exists()


def test_saving_stores_a_draft_and_shows_its_preview(planner_client, planner, tmp_path):
    response = upload_to_draft(planner_client, geojson_file(tmp_path))

    draft = Generation.objects.get(layer__code="neighbourhoods")
    assert response.redirect_chain[-1][0] == f"/planning/generations/{draft.pk}/"
    assert _text(DRAFT_SAVED, number=1, layer="neighbourhoods") in response.text
    assert draft.state == "draft" and not draft.is_active
    assert draft.imported_by == planner
    assert draft.source_file == "mahalleler.geojson"
    assert sorted(
        Feature.objects.filter(generation=draft).values_list(
            "name", "code", "attributes"
        )
    ) == [
        ("Güzelyurt", "9002", {"district": "Yayladağı"}),
        ("Şenköy", "9001", {"district": "Yayladağı"}),
    ]
    # The draft keeps its mapping; the layer's saved one changes only when a
    # generation goes live.
    assert draft.field_mapping == {
        "name": "AD",
        "code": "KOD",
        "attributes": {"district": "ILCE"},
    }
    assert Layer.objects.get(code="neighbourhoods").field_mapping["name"] == ""


def test_pending_file_is_removed_once_the_draft_is_stored(
    planner_client, tmp_path, settings
):
    upload_to_draft(planner_client, geojson_file(tmp_path))

    assert list((settings.MEDIA_ROOT / "uploads-pending").iterdir()) == []


def test_activate_then_rollback_changes_the_active_generation(planner_client, tmp_path):
    first = tmp_path / "1"
    second = tmp_path / "2"
    first.mkdir(), second.mkdir()
    upload_to_draft(planner_client, geojson_file(first, WEST, EAST))
    one = Generation.objects.get(layer__code="neighbourhoods", number=1)
    response = planner_client.post(
        f"/planning/generations/{one.pk}/activate/",
        {"next": "/planning/layers/"},
        follow=True,
    )
    assert _text(ACTIVATED, number=1, layer="neighbourhoods") in response.text
    assert "katmanının 1. sürümü artık etkin" in response.text
    assert _active_number() == 1

    upload_to_draft(planner_client, geojson_file(second, WEST))
    two = Generation.objects.get(layer__code="neighbourhoods", number=2)
    planner_client.post(f"/planning/generations/{two.pk}/activate/")
    assert _active_number() == 2
    assert list(
        Feature.objects.filter(
            generation__is_active=True, generation__layer=two.layer
        ).values_list("name", flat=True)
    ) == ["Şenköy"]

    response = planner_client.post(
        "/planning/layers/neighbourhoods/rollback/", follow=True
    )
    assert _text(ROLLED_BACK, number=1, layer="neighbourhoods") in response.text
    assert _active_number() == 1
    assert Generation.objects.get(pk=two.pk).state == "previous"


def test_layer_list_shows_generations_and_their_buttons(planner_client, tmp_path):
    upload_to_draft(planner_client, geojson_file(tmp_path))

    page = planner_client.get("/planning/layers/").text

    assert 'data-layer="districts"' in page and 'data-layer="neighbourhoods"' in page
    assert "Etkin sürüm 1: 15 öğe, hatay_districts_osm.geojson" in page
    assert 'data-generation="1" data-state="draft"' in page
    for button in ("Önizle", "Etkinleştir", "Vazgeç"):
        assert button in page
    assert "Taslak" in page and "Etkin" in page
    assert "planner-hbb" in page


def test_rollback_button_only_where_a_previous_generation_exists(
    planner_client, tmp_path
):
    def rollback_buttons():
        return planner_client.get("/planning/layers/").text.count(
            'data-testid="rollback"'
        )

    for number in (1, 2):
        folder = tmp_path / str(number)
        folder.mkdir()
        upload_to_draft(planner_client, geojson_file(folder))
        assert rollback_buttons() == 0
        draft = Generation.objects.get(layer__code="neighbourhoods", number=number)
        planner_client.post(f"/planning/generations/{draft.pk}/activate/")

    assert rollback_buttons() == 1


def test_discard_abandons_the_draft(planner_client, tmp_path):
    upload_to_draft(planner_client, geojson_file(tmp_path))
    draft = Generation.objects.get(layer__code="neighbourhoods")

    response = planner_client.post(
        f"/planning/generations/{draft.pk}/discard/", follow=True
    )

    assert _text(DISCARDED, number=1, layer="neighbourhoods") in response.text
    assert Generation.objects.get(pk=draft.pk).state == "discarded"
    assert _active_number() is None


def test_refusals_are_shown_as_messages(planner_client, tmp_path):
    upload_to_draft(planner_client, geojson_file(tmp_path))
    draft = Generation.objects.get(layer__code="neighbourhoods")
    planner_client.post(f"/planning/generations/{draft.pk}/discard/")

    response = planner_client.post(
        f"/planning/generations/{draft.pk}/activate/", follow=True
    )

    reason = "neighbourhoods#1 was discarded; import the file again to use it"
    assert _text(REFUSED, reason=reason) in response.text
    assert response.redirect_chain[-1][0] == "/planning/layers/"


def test_rollback_without_a_previous_generation_is_refused(planner_client):
    response = planner_client.post("/planning/layers/districts/rollback/", follow=True)

    reason = "layer districts has no previous generation to roll back to"
    assert _text(REFUSED, reason=reason) in response.text
    assert _active_number("districts") == 1


def test_state_changes_need_post(planner_client):
    generation = Generation.objects.get(layer__code="districts")

    assert (
        planner_client.get(
            f"/planning/generations/{generation.pk}/activate/"
        ).status_code
        == 405
    )
    assert planner_client.get("/planning/layers/districts/rollback/").status_code == 405


def test_next_pointing_elsewhere_is_ignored(planner_client):
    response = planner_client.post(
        "/planning/layers/districts/rollback/", {"next": "https://example.com/"}
    )

    assert response["Location"] == "/planning/layers/"
