"""Issuing and revoking API keys from the command line."""

import io

import pytest
from django.core.management import CommandError, call_command

from geopool.models import ApiKey

pytestmark = pytest.mark.django_db


def _issue():
    out = io.StringIO()
    call_command("create_api_key", "HATSU çağrı sistemi", "--body", "HATSU", stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def test_key_is_the_last_line_and_works_until_revoked(hatay):
    key = _issue()
    assert ApiKey.authenticate(key).body.code == "HATSU"
    call_command("revoke_api_key", key, stdout=io.StringIO())
    assert ApiKey.authenticate(key) is None


def test_revoke_takes_the_prefix_too_and_says_when_already_revoked(hatay):
    key = _issue()
    prefix = key.split("_")[1]
    call_command("revoke_api_key", prefix, stdout=io.StringIO())
    out = io.StringIO()
    call_command("revoke_api_key", prefix, stdout=out)
    assert f"key {prefix} was already revoked at" in out.getvalue()


def test_unknown_body_and_unknown_key_are_clear(hatay):
    with pytest.raises(CommandError, match="no active body 'HATSUU'; known codes"):
        call_command("create_api_key", "x", "--body", "HATSUU")
    with pytest.raises(CommandError, match="no API key with prefix 'deadbeef'"):
        call_command("revoke_api_key", "gp_deadbeef_secret")
