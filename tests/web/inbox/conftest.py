"""Fixtures of the inbox tests: staff of Antakya, Defne and the pool."""

import datetime as dt

import pytest

from geopool.models import Category
from geopool.services.intake import Intake, request_create
from geopool.worktime import ISTANBUL
from tests.web.helpers import ANTAKYA, point_inside

CONTACT = {
    "first_name": "Ayşe",
    "last_name": "Yılmaz",
    "phone": "05321234517",
    "email": "ayse.yilmaz@example.com",
    "tc_kimlik_no": "12345678901",
}


def local(*args):
    return dt.datetime(*args, tzinfo=ISTANBUL)


def make_request(
    category="COP",
    point=None,
    *,
    at=None,
    address="",
    description="Konteyner taştı",
    contact=None,
):
    """Create and route one phone request (in central Antakya by default)."""
    point = point or ANTAKYA
    return request_create(
        Intake(
            category=Category.objects.get(code=category),
            channel="phone",
            lon=point["lon"],
            lat=point["lat"],
            location_source="given",
            description=description,
            address_string=address,
            requested_at=at,
            contact=contact or {},
        )
    ).request


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Staff users are made per test; a fast hasher keeps that cheap."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff(make_staff):
    return {
        "antakya": make_staff("body_staff", body="ANTAKYA"),
        "manager": make_staff("body_manager", body="ANTAKYA"),
        "defne": make_staff("body_staff", body="DEFNE"),
        "coordinator": make_staff("coordinator", body="HBB"),
        "operator": make_staff("operator", body="HBB"),
    }


@pytest.fixture
def defne(hatay):
    """A point well inside Defne."""
    return point_inside("Defne")
