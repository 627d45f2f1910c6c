"""Log-in, log-out and who may open staff pages."""

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


def test_root_redirects_to_the_map(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/map/"


def test_anonymous_visitor_is_sent_to_log_in_and_back(client):
    response = client.get("/map/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/map/"


def test_login_page_is_turkish(client):
    response = client.get("/login/?next=/map/")

    assert response.status_code == 200
    assert response.headers["Content-Language"] == "tr"
    for text in ("Talep havuzuna giriş", "Kullanıcı adı", "Parola", "Giriş yap"):
        assert text in response.text


def test_staff_member_logs_in_and_lands_on_the_map(client, make_staff):
    staff = make_staff("operator", body="HBB")

    response = client.post(
        "/login/",
        {"username": staff.username, "password": staff.raw_password, "next": "/map/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/map/"
    assert client.get("/map/").status_code == 200


@pytest.mark.parametrize(
    ("role", "start"),
    [
        ("field_crew", "/crew/"),
        ("operator", "/console/"),
        ("planner", "/planning/layers/"),
        ("body_staff", "/inbox/"),
        ("body_manager", "/inbox/"),
        ("coordinator", "/triage/"),
        ("administrator", "/admin/"),
    ],
)
def test_without_next_each_role_lands_on_its_start_page(
    client, make_staff, role, start
):
    staff = make_staff(role, body="ANTAKYA")

    response = client.post(
        "/login/", {"username": staff.username, "password": staff.raw_password}
    )

    assert response.status_code == 302
    assert response["Location"] == start


def test_a_safe_next_wins_over_the_start_page(client, make_staff):
    staff = make_staff("field_crew", body="ANTAKYA")

    response = client.post(
        "/login/",
        {"username": staff.username, "password": staff.raw_password, "next": "/map/"},
    )

    assert response["Location"] == "/map/"


def test_an_unsafe_next_is_ignored_for_the_start_page(client, make_staff):
    staff = make_staff("planner", body="HBB")

    response = client.post(
        "/login/?next=https://elsewhere.example/",
        {"username": staff.username, "password": staff.raw_password},
    )

    assert response["Location"] == "/planning/layers/"


def test_a_superuser_without_a_role_lands_on_the_map(client, hatay):
    get_user_model().objects.create_superuser("root", password="pw-test-1")

    response = client.post("/login/", {"username": "root", "password": "pw-test-1"})

    assert response["Location"] == "/map/"


def test_a_logged_in_user_opening_log_in_goes_to_the_start_page(client, make_staff):
    client.force_login(make_staff("operator", body="HBB"))

    response = client.get("/login/")

    assert response.status_code == 302
    assert response["Location"] == "/console/"


@pytest.mark.parametrize("back", ["/login/", "/login/?next=/login/"])
def test_a_next_leading_back_to_log_in_goes_to_the_start_page(client, make_staff, back):
    """A stale link to the log-in page itself is no loop (and no 500)."""
    staff = make_staff("operator", body="HBB")
    client.force_login(staff)
    response = client.get("/login/", {"next": back})
    assert (response.status_code, response["Location"]) == (302, "/console/")

    client.logout()
    response = client.post(
        "/login/",
        {"username": staff.username, "password": staff.raw_password, "next": back},
    )
    assert (response.status_code, response["Location"]) == (302, "/console/")


def test_wrong_password_shows_a_turkish_error(client, make_staff):
    staff = make_staff("operator", body="HBB")

    response = client.post(
        "/login/", {"username": staff.username, "password": "not-the-password"}
    )

    assert response.status_code == 200
    assert "doğru kullanıcı adı ve parola" in response.text


def test_logged_in_user_without_staff_profile_gets_403(client, hatay):
    user = get_user_model().objects.create_user("citizen", password="pw-test-123")
    client.force_login(user)

    response = client.get("/map/")

    assert response.status_code == 403
    assert "Erişim yok" in response.text


def test_superuser_without_staff_profile_may_open_the_map(client, hatay):
    admin = get_user_model().objects.create_superuser("root", password="pw-test-1")
    client.force_login(admin)

    assert client.get("/map/").status_code == 200


def test_nav_shows_the_users_body_and_admin_only_for_admin_staff(client, make_staff):
    client.force_login(make_staff("body_staff", body="ANTAKYA"))

    page = client.get("/map/").text

    assert "Antakya Belediyesi" in page
    assert "Çıkış" in page
    assert "Yönetim" not in page


def test_admin_link_is_shown_to_users_who_may_enter_the_admin(client, hatay):
    client.force_login(get_user_model().objects.create_superuser("root"))

    assert "Yönetim" in client.get("/map/").text


def test_logout_needs_post_and_returns_to_log_in(client, make_staff):
    client.force_login(make_staff("operator", body="HBB"))

    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert client.get("/map/").status_code == 302
