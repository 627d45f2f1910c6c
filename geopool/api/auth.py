"""Who may call the staff API: a staff member's session, or an API key.

Staff endpoints (``/api/route``, and those that follow it) answer a caller
that is either logged in as staff (the web pages call them) or presents an
active API key, as ``Authorization: Bearer gp_…``, an ``X-Api-Key`` header
or an ``api_key`` query parameter (for quick tests; headers keep keys out
of server logs). A missing key is a 401, a wrong or revoked one a 403; both
say which, in JSON.
"""

import logging
from functools import wraps

from django.http import JsonResponse

from geopool.models import ApiKey
from geopool.web.access import is_staff_member

logger = logging.getLogger(__name__)


def presented_key(request):
    """The API key text the caller sent (``""`` if none)."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return (
        request.headers.get("X-Api-Key") or request.GET.get("api_key") or ""
    ).strip()


def json_error(status, message, field=None):
    body = {"error": message}
    if field:
        body["field"] = field
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def parsed_key(request):
    """``(prefix, secret)`` of the key sent, if it has a key's form, or None."""
    plaintext = presented_key(request)
    if plaintext and plaintext.isascii() and plaintext.isprintable():
        return ApiKey.parse(plaintext)
    return None


def key_refused(request):
    """The answer to an unknown, revoked or wrong key (403)."""
    logger.warning("api: refused a key at %s", request.path)
    return json_error(
        403,
        "the API key is unknown or revoked; ask the pool coordinator for a new one",
    )


def staff_or_key(view):
    """Decorate an API view: staff session or active API key, else 401/403.

    The view finds ``request.api_key`` (None for a session caller).
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        request.api_key = None
        plaintext = presented_key(request)
        if plaintext:
            usable = plaintext.isascii() and plaintext.isprintable()
            key = ApiKey.authenticate(plaintext) if usable else None
            if key is None:
                return key_refused(request)
            key.touch()
            request.api_key = key
        elif not is_staff_member(request.user):
            return json_error(
                401,
                "an API key is required: send it as 'Authorization: Bearer KEY' "
                "(or log in as staff)",
            )
        return view(request, *args, **kwargs)

    return wrapped
