"""Every error as Open311's error list: ``[{"code": 400, "description": ...}]``.

``exception_handler`` is DRF's ``EXCEPTION_HANDLER`` (see settings). It is the
one place where exceptions become HTTP answers: DRF's own (validation, 403,
404, 405, 415 ...), Django's ``Http404`` / ``PermissionDenied``, the
``ParameterError`` of ``geopool.api.params`` and geopool's ``GeopoolError``.
A ``GeopoolError`` with ``fields`` (e.g. ``OutsideServiceArea``) is the
client's fault, a 400; one without is missing configuration, a 503. Anything
else is a bug and is left to Django (a logged 500), so it is never hidden.

The ``code`` of each error is the HTTP status, as in the spec's examples.
Each description names the field it is about.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from geopool.api.params import ParameterError
from geopool.errors import GeopoolError
from geopool.open311.messages import NOT_CONFIGURED, UNSUPPORTED_MEDIA

logger = logging.getLogger(__name__)

# DRF's key for errors that belong to no single field.
NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


class InvalidInput(exceptions.APIException):
    """Bad parameters (400); ``problems`` lists descriptions naming the field."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class ExternalIdReused(exceptions.APIException):
    """A post reuses an ``external_id`` for a different report: a 409."""

    status_code = status.HTTP_409_CONFLICT


class NotConfigured(exceptions.APIException):
    """The deployment lacks data it needs (e.g. no pack loaded): a 503."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE


def named(fields, message):
    """``message`` prefixed with its field names unless it already names them.

    geopool's messages start with the field (``lat='36,2' uses ...``) or
    quote it (``the point lat=..., long=...``); DRF's generic ones
    ("Enter a valid email address.") do not.
    """
    message = str(message)
    fields = [f for f in fields if f and f != NON_FIELD]
    if all(message.startswith(f) or f"{f}=" in message for f in fields):
        return message
    return f"{', '.join(fields)}: {message}"


def _flatten(detail, field=None):
    """Descriptions of a DRF ValidationError's (nested) detail."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            yield from _flatten(value, key if field is None else f"{field}.{key}")
    elif isinstance(detail, list | tuple):
        for item in detail:
            yield from _flatten(item, field)
    else:
        yield named([field], detail) if field else str(detail)


def _describe(exc, request=None):
    """``(status, descriptions, headers)`` for ``exc``, or None if it is a bug."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)

    if isinstance(exc, InvalidInput):
        return exc.status_code, exc.problems, {}
    if isinstance(exc, ParameterError):
        return status.HTTP_400_BAD_REQUEST, [named([exc.field], exc)], {}
    if isinstance(exc, GeopoolError):
        fields = getattr(exc, "fields", ())
        if fields:
            return status.HTTP_400_BAD_REQUEST, [named(fields, exc)], {}
        # Not the client's fault: the pack, layers or rules are missing.
        logger.error("open311 refused a request, pool not configured: %s", exc)
        return (
            status.HTTP_503_SERVICE_UNAVAILABLE,
            [NOT_CONFIGURED.format(reason=exc)],
            {},
        )
    if isinstance(exc, exceptions.ValidationError):
        return exc.status_code, list(_flatten(exc.detail)), {}
    if isinstance(exc, exceptions.UnsupportedMediaType):
        media_type = getattr(request, "content_type", "") or "of no type"
        return exc.status_code, [UNSUPPORTED_MEDIA.format(media_type=media_type)], {}
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = f"{exc.wait:.0f}"
        return exc.status_code, list(_flatten(exc.detail)), headers
    return None


def error_list(status_code, descriptions):
    """The spec's error document."""
    return [{"code": status_code, "description": str(d)} for d in descriptions]


def exception_handler(exc, context):
    request = context.get("request")
    described = _describe(exc, request)
    if described is None:
        return None
    status_code, descriptions, headers = described
    # The descriptions quote what was sent (a caller's phone number, an
    # address): the log says only how many there were.
    logger.info(
        "open311 %s %s → %s (%d errors)",
        getattr(request, "method", "?"),
        getattr(request, "path", "?"),
        status_code,
        len(descriptions),
    )
    # Like DRF's own handler: a failed request leaves nothing half-written.
    set_rollback()
    return Response(
        error_list(status_code, descriptions), status=status_code, headers=headers
    )
