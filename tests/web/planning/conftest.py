"""Fixtures of the planning tests: a logged-in planner."""

import pytest


@pytest.fixture
def planner(make_staff):
    return make_staff("planner", body="HBB")


@pytest.fixture
def planner_client(client, planner):
    client.force_login(planner)
    return client
