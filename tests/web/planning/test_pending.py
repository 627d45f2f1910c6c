"""Pending uploads: safe names, tokens only from this session."""

import pytest
from django.test import Client

from geopool.web.planning.pending import safe_name
from tests.web.planning.files import geojson_file
from tests.web.planning.steps import upload

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("uploaded", "stored"),
    [
        ("mahalleler.geojson", "mahalleler.geojson"),
        # Turkish letters stay.
        ("İlçe sınırları.zip", "İlçe sınırları.zip"),
        # A path from the browser: base name only.
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\planlama\\ilçeler.gpkg", "ilçeler.gpkg"),
        # Nothing left but dots: a neutral name.
        ("..", "upload"),
        (".gizli.geojson", "gizli.geojson"),
        # Control characters are replaced.
        ("a\x00b.kml", "a_b.kml"),
    ],
)
def test_safe_name_keeps_the_base_name_only(uploaded, stored):
    assert safe_name(uploaded) == stored


def test_upload_is_stored_under_uploads_pending_with_its_name(
    planner_client, tmp_path, settings
):
    token = upload(planner_client, geojson_file(tmp_path))

    stored = settings.MEDIA_ROOT / "uploads-pending" / token / "mahalleler.geojson"
    assert stored.read_bytes() == (tmp_path / "mahalleler.geojson").read_bytes()


@pytest.mark.parametrize(
    "token",
    [
        "0" * 32,  # well-formed, but not this session's
        "..%2F..%2Fsettings",  # a path
        "ABC",  # not a token
    ],
)
def test_unknown_tokens_are_404(planner_client, token):
    assert planner_client.get(f"/planning/upload/{token}/fields/").status_code == 404


def test_another_planners_upload_is_not_reachable(planner_client, make_staff, tmp_path):
    token = upload(planner_client, geojson_file(tmp_path))
    other = Client()
    other.force_login(make_staff("planner", body="HBB", username="second-planner"))

    assert other.get(f"/planning/upload/{token}/fields/").status_code == 404
    assert other.get(f"/planning/upload/{token}/check/").status_code == 404
