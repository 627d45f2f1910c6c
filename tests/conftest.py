"""Shared fixtures.

The real Hatay data (jurisdiction pack + district boundaries from
``GEOPOOL_DATA_DIR``) is loaded once into the test database and is there for
every test. Tests that need it and find the data files missing *fail*, they
never skip. Tests that flush the database (live-server browser tests) run
last, and the ``hatay`` fixture reloads the data if a flush removed it.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

PACK = Path(settings.BASE_DIR) / "packs" / "hatay"
DISTRICTS_FILE = "hatay/hatay_districts_osm.geojson"


def data_file(relative):
    """Path of a real data file; fail the test when it is missing."""
    path = Path(settings.GEOPOOL_DATA_DIR) / relative
    if not path.is_file():
        pytest.fail(
            f"real data file {path} is missing; set GEOPOOL_DATA_DIR to the "
            "shared data folder",
            pytrace=False,
        )
    return path


def _load_hatay():
    from boundaries.services.pack_layers import pack_layers_load
    from geopool.packs import load_jurisdiction, read_pack
    from geopool.roles import roles_ensure

    data_file(DISTRICTS_FILE)
    # The role groups come from a migration; a live-server test's flush
    # removes them with everything else.
    roles_ensure()
    pack = read_pack(PACK)
    load_jurisdiction(pack)
    for _code, _outcome in pack_layers_load(pack, commit=True):
        pass
    from geocoding.gazetteer import gazetteer_load

    gazetteer_load(pack)


@pytest.fixture(autouse=True)
def _fresh_routing_cache():
    """Tests add features to generations by hand: read layers afresh each test."""
    from routing_rules.context import live_context_clear
    from routing_rules.layers import cache_clear

    cache_clear()
    live_context_clear()
    yield


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files kept by geopool go to a per-test folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        _load_hatay()


@pytest.fixture(scope="module")
def hatay_restored(django_db_blocker):
    """After a module's last test, put back the data the session loaded.

    For modules whose tests commit (``transaction=True``): the database is
    flushed after each of them, and the ``hatay`` fixture reloads the data
    for the next; this leaves it for the modules that follow.
    """
    yield
    with django_db_blocker.unblock():
        _load_hatay()


@pytest.fixture
def hatay(db):
    """The Hatay pack and real districts, loaded (reloaded after a flush)."""
    from geopool.models import Jurisdiction

    if not Jurisdiction.objects.filter(code="hatay").exists():
        _load_hatay()
    return Jurisdiction.objects.get(code="hatay")


@pytest.fixture
def api_key(hatay):
    """A fresh API key of HBB's; returns the plaintext."""
    from geopool.models import ApiKey, Body

    _, plaintext = ApiKey.issue("test client", Body.objects.get(code="HBB"))
    return plaintext


@pytest.fixture
def make_staff(hatay):
    """Factory: ``make_staff("operator", body="HBB")`` returns a logged-in-able user."""
    from geopool.models import Body, StaffProfile

    def make(role="body_staff", body="HBB", username=None, password="pw-test-123"):
        username = username or f"{role}-{body}".lower()
        user = get_user_model().objects.create_user(username, password=password)
        user.groups.add(Group.objects.get(name=role))
        StaffProfile.objects.create(user=user, body=Body.objects.get(code=body))
        user.raw_password = password
        return user

    return make


def pytest_collection_modifyitems(items):
    """Run browser (live-server, database-flushing) tests last."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
