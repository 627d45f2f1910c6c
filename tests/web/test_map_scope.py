"""Who sees which requests on the staff map (and every list of requests)."""

import pytest

from geopool.visibility import requests_visible_to
from routing_rules.decide import decide
from routing_rules.services.decision_store import decision_record
from tests.web.helpers import request_at

pytestmark = pytest.mark.django_db
ANTAKYA = (36.1603, 36.2021)
ISKENDERUN = (36.1710354, 36.5902266)


@pytest.fixture
def requests(hatay):
    return {
        "antakya_cop": request_at("COP", *ANTAKYA),
        "antakya_su": request_at("SU", *ANTAKYA),
        "iskenderun_cop": request_at("COP", *ISKENDERUN),
    }


def _codes(user):
    return set(requests_visible_to(user).values_list("tracking_code", flat=True))


def test_district_staff_see_their_own_requests_only(requests, make_staff):
    staff = make_staff("body_staff", body="ANTAKYA")
    assert _codes(staff) == {requests["antakya_cop"].tracking_code}


def test_requests_a_body_owned_before_stay_visible_to_it(requests, make_staff):
    staff = make_staff("body_staff", body="ANTAKYA")
    moved = requests["antakya_cop"]
    decision_record(moved, decide(ANTAKYA, "SU"))  # now HATSU's
    assert moved.tracking_code in _codes(staff)


@pytest.mark.parametrize("role", ["coordinator", "operator", "planner"])
def test_pool_wide_roles_see_every_request(requests, make_staff, role):
    user = make_staff(role, body="HBB")
    assert _codes(user) == {r.tracking_code for r in requests.values()}
