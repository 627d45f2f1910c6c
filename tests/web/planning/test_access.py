"""Who may open the planners' pages: planners and superusers only."""

import pytest
from django.contrib.auth import get_user_model

from boundaries.models import Generation

pytestmark = pytest.mark.django_db

PAGES = ["/planning/layers/", "/planning/upload/"]


def _generation_page():
    generation = Generation.objects.get(layer__code="districts", number=1)
    return f"/planning/generations/{generation.pk}/"


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitor_is_sent_to_log_in_and_back(client, hatay, page):
    response = client.get(page)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={page}"


@pytest.mark.parametrize("role", ["body_staff", "operator", "coordinator"])
def test_other_staff_get_403_saying_what_the_pages_are_for(client, make_staff, role):
    client.force_login(make_staff(role, body="ANTAKYA"))

    for page in [*PAGES, _generation_page()]:
        response = client.get(page)
        assert response.status_code == 403
        assert "planlamacılar içindir" in response.text


def test_other_staff_cannot_change_generations(client, make_staff):
    client.force_login(make_staff("body_staff", body="ANTAKYA"))
    generation = Generation.objects.get(layer__code="districts", number=1)

    assert client.post("/planning/layers/districts/rollback/").status_code == 403
    assert (
        client.post(f"/planning/generations/{generation.pk}/discard/").status_code
        == 403
    )


def test_planner_opens_every_page(planner_client):
    for page in [*PAGES, _generation_page()]:
        assert planner_client.get(page).status_code == 200, page


def test_superuser_without_the_role_opens_the_pages(client, hatay):
    client.force_login(get_user_model().objects.create_superuser("root"))

    assert client.get("/planning/layers/").status_code == 200


@pytest.mark.parametrize("role", ["body_staff", "operator", "coordinator"])
def test_planning_root_answers_other_staff_403_without_a_redirect(
    client, make_staff, role
):
    client.force_login(make_staff(role, body="ANTAKYA"))

    response = client.get("/planning/")

    assert response.status_code == 403
    assert "planlamacılar içindir" in response.text


def test_planning_root_sends_an_anonymous_visitor_to_log_in(client, hatay):
    response = client.get("/planning/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/planning/"


def test_planning_root_redirects_to_the_layer_list(planner_client):
    response = planner_client.get("/planning/")

    assert response.status_code == 302
    assert response["Location"] == "/planning/layers/"
