"""The Open311 GeoReport v2 endpoints (see the package docstring for the API).

All views share ``Open311View``: JSON and XML renderers picked by the URL
suffix, form parsers, no sessions (so no CSRF), the error list for every
failure. Views only translate HTTP; requests are created by
``geopool.services.intake.request_create`` and routed by ``decide``.
"""

import logging

from django.utils import translation
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from geopool.api.params import shorten
from geopool.models import Category, Event, LocationSource, ServiceRequest
from geopool.open311.auth import ApiKeyAuthentication, ApiKeyRequired
from geopool.open311.discovery import discovery_document
from geopool.open311.errors import ExternalIdReused, InvalidInput
from geopool.open311.messages import (
    ENDPOINT_NOT_FOUND,
    MEDIA_NOT_FILE,
    METHOD_NOT_ALLOWED,
    REQUEST_NOT_FOUND,
)
from geopool.open311.negotiation import SuffixNegotiation
from geopool.open311.paging import Open311Paging
from geopool.open311.query import request_query, requests_matching
from geopool.open311.renderers import Open311JSONRenderer, Open311XMLRenderer
from geopool.open311.serializers import (
    REQUEST_RELATED,
    CreatedRequestSerializer,
    ServiceRequestSerializer,
    ServiceSerializer,
    with_public_extras,
)
from geopool.open311.submission import RequestSubmission
from geopool.services.events import event_record
from geopool.services.intake import request_create
from geopool.services.photos import photo_store
from geopool.tracking import tracking_code_normalize

logger = logging.getLogger(__name__)


class Open311View(APIView):
    renderer_classes = [Open311JSONRenderer, Open311XMLRenderer]
    content_negotiation_class = SuffixNegotiation
    parser_classes = [FormParser, MultiPartParser]
    # Set here, not only in settings: a session authenticator would bring
    # CSRF checks that machine clients cannot pass.
    authentication_classes = []
    permission_classes = []
    # No OPTIONS self-description: it is not part of the spec.
    metadata_class = None
    xml_root_tag = "root"
    xml_item_tag = "item"

    def initial(self, request, *args, **kwargs):
        # A wrong method is a 405 whatever the key says; DRF would check
        # the key first and answer a keyless PUT with 403.
        if request.method not in self.allowed_methods:
            self.format_kwarg = self.get_format_suffix(**kwargs)
            self.http_method_not_allowed(request)
        super().initial(request, *args, **kwargs)

    def http_method_not_allowed(self, request, *args, **kwargs):
        allowed = ", ".join(m for m in self.allowed_methods if m != "OPTIONS")
        raise exceptions.MethodNotAllowed(
            request.method,
            detail=METHOD_NOT_ALLOWED.format(method=request.method, allowed=allowed),
        )

    def permission_denied(self, request, message=None, code=None):
        # DRF would answer a missing key with its generic "not
        # authenticated"; Open311 clients get our message and a 403.
        raise exceptions.PermissionDenied(detail=message, code=code)


class DiscoveryView(Open311View):
    xml_root_tag = "discovery"

    def get(self, request, format=None):
        return Response(discovery_document(request))


class ServicesView(Open311View):
    xml_root_tag = "services"
    xml_item_tag = "service"

    def get(self, request, format=None):
        categories = Category.objects.filter(is_active=True).order_by(
            "sort_order", "code"
        )
        return Response(ServiceSerializer(categories, many=True).data)


class RequestsView(Open311View):
    """``GET`` searches requests, ``POST`` files one."""

    xml_root_tag = "service_requests"
    xml_item_tag = "request"
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [ApiKeyRequired]

    def get(self, request, format=None):
        query = request_query(request.query_params)
        paging = Open311Paging()
        page = paging.paginate_queryset(requests_matching(query), request, self)
        return paging.get_paginated_response(
            ServiceRequestSerializer(page, many=True, context={"request": request}).data
        )

    def post(self, request, format=None):
        submission = RequestSubmission(
            data=request.data,
            context={"routing_state": getattr(request.auth, "routing_state", None)},
        )
        submission.is_valid(raise_exception=True)
        media = request.FILES.get("media")
        photos = len(request.FILES.getlist("media"))
        if photos > 1:
            raise InvalidInput([f"media is given {photos} times; send one photo"])
        if media is None and request.data.get("media"):
            raise InvalidInput([MEDIA_NOT_FILE])
        # The photo is stored in the request's own transaction: a refused
        # photo (a 400 naming media) leaves no request behind, so the client
        # can fix it and post again.
        within = None
        if media is not None or submission.validated_data.get("media_url"):

            def within(created):
                _media_store(created, submission, media, request.auth)

        intake = submission.intake(request.auth)
        result = request_create(intake, within=within)
        if not result.created and not _same_report(result.request, intake):
            raise ExternalIdReused(
                f"external_id={shorten(intake.external_id)!r} was already used for "
                f"request {result.request.tracking_code} with another service_code, "
                "place or description; a retry must repeat the first post, and a "
                "new report needs a new external_id"
            )
        if not result.created:
            logger.info(
                "open311: retried post %r from key %s returns %s",
                result.request.external_id,
                request.auth.prefix,
                result.request.tracking_code,
            )
        return Response(
            [CreatedRequestSerializer(result).data],
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


def _as_posted(stored):
    """``(category code, [lon, lat] or None)`` of ``stored`` as first posted.

    Staff may have corrected the category or moved the point since
    (``request.change`` events keep what each change replaced): the
    earliest change of each is what the client sent.
    """
    posted = {
        "category": stored.category.code,
        "location": [stored.location.x, stored.location.y] if stored.location else None,
    }
    changes = (
        Event.objects.filter(
            action="request.change",
            object_type=stored._meta.label_lower,
            object_id=str(stored.pk),
        )
        .order_by("-id")
        .values_list("before", flat=True)
    )
    for before in changes:  # latest first: the earliest change is applied last
        posted.update({k: v for k, v in (before or {}).items() if k in posted})
    return posted["category"], posted["location"]


def _same_report(stored, intake):
    """Whether a retried post says what the stored request said when posted."""
    category, location = _as_posted(stored)
    if category != intake.category.code:
        return False
    if (stored.description or "") != (intake.description or ""):
        return False
    if intake.lon is not None and intake.location_source == LocationSource.GIVEN:
        if location is None:
            return False
        return (
            abs(location[0] - intake.lon) < 1e-7
            and abs(location[1] - intake.lat) < 1e-7
        )
    return (stored.address_string or "") == (intake.address_string or "")


def _media_store(service_request, submission, media, api_key):
    """Store the posted photo; record a ``media_url`` link without fetching it."""
    if media is not None:
        # Open311 answers in English, as its other errors (a refused photo).
        with translation.override("en"):
            photo_store(service_request, media, is_public=False)
    link = submission.validated_data.get("media_url")
    if link:
        # Not fetched, on purpose: see geopool.open311.submission.
        event_record(
            "request.media_link",
            service_request,
            actor_label=f"api:{api_key.prefix}",
            after={"media_url": link},
        )


class RequestView(Open311View):
    """One request by tracking code; as in the spec, the answer is a list."""

    xml_root_tag = "service_requests"
    xml_item_tag = "request"

    def get(self, request, code, format=None):
        found = with_public_extras(
            ServiceRequest.objects.select_related(*REQUEST_RELATED).filter(
                tracking_code=tracking_code_normalize(code)
            )
        ).first()
        if found is None:
            raise exceptions.NotFound(REQUEST_NOT_FOUND.format(code=code))
        return Response(
            [ServiceRequestSerializer(found, context={"request": request}).data]
        )


class NotFoundView(Open311View):
    """Everything else under /open311/: a 404 in the spec's error format."""

    def initial(self, request, *args, **kwargs):
        # Before any method check: nothing at all lives here. The error is
        # rendered by the path's suffix (see negotiation).
        self.format_kwarg = None
        raise exceptions.NotFound(ENDPOINT_NOT_FOUND.format(path=request.path))
