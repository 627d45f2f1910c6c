"""Fixtures of the request page tests: staff of two districts, requests."""

import pytest

from geopool.models import Category
from geopool.services.intake import Intake, request_create

# Central Antakya (district 2080), far from every edge: COP goes to Antakya.
ANTAKYA = (36.1603, 36.2021)
CALLER = {"first_name": "Ayşe", "last_name": "Yılmaz", "phone": "05321234517"}

# Who the tests act as: (role, body).
PEOPLE = {
    "antakya": ("body_staff", "ANTAKYA"),
    "antakya_2": ("body_staff", "ANTAKYA"),
    "antakya_manager": ("body_manager", "ANTAKYA"),
    "antakya_crew": ("field_crew", "ANTAKYA"),
    "defne": ("body_staff", "DEFNE"),
    "defne_2": ("body_staff", "DEFNE"),
    "iskenderun": ("body_staff", "ISKENDERUN"),
    "coordinator": ("coordinator", "HBB"),
    "operator": ("operator", "HBB"),
    "planner": ("planner", "HBB"),
}


@pytest.fixture
def person(make_staff):
    """``person("defne")``: that staff user, made on first use."""
    made = {}

    def get(name):
        if name not in made:
            role, body = PEOPLE[name]
            made[name] = make_staff(role, body=body, username=name.replace("_", "-"))
        return made[name]

    return get


@pytest.fixture
def as_user(client, person):
    """``as_user("antakya")``: the test client, logged in as that person."""

    def login(name):
        client.force_login(person(name))
        return client

    return login


@pytest.fixture
def new_request(hatay):
    """``new_request()``: a COP request in central Antakya from a known caller."""

    def make(
        category="COP",
        point=ANTAKYA,
        contact=None,
        anonymous=False,
        description="Konteyner taştı",
        address="Kışla Mah. Atatürk Cad. No:5 Antakya/Hatay",
        requested_at=None,
    ):
        return request_create(
            Intake(
                category=Category.objects.get(code=category),
                channel="phone",
                lon=point[0] if point else None,
                lat=point[1] if point else None,
                location_source="given" if point else "",
                description=description,
                address_string=address,
                contact=CALLER if contact is None else contact,
                is_anonymous=anonymous,
                requested_at=requested_at,
            )
        ).request

    return make


def page_url(item, action=""):
    return f"/requests/{item.tracking_code}/{action + '/' if action else ''}"
