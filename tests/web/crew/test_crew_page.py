"""The field crew's page: its list, its actions, conflicts and the place box."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from geopool.models import Body, Crew, Event, Photo, ServiceRequest, Status
from geopool.services.workflow import status_change
from tests.web.console.helpers import point_from
from tests.web.helpers import ANTAKYA, request_at


@pytest.fixture
def crew_setup(hatay, make_staff):
    """Antakya's crew "Kuzey" (member ``kuzey``), "Güney" (member ``guney``)."""
    antakya = Body.objects.get(code="ANTAKYA")
    kuzey = make_staff("field_crew", body="ANTAKYA", username="kuzey")
    guney = make_staff("field_crew", body="ANTAKYA", username="guney")
    north = Crew.objects.create(body=antakya, name="Kuzey ekibi")
    north.members.add(kuzey)
    south = Crew.objects.create(body=antakya, name="Güney ekibi")
    south.members.add(guney)
    near = request_at(
        "COP",
        **point_from(ANTAKYA, 60, 90),
        description='Konteyner <b>taştı</b> & "koku" var',
    )
    far = request_at("COP", **point_from(ANTAKYA, 450, 0))
    return {
        "kuzey": kuzey,
        "guney": guney,
        "north": north,
        "south": south,
        "near": near,
        "far": far,
    }


def _here(**params):
    return {"lon": str(ANTAKYA["lon"]), "lat": str(ANTAKYA["lat"]), **params}


def _list(client, **params):
    response = client.get("/crew/tickets", _here(**params))
    assert response.status_code == 200, response.content
    return response.json()["requests"]


def _act(client, item, action, **data):
    """POST an action as the page does: with the ticket's ``updated_at`` as
    last read (``seen``) unless given."""
    data.setdefault("seen", _fresh(item).updated_at.isoformat())
    return client.post(f"/crew/tickets/{item.tracking_code}/{action}", data)


def _fresh(item):
    return ServiceRequest.objects.select_related("assigned_crew").get(pk=item.pk)


def test_the_page_is_for_staff_who_work_requests(client, crew_setup, make_staff):
    client.force_login(crew_setup["kuzey"])
    page = client.get("/crew/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="crew-name">Kuzey ekibi<' in html
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "/static/geopool/crew.js" in html
    client.force_login(make_staff("planner", body="HBB"))
    assert client.get("/crew/").status_code == 403
    assert client.get("/crew/tickets", _here()).status_code == 403
    client.logout()
    assert client.get("/crew/").status_code == 302
    assert client.get("/crew/tickets", _here()).status_code == 401


def test_the_list_is_nearest_first_with_what_a_crew_works_from(client, crew_setup):
    client.force_login(crew_setup["kuzey"])
    found = _list(client)
    near, far = crew_setup["near"], crew_setup["far"]
    assert [(t["tracking_code"], t["distance_m"]) for t in found] == [
        (near.tracking_code, 60.0),
        (far.tracking_code, 450.0),
    ]
    first = found[0]
    # The citizen's text as typed: the page's script puts it in as text.
    assert first["description"] == 'Konteyner <b>taştı</b> & "koku" var'
    assert first["actions"] == ["take"]
    assert first["status_label"] == "Yeni"
    assert first["updated_at"] == near.updated_at.isoformat()
    lat, lon = f"{near.location.y:.6f}", f"{near.location.x:.6f}"
    assert first["directions"] == {
        "geo": f"geo:{lat},{lon}?q={lat},{lon}({near.tracking_code})",
        "maps": f"https://www.google.com/maps/dir/?api=1&destination={lat},{lon}",
    }
    assert [t["distance_m"] for t in _list(client, radius_m="100")] == [60.0]


def test_take_start_and_resolve_with_a_note_and_a_photo(client, crew_setup):
    near = crew_setup["near"]
    client.force_login(crew_setup["kuzey"])

    taken = _act(client, near, "take", seen=near.updated_at.isoformat())
    assert taken.status_code == 200, taken.content
    ticket = taken.json()["ticket"]
    assert (ticket["status"], ticket["crew"], ticket["mine"]) == (
        "assigned",
        "Kuzey ekibi",
        True,
    )
    assert ticket["actions"] == ["start"]
    assert _fresh(near).assigned_crew.name == "Kuzey ekibi"

    started = _act(client, near, "start", seen=ticket["updated_at"])
    assert started.status_code == 200, started.content
    ticket = started.json()["ticket"]
    assert ticket["status"] == "in_progress"
    assert ticket["actions"] == ["resolve"]

    no_answer = _act(client, near, "resolve", seen=ticket["updated_at"])
    assert no_answer.status_code == 400
    assert no_answer.json()["field"] == "answer"
    assert no_answer.json()["error"].startswith(
        "Çözmek veya reddetmek için vatandaşa bir yanıt gerekir"
    )
    assert _fresh(near).status == Status.IN_PROGRESS

    photo = io.BytesIO()
    Image.new("RGB", (30, 20), (10, 120, 10)).save(photo, format="JPEG")
    resolved = client.post(
        f"/crew/tickets/{near.tracking_code}/resolve",
        {
            "seen": ticket["updated_at"],
            "answer": "Konteyner boşaltıldı, çevresi yıkandı.",
            "note": "İki torba moloz da alındı",
            "photo": SimpleUploadedFile("is.jpg", photo.getvalue(), "image/jpeg"),
        },
    )
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["ticket"]["status"] == "resolved"
    assert resolved.json()["ticket"]["actions"] == []
    item = _fresh(near)
    assert item.status == Status.RESOLVED
    assert item.answers.get().text == "Konteyner boşaltıldı, çevresi yıkandı."
    assert item.notes.get().text == "İki torba moloz da alındı"
    assert Photo.objects.get(request=item).width == 30
    actions = list(
        Event.objects.filter(object_id=str(item.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-6:] == [
        "request.assign",
        "request.status",
        "request.answer",
        "request.note",
        "request.status",
        "request.photo",
    ]
    # A resolved ticket leaves the list.
    assert [t["tracking_code"] for t in _list(client)] == [
        crew_setup["far"].tracking_code
    ]


def test_a_bad_photo_changes_nothing(client, crew_setup):
    near = crew_setup["near"]
    client.force_login(crew_setup["kuzey"])
    _act(client, near, "take")
    _act(client, near, "start")
    response = client.post(
        f"/crew/tickets/{near.tracking_code}/resolve",
        {
            "seen": _fresh(near).updated_at.isoformat(),
            "answer": "Tamam",
            "photo": SimpleUploadedFile("x.jpg", b"not a photo", "image/jpeg"),
        },
    )
    assert response.status_code == 400
    assert response.json()["field"] == "photo"
    item = _fresh(near)
    assert item.status == Status.IN_PROGRESS
    assert not item.answers.exists()


def test_a_ticket_changed_meanwhile_is_a_conflict_and_nothing_is_done(
    client, crew_setup
):
    near = crew_setup["near"]
    seen = near.updated_at.isoformat()
    # Someone at the office accepts it after the crew read the list.
    office = ServiceRequest.objects.get(pk=near.pk)
    status_change(office, Status.ACCEPTED, actor=crew_setup["kuzey"])
    client.force_login(crew_setup["kuzey"])
    response = _act(client, near, "take", seen=seen)
    assert response.status_code == 409
    body = response.json()
    assert body["conflict"] is True
    assert body["error"] == (
        f"{near.tracking_code} siz okuduktan sonra değişti (şimdi “Kabul edildi”); "
        "hiçbir şey yapılmadı. Yeniden bakın ve hâlâ gerekeni tekrarlayın."
    )
    assert body["ticket"]["status"] == "accepted"
    assert _fresh(near).assigned_crew is None


def test_a_ticket_another_crew_took_cannot_be_taken_or_worked(client, crew_setup):
    near = crew_setup["near"]
    client.force_login(crew_setup["guney"])
    assert _act(client, near, "take").status_code == 200
    client.force_login(crew_setup["kuzey"])
    response = _act(client, near, "take")
    assert response.status_code == 409
    assert response.json()["error"] == (
        f"{near.tracking_code} zaten Güney ekibi tarafından alındı."
    )
    started = _act(client, near, "start")
    assert started.status_code == 409
    assert started.json()["error"] == (
        f"{near.tracking_code} sizin ekibinizin işi değil; önce onu alın."
    )
    assert _fresh(near).status == Status.ASSIGNED
    # Nor is it in Kuzey's list any more.
    assert near.tracking_code not in [t["tracking_code"] for t in _list(client)]


def test_another_bodys_staff_never_see_or_work_the_ticket(
    client, crew_setup, make_staff
):
    near = crew_setup["near"]
    client.force_login(make_staff("field_crew", body="DEFNE"))
    assert _list(client) == []
    response = _act(client, near, "take")
    assert response.status_code == 404
    assert _fresh(near).assigned_crew is None


def test_bad_parameters_and_actions_are_named(client, crew_setup):
    client.force_login(crew_setup["kuzey"])
    response = client.get("/crew/tickets", _here(radius_m="-5"))
    assert response.status_code == 400
    assert response.json()["field"] == "radius_m"
    response = _act(client, crew_setup["near"], "close")
    assert response.status_code == 404
    assert response.json()["error"] == (
        "Bilinmeyen işlem “close”; şunlardan biri olmalı: take, start, resolve."
    )
    response = _act(client, crew_setup["near"], "take", seen="dün")
    assert response.status_code == 400
    assert response.json()["field"] == "seen"
    assert "dün" in response.json()["error"]
    # Without the time it was read, a ticket changed meanwhile would be
    # overwritten: refused.
    response = client.post(f"/crew/tickets/{crew_setup['near'].tracking_code}/take")
    assert response.status_code == 400
    assert response.json() == {
        "error": "seen gerekli: bir arada yapılan değişikliğin üzerine "
        "yazılmaması için işin listelenen updated_at değerini gönderin.",
        "field": "seen",
    }
    assert _fresh(crew_setup["near"]).assigned_crew is None


def test_a_note_or_answer_over_the_limit_is_refused_and_nothing_is_done(
    client, crew_setup
):
    near = crew_setup["near"]
    client.force_login(crew_setup["kuzey"])
    _act(client, near, "take")
    _act(client, near, "start")
    response = _act(client, near, "resolve", answer="x" * 5001)
    assert response.status_code == 400
    assert response.json() == {
        "error": "Vatandaşa yanıt: 5001 karakter; en fazla 5000 karakter yazın.",
        "field": "answer",
    }
    response = _act(client, near, "start", note="x" * 2_000_000)
    assert response.status_code == 400
    assert response.json()["field"] == "note"
    item = _fresh(near)
    assert item.status == Status.IN_PROGRESS
    assert not item.answers.exists() and not item.notes.exists()
    assert _act(client, near, "resolve", answer="x" * 5000).status_code == 200


def test_a_place_name_gives_a_point_inside_it(client, crew_setup):
    client.force_login(crew_setup["kuzey"])
    response = client.get("/crew/place", {"q": "kirikhan"})
    assert response.status_code == 200
    places = response.json()["places"]
    assert [p["label"] for p in places] == ["Kırıkhan"]
    assert places[0]["approximate"] is True
    covering = client.get(
        "/api/layers/districts/covering",
        {"lon": places[0]["lon"], "lat": places[0]["lat"]},
    ).json()
    assert [f["name"] for f in covering["features"]] == ["Kırıkhan"]
    assert client.get("/crew/place", {"q": ""}).status_code == 400
    assert client.get("/crew/place", {"q": "Ankara"}).json()["places"] == []


def test_the_service_worker_is_served_under_the_crew_scope(client, hatay):
    response = client.get("/crew/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert b"geopool-crew-v1" in response.content


CSRF_REFUSED_TR = (
    "Sayfanın güvenlik denetimi başarısız oldu (anahtarı eksik ya da süresi "
    "dolmuş; ör. yeniden oturum açıldıktan sonra); sayfayı yenileyip yeniden "
    "gönderin."
)


def test_an_action_without_its_csrf_token_is_refused_in_json(crew_setup):
    client = Client(enforce_csrf_checks=True)
    client.force_login(crew_setup["kuzey"])
    near = crew_setup["near"]

    response = _act(client, near, "take")

    assert response.status_code == 403
    assert response.json() == {"error": CSRF_REFUSED_TR}
    assert _fresh(near).assigned_crew is None


def test_other_pages_keep_the_csrf_page(crew_setup):
    client = Client(enforce_csrf_checks=True)
    client.force_login(crew_setup["kuzey"])

    response = client.post("/logout/")

    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
