"""API keys for Open311: who may post requests.

Reading is public, as in the spec; posting needs the ``api_key`` form field
(or query parameter) of an active ``ApiKey``. The key, not a user, is the
caller: DRF's ``request.auth`` holds it and ``request.user`` stays None.
There are no sessions and no cookies, so there is no CSRF check either.

Open311 has no 401: a missing, unknown or revoked key is a 403 whose
description says which.
"""

import logging

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import SAFE_METHODS, BasePermission

from geopool.models import ApiKey
from geopool.models.apikeys import KEY_PREFIX_LENGTH
from geopool.open311.errors import InvalidInput
from geopool.open311.messages import API_KEY_INVALID, API_KEY_MISSING

logger = logging.getLogger(__name__)

API_KEY_FIELD = "api_key"


def _plaintext(request):
    """The key sent (form field or query parameter); one only.

    A key given twice is refused, never read as one of them: a client
    that sends a revoked key and a valid one must not pass by their order.
    """
    values = [
        value
        for source in (request.data, request.query_params)
        for value in (
            source.getlist(API_KEY_FIELD)
            if hasattr(source, "getlist")
            else [source.get(API_KEY_FIELD)]
        )
        if value
    ]
    if len(values) > 1:
        raise InvalidInput(
            [f"{API_KEY_FIELD} is given {len(values)} times; give it once"]
        )
    value = values[0] if values else ""
    return value.strip() if isinstance(value, str) else ""


def _prefix(plaintext):
    """The public prefix of a ``gp_<prefix>_<secret>`` key, or "?"."""
    parts = plaintext.split("_", 2)
    if len(parts) == 3 and parts[0] == "gp":
        return parts[1][:KEY_PREFIX_LENGTH]
    return "?"


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        # A GET may carry a key out of habit; reads are public, so it is
        # not checked there (a revoked key must not break a public read).
        if request.method in SAFE_METHODS:
            return None
        plaintext = _plaintext(request)
        if not plaintext:
            return None
        # Keys are printable ASCII; anything else (a NUL byte) is refused
        # before it reaches the database.
        usable = plaintext.isascii() and plaintext.isprintable()
        key = ApiKey.authenticate(plaintext) if usable else None
        if key is None:
            # Only the prefix part is logged; the secret never is.
            logger.warning(
                "open311: refused api_key with prefix %s", _prefix(plaintext)
            )
            raise AuthenticationFailed(API_KEY_INVALID)
        key.touch()
        return (None, key)


class ApiKeyRequired(BasePermission):
    """Unsafe methods need an authenticated key."""

    message = API_KEY_MISSING

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or request.auth is not None
