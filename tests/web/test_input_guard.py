"""Control characters are refused before any view runs, naming the field."""

from django.test import Client

from geopool.models import ServiceRequest


def test_a_page_refuses_a_nul_in_its_address_in_turkish(make_staff):
    client = Client()
    client.force_login(make_staff("coordinator"))
    response = client.get("/requests/%00/")
    assert response.status_code == 400
    page = response.content.decode()
    assert '<html lang="tr">' in page
    assert (
        "adres (URL), metinde bulunamayacak bir denetim karakteri (U+0000) "
        "içeriyor; düz metin olarak yeniden gönderin."
    ) in page


def test_json_endpoints_answer_json_naming_the_field(make_staff):
    client = Client()
    client.force_login(make_staff("coordinator"))
    response = client.get("/map/data/view/", {"status": "new\x1b[31m"})
    assert response.status_code == 400
    assert response.json() == {
        "error": "status, metinde bulunamayacak bir denetim karakteri (U+001B) "
        "içeriyor; düz metin olarak yeniden gönderin.",
        "field": "status",
    }


def test_the_consoles_nearby_lookup_answers_json_too(make_staff):
    client = Client()
    client.force_login(make_staff("operator"))
    response = client.get("/console/nearby", {"lon": "36.16\x00", "lat": "36.2"})
    assert response.status_code == 400
    assert response.json()["field"] == "lon"


def test_the_api_answers_in_english(api_key):
    response = Client().get(
        "/api/route",
        {"lon": "36.16", "lat": "36.2", "category": "CO\x00P"},
        headers={"Authorization": f"Bearer {api_key}"},
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "category contains the control character U+0000, which text "
        "cannot hold; send it again as plain text.",
        "field": "category",
    }


def test_a_form_post_with_a_control_character_changes_nothing(make_staff):
    before = ServiceRequest.objects.count()
    client = Client()
    client.force_login(make_staff("operator"))
    response = client.post(
        "/needs-location/", {"tracking_code": "ABC-DEFG\x07", "lat": "36.2"}
    )
    assert response.status_code == 400
    assert "tracking_code, metinde" in response.content.decode()
    assert ServiceRequest.objects.count() == before


def test_tabs_and_line_breaks_are_text(make_staff):
    client = Client()
    client.force_login(make_staff("coordinator"))
    response = client.get("/inbox/search", {"q": "Ürgen\tCad.\r\n"})
    assert response.status_code == 200


def test_a_missing_page_is_explained_in_turkish(make_staff):
    client = Client()
    client.force_login(make_staff("body_staff", body="DEFNE"))
    response = client.get("/requests/ZZZ-ZZZZ/")
    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="tr">' in page
    assert "Böyle bir sayfa yok ya da görebileceğiniz bir sayfa değil." in page
