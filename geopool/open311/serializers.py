"""What Open311 publishes about services and requests.

The request serializer is the privacy boundary of the API: it reads the
request row and its category and owner, never ``ServiceRequest.description``
(the citizen's own words) and never ``Contact``. ``description`` is the
staff-approved ``public_description`` only. Field order follows the spec.

It shows what the public tracking page (``/t/<code>``) shows: ``status``,
``agency_responsible`` (the current owner), ``status_notes`` (the latest
answer sent to the citizen; absent, ``null``, until there is one, as the
GeoReport norm has it), ``updated_datetime`` and ``media_url`` (the first
photo staff made public, served by the tracking page; never a private one).
``address`` is ``null``: the address is the citizen's own free text, which
the tracking page does not show either; ``lat``/``long`` give the place.

Querysets must ``select_related`` what ``REQUEST_RELATED`` names and go
through ``with_public_extras``, or a page of 1000 requests would cost
thousands of queries.
"""

from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from geopool.models import Answer, Photo
from geopool.open311.notices import service_notice
from routing_rules.decide import owner_label

REQUEST_RELATED = ("category", "owner_body", "owner_department")
# Attribute names of the annotations ``with_public_extras`` adds.
LATEST_ANSWER = "public_latest_answer"
PUBLIC_PHOTO = "public_photo_id"


def _latest_answers():
    return Answer.objects.filter(request=OuterRef("pk")).order_by("-sent_at", "-id")


def _public_photos():
    return Photo.objects.filter(request=OuterRef("pk"), is_public=True).order_by(
        "created_at", "id"
    )


def with_public_extras(queryset):
    """``queryset`` with the latest answer and first public photo of each row."""
    return queryset.annotate(
        **{
            LATEST_ANSWER: Subquery(_latest_answers().values("text")[:1]),
            PUBLIC_PHOTO: Subquery(_public_photos().values("id")[:1]),
        }
    )


def _extra(request, name, queryset, column):
    """An annotation of ``with_public_extras``, or the same value queried."""
    if hasattr(request, name):
        return getattr(request, name)
    return queryset.filter(request=request).values_list(column, flat=True).first()


def local_iso(value):
    """ISO 8601 in the pool's time zone with its offset, e.g. ...+03:00."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


class LocalDateTimeField(serializers.ReadOnlyField):
    # DRF's DateTimeField would print microseconds and, for UTC, a "Z";
    # clients compare these strings with the times people read on the phone.
    def to_representation(self, value):
        return local_iso(value)


class Constant(serializers.Field):
    """A value that never varies, or one the pool does not have (None)."""

    def __init__(self, value):
        self.value = value
        super().__init__(source="*", read_only=True)

    def to_representation(self, instance):
        return self.value


class ServiceSerializer(serializers.Serializer):
    service_code = serializers.CharField(source="code")
    service_name = serializers.CharField(source="name")
    description = serializers.SerializerMethodField()
    # No category has extra attributes (service definitions) yet.
    metadata = Constant(False)
    type = Constant("realtime")
    keywords = serializers.CharField()
    group = serializers.CharField()

    def get_description(self, category):
        # The pack has no descriptions yet; the English name helps clients
        # that do not read Turkish.
        return category.description or category.name_en or None


class ServiceRequestSerializer(serializers.Serializer):
    service_request_id = serializers.CharField(source="tracking_code")
    status = serializers.CharField(source="open311_status")
    status_notes = serializers.SerializerMethodField()
    service_name = serializers.CharField(source="category.name")
    service_code = serializers.CharField(source="category.code")
    description = serializers.SerializerMethodField()
    agency_responsible = serializers.SerializerMethodField()
    service_notice = serializers.SerializerMethodField()
    requested_datetime = LocalDateTimeField(source="requested_at")
    updated_datetime = LocalDateTimeField(source="updated_at")
    expected_datetime = Constant(None)
    # The citizen's own words about the place: never published.
    address = Constant(None)
    address_id = Constant(None)
    zipcode = Constant(None)
    lat = serializers.SerializerMethodField()
    long = serializers.SerializerMethodField()
    media_url = serializers.SerializerMethodField()

    def get_status_notes(self, request):
        answer = _extra(
            request,
            LATEST_ANSWER,
            Answer.objects.order_by("-sent_at", "-id"),
            "text",
        )
        return answer or None

    def get_media_url(self, request):
        photo = _extra(
            request,
            PUBLIC_PHOTO,
            Photo.objects.filter(is_public=True).order_by("created_at", "id"),
            "id",
        )
        if photo is None:
            return None
        path = reverse("public:photo", args=[request.tracking_code, photo])
        http = self.context.get("request")
        return http.build_absolute_uri(path) if http is not None else path

    def get_description(self, request):
        return request.public_description or None

    def get_agency_responsible(self, request):
        if request.owner_body is None:
            return None
        return owner_label(request.owner_body, request.owner_department)

    def get_service_notice(self, request):
        return service_notice(request)

    def get_lat(self, request):
        return float(request.location.y) if request.location else None

    def get_long(self, request):
        return float(request.location.x) if request.location else None


class CreatedRequestSerializer(serializers.Serializer):
    """The answer to a post: the tracking code and what to do now."""

    service_request_id = serializers.CharField(source="request.tracking_code")
    service_notice = serializers.SerializerMethodField()
    account_id = Constant(None)

    def get_service_notice(self, result):
        # A retried post returns the first request, with no fresh decision.
        fresh = None
        if result.outcome is not None:
            fresh = result.outcome.service_notice or ""
        return service_notice(result.request, fresh)
