"""Reading a posted request (``POST v2/requests``) into an ``Intake``.

The form is validated as a whole, so one answer lists every bad field.
Coordinates go through ``geopool.api.params.coordinate`` (decimal commas,
NaN and ranges are refused there with a hint); lat and long are named
fields, never a pair, because in Hatay both are ≈ 36 and a swapped pair
would still land in the province. ``lat=0, long=0`` is what a device
without a position fix sends, so it is refused, not routed.

Length limits come from the model fields, so a long value is a 400 naming
the field, never a database error.

Photos: ``media`` (a file, multipart/form-data) goes through
``geopool.services.photos.photo_store`` like every photo (type and size
limits, EXIF removed, private until staff publish it). ``media_url`` is
kept as a link and never fetched: fetching an address a client chooses
would let any key holder make geopool's server, which sits inside the
municipality's network, request internal addresses (server-side request
forgery; redirects and DNS answers that change between the check and the
fetch make a safe allow-list hard to get right); geopool's servers often
have no internet access anyway, and a post would wait on someone else's
server. So only an ``https`` link with a host name and no credentials is
accepted, and it is recorded on the request's trail (event
``request.media_link``) for staff to open in their own browser. A client
that holds the photo uploads it as ``media``.
"""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import translation
from rest_framework import serializers

from geopool.api.params import ParameterError, coordinate, shorten
from geopool.contact_checks import phone_clean
from geopool.models import Contact, LocationSource, ServiceRequest
from geopool.open311.messages import (
    COORDINATE_REQUIRED,
    EMAIL_INVALID,
    MEDIA_URL_INVALID,
    NULL_ISLAND,
    PHONE_INVALID,
    SERVICE_CODE_MISSING,
    SERVICE_CODE_UNKNOWN,
    TOO_LONG,
)
from geopool.services.intake import Intake
from geopool.services.pool_state import pool_state
from geopool.text import control_character
from routing_rules.context import live_context
from routing_rules.errors import RoutingError

# The Open311 schema's limit for a description; the citizen's text is kept
# whole below it.
DESCRIPTION_MAX_LENGTH = 4000
# Longer links are not photo links a person can open.
MEDIA_URL_MAX_LENGTH = 2000

CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "phone",
    "email",
    "device_id",
    "account_id",
)


def _max_length(model, name):
    return model._meta.get_field(name).max_length


def _text(model, name):
    """An optional text field as long as ``model``'s ``name`` column."""
    return serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=_max_length(model, name),
        error_messages={
            "max_length": TOO_LONG.format(field=name, limit="{max_length}")
        },
    )


class CoordinateField(serializers.Field):
    """A WGS 84 decimal-degree coordinate between ``low`` and ``high``."""

    def __init__(self, low, high, **kwargs):
        self.low, self.high = low, high
        super().__init__(**kwargs)

    def bind(self, field_name, parent):
        super().bind(field_name, parent)
        message = COORDINATE_REQUIRED.format(field=field_name)
        self.error_messages["required"] = message
        self.error_messages["null"] = message

    def to_internal_value(self, data):
        try:
            return coordinate(
                {self.field_name: str(data)}, self.field_name, self.low, self.high
            )
        except ParameterError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def to_representation(self, value):
        return value


class RequestSubmission(serializers.Serializer):
    service_code = serializers.CharField(
        error_messages={"required": SERVICE_CODE_MISSING, "blank": SERVICE_CODE_MISSING}
    )
    # Optional when an address_string is given: the address is geocoded.
    lat = CoordinateField(-90, 90, required=False)
    long = CoordinateField(-180, 180, required=False)
    description = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=DESCRIPTION_MAX_LENGTH,
        error_messages={
            "max_length": TOO_LONG.format(field="description", limit="{max_length}")
        },
    )
    address_string = _text(ServiceRequest, "address_string")
    external_id = _text(ServiceRequest, "external_id")
    first_name = _text(Contact, "first_name")
    last_name = _text(Contact, "last_name")
    phone = _text(Contact, "phone")
    email = serializers.EmailField(
        required=False,
        allow_blank=True,
        default="",
        max_length=_max_length(Contact, "email"),
        error_messages={
            "invalid": EMAIL_INVALID,
            "max_length": TOO_LONG.format(field="email", limit="{max_length}"),
        },
    )
    device_id = _text(Contact, "device_id")
    account_id = _text(Contact, "account_id")
    media_url = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=MEDIA_URL_MAX_LENGTH,
        error_messages={
            "max_length": TOO_LONG.format(field="media_url", limit="{max_length}")
        },
    )

    def get_fields(self):
        """Fresh fields for this form, made from their declarations.

        DRF deep-copies every declared field for each form, keyword
        arguments included; that was half of a post's validation. The
        fields here are remade from the same arguments, shared: they are
        texts, numbers and message dicts that no field changes (each field
        merges its messages into a dict of its own).
        """
        return {
            name: type(field)(*field._args, **field._kwargs)
            for name, field in self._declared_fields.items()
        }

    def to_internal_value(self, data):
        """Refuse a field given twice or holding a control character first.

        A form that repeats ``lat`` would otherwise be read as its last value
        without a word; an escape sequence in an address would reach every
        page that shows it.
        """
        problems = {}
        for name in self.fields:
            values = data.getlist(name) if hasattr(data, "getlist") else []
            if len(values) > 1:
                problems[name] = [f"{name} is given {len(values)} times; give it once"]
                continue
            for value in values:
                character = control_character(str(value))
                if character:
                    problems[name] = [
                        f"{name} contains the control character "
                        f"U+{ord(character):04X}; send plain text"
                    ]
                elif "\ufffd" in str(value):
                    # What a decoder makes of bytes that are not UTF-8: the
                    # citizen's words would be stored with holes in them.
                    problems[name] = [
                        f"{name} holds bytes that are not UTF-8; send the text "
                        "encoded as UTF-8"
                    ]
        if problems:
            raise serializers.ValidationError(problems)
        return super().to_internal_value(data)

    def validate_media_url(self, value):
        value = value.strip()
        if not value:
            return ""
        try:
            parts = urlsplit(value)
            host = parts.hostname
            port = parts.port  # ValueError out of 0-65535 or not a number
        except ValueError:  # e.g. a malformed IPv6 address
            host = port = None
        if (
            value.lower().startswith("https://")
            and host
            and port != 0
            and not (parts.username or parts.password)
            and value.isprintable()
            and " " not in value
        ):
            return value
        raise serializers.ValidationError(MEDIA_URL_INVALID.format(value=value))

    def validate_phone(self, value):
        value = value.strip()
        if not value:
            return ""
        try:
            return phone_clean(value)
        except DjangoValidationError as exc:
            # Open311 answers in English whatever the client's language.
            with translation.override("en"):
                raise serializers.ValidationError(
                    PHONE_INVALID.format(value=value, reason=exc.messages[0])
                ) from None

    def validate_service_code(self, code):
        # The key's check read the routing state's version too (context
        # "routing_state"), so the state is not asked for again.
        token = self.context.get("routing_state")
        try:
            context = live_context(token) if token is not None else None
        except RoutingError:
            context = None  # pool_state says what is wrong
        self.state = pool_state(context)
        category = self.state.categories.get(code)
        if category is None:
            raise serializers.ValidationError(
                SERVICE_CODE_UNKNOWN.format(code=shorten(code))
            )
        return category

    def validate(self, data):
        lat, lon = data.get("lat"), data.get("long")
        if lat is None and lon is None:
            if not data["address_string"].strip():
                raise serializers.ValidationError(
                    {
                        "lat": [COORDINATE_REQUIRED.format(field="lat")],
                        "long": [
                            COORDINATE_REQUIRED.format(field="long")
                            + "; or send address_string to have the address "
                            "geocoded"
                        ],
                    }
                )
            return data
        for name, value in (("lat", lat), ("long", lon)):
            if value is None:
                raise serializers.ValidationError(
                    {name: [COORDINATE_REQUIRED.format(field=name)]}
                )
        if lat == 0 and lon == 0:
            raise serializers.ValidationError({"lat": [NULL_ISLAND]})
        return data

    def intake(self, api_key):
        """The ``Intake`` for the validated form, posted with ``api_key``."""
        data = self.validated_data
        lon, lat, source = data.get("long"), data.get("lat"), LocationSource.GIVEN
        found, needs_location = None, False
        if lon is None:
            from geocoding.match import geocode, reason_json
            from geocoding.models import PRECISE

            found = geocode(data["address_string"]).as_json()
            needs_location = found["needs_pin"]
            if not needs_location and found["location_source"] not in PRECISE:
                # Sure of the neighbourhood, not of the place in it.
                needs_location = True
                found.update(reason_json("neighbourhood_point"))
            if needs_location:
                source = ""
            else:
                lon, lat = found["location"]["lon"], found["location"]["lat"]
                source = LocationSource.GEOCODED
        return Intake(
            category=data["service_code"],
            channel=api_key.channel,
            lon=lon,
            lat=lat,
            location_source=source,
            geocode=found,
            needs_location=needs_location,
            description=data["description"],
            address_string=data["address_string"],
            contact={name: data[name] for name in CONTACT_FIELDS},
            api_key=api_key,
            external_id=data["external_id"],
            state=getattr(self, "state", None),
        )
