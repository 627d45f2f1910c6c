"""The demo users: the pool's roles and, per demo district, a whole team."""

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from geopool.models import Crew, StaffProfile
from tests.conftest import PACK

pytestmark = pytest.mark.django_db


def _run(monkeypatch):
    monkeypatch.setenv("GEOPOOL_DEMO_PASSWORD", "demo-parola")
    out = io.StringIO()
    call_command("ensure_demo_users", str(PACK), stdout=out)
    return out.getvalue().splitlines()


def test_demo_users_cover_every_role_and_two_district_teams(hatay, monkeypatch):
    lines = _run(monkeypatch)
    printed = {line.split()[0]: line.split()[2] for line in lines}
    assert printed == {
        "koordinator": "coordinator",
        "operator": "operator",
        "planlamaci": "planner",
        "yonetici": "administrator",
        "antakya": "body_staff",
        "antakya-mudur": "body_manager",
        "antakya-ekip": "field_crew",
        "defne": "body_staff",
        "defne-mudur": "body_manager",
        "defne-ekip": "field_crew",
    }
    assert (
        "antakya-ekip demo-parola field_crew (Antakya Belediyesi — Fen İşleri "
        "Müdürlüğü; field crew: /crew/)"
    ) in lines
    profile = StaffProfile.objects.get(user__username="defne-mudur")
    assert (profile.body.code, profile.department.code) == ("DEFNE", "DEFNE-FEN")
    crew = Crew.objects.get(body__code="ANTAKYA", name="Fen İşleri 1. Ekip")
    assert crew.department.code == "ANTAKYA-FEN"
    assert [u.username for u in crew.members.all()] == ["antakya-ekip"]
    assert authenticate(username="defne", password="demo-parola") is not None


def test_running_again_creates_nothing_new(hatay, monkeypatch):
    _run(monkeypatch)
    _run(monkeypatch)
    assert Crew.objects.filter(name="Fen İşleri 1. Ekip").count() == 2
    assert StaffProfile.objects.count() == 10


def test_a_pack_reload_that_deactivated_the_demo_teams_is_undone(hatay, monkeypatch):
    from geopool.models import Department

    _run(monkeypatch)
    call_command("load_jurisdiction", str(PACK), stdout=io.StringIO())
    assert not Department.objects.get(code="ANTAKYA-FEN").is_active

    _run(monkeypatch)

    assert Department.objects.get(code="ANTAKYA-FEN").is_active
    assert Department.objects.get(code="DEFNE-FEN").is_active
    assert Crew.objects.filter(name="Fen İşleri 1. Ekip", is_active=True).count() == 2
