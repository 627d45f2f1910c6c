"""The citizens' request form: place, subject, text, photo, contact.

The place is a map pin; the two coordinate boxes it fills can be typed too
(decimal degrees; a decimal comma is read as a point, since Turkish writes
36,2021). Latitude and longitude are named boxes, never a pair: in Hatay
both are about 36 and a swapped pair would still fall in the province.

Contact data is optional. A citizen who gives any of it must tick that the
KVKK information notice was read (it is information, not consent: the
municipality processes petitions under its legal duty). A citizen who
chooses "anonymous", or gives no contact data at all, files an anonymous
request: worked like any other, with no legal answer clock and no
messages, and nothing personal is stored.
"""

import math
import re

from django import forms
from django.utils.translation import gettext_lazy as _

from geopool.contact_checks import phone_clean
from geopool.models import Category, Contact
from geopool.open311.submission import DESCRIPTION_MAX_LENGTH

# The invisible field bots fill in (see HONEYPOT_FIELD in the template).
HONEYPOT_FIELD = "website"
CONTACT_FIELDS = ("first_name", "last_name", "phone", "email")

NO_PIN = _("Choose the place on the map, or type its latitude and longitude.")
HALF_PIN = _("Type both the latitude and the longitude, or click the map.")
BAD_COORDINATE = _(
    "The %(field)s “%(value)s” is not a number in decimal degrees; write it "
    "like %(example)s."
)
COORDINATE_RANGE = _(
    "The %(field)s “%(value)s” is out of range; it must be between %(low)s "
    "and %(high)s."
)
NULL_ISLAND = _(
    "Latitude 0 and longitude 0 is not a real place (a phone without a "
    "position fix sends it); click the map."
)
OUTSIDE_AREA = _(
    "The place you chose is outside the area %(name)s serves. Check the pin on "
    "the map; for a place elsewhere, apply to the municipality there."
)
NO_CATEGORY = _("Choose the subject of your request.")
UNKNOWN_CATEGORY = _("Choose a subject from the list; “%(value)s” is not one of them.")
NO_DESCRIPTION = _("Describe the problem in a few words.")
DESCRIPTION_TOO_LONG = _("The description is longer than %(limit_value)s characters.")
EMAIL_INVALID = _("This is not an e-mail address; write it like ad@ornek.com.")
KVKK_REQUIRED = _(
    "You gave contact details: tick that you read the information notice on "
    "personal data, or choose to apply anonymously."
)
PHOTO_AGAIN = _("Choose the photo again: browsers forget it when a form is refused.")

LATITUDE = _("latitude")
LONGITUDE = _("longitude")
_NUMBER = re.compile(r"^[+-]?\d{1,3}(\.\d+)?$")


def _max_length(name):
    return Contact._meta.get_field(name).max_length


class CategorySelect(forms.Select):
    """A select whose options carry their category's retention period."""

    def __init__(self, *args, retention=None, **kwargs):
        self.retention = retention or {}
        super().__init__(*args, **kwargs)

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        days = self.retention.get(str(value))
        if days:
            option["attrs"]["data-retention-days"] = days
        return option


def category_choices(categories):
    """Choices grouped by the categories' groups, in catalogue order."""
    groups = {}
    for category in categories:
        groups.setdefault(category.group, []).append((category.code, category.name))
    return [("", _("— choose —"))] + list(groups.items())


def _coordinate(raw, field, low, high):
    text = raw.strip().replace(" ", "")
    # One comma and no point: a decimal comma, as Turkish writes numbers.
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    values = {"field": field, "value": raw.strip(), "example": "12.3456"}
    if not _NUMBER.match(text):
        raise forms.ValidationError(BAD_COORDINATE, params=values)
    value = float(text)
    if not math.isfinite(value) or not low <= value <= high:
        raise forms.ValidationError(
            COORDINATE_RANGE, params={**values, "low": low, "high": high}
        )
    return value


class RequestForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Subject"),
        error_messages={"required": NO_CATEGORY, "invalid_choice": UNKNOWN_CATEGORY},
    )
    lat = forms.CharField(label=_("Latitude"), required=False, max_length=40)
    lon = forms.CharField(label=_("Longitude"), required=False, max_length=40)
    description = forms.CharField(
        label=_("What is the problem?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=DESCRIPTION_MAX_LENGTH,
        error_messages={
            "required": NO_DESCRIPTION,
            "max_length": DESCRIPTION_TOO_LONG,
        },
    )
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    anonymous = forms.BooleanField(label=_("Apply anonymously"), required=False)
    first_name = forms.CharField(
        label=_("First name"), required=False, max_length=_max_length("first_name")
    )
    last_name = forms.CharField(
        label=_("Last name"), required=False, max_length=_max_length("last_name")
    )
    phone = forms.CharField(
        label=_("Mobile phone"), required=False, max_length=_max_length("phone")
    )
    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        max_length=_max_length("email"),
        error_messages={"invalid": EMAIL_INVALID},
    )
    kvkk_read = forms.BooleanField(
        label=_("I read the information notice on my personal data."),
        required=False,
    )
    # The honeypot: hidden from people, filled in by bots.
    website = forms.CharField(required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = {
            c.code: c
            for c in Category.objects.filter(is_active=True).order_by(
                "sort_order", "code"
            )
        }
        field = self.fields["category"]
        field.choices = category_choices(self.categories.values())
        field.widget = CategorySelect(
            choices=field.choices,
            retention={
                code: c.retention_days
                for code, c in self.categories.items()
                if c.retention_days
            },
        )

        for bound in self.fields.values():
            widget = bound.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)
        self.fields["lat"].widget.attrs.update(inputmode="decimal")
        self.fields["lon"].widget.attrs.update(inputmode="decimal")
        self.fields["phone"].widget.attrs.update(
            inputmode="tel", autocomplete="tel", placeholder="05xx xxx xx xx"
        )
        self.fields["email"].widget.attrs.update(autocomplete="email")
        self.fields["first_name"].widget.attrs.update(autocomplete="given-name")
        self.fields["last_name"].widget.attrs.update(autocomplete="family-name")
        self.fields[HONEYPOT_FIELD].widget.attrs.update(
            tabindex="-1", autocomplete="off"
        )

    def clean_category(self):
        return self.categories[self.cleaned_data["category"]]

    def clean_phone(self):
        raw = self.cleaned_data["phone"].strip()
        return phone_clean(raw) if raw else ""

    def clean(self):
        data = super().clean()
        self._clean_place(data)
        if data.get("anonymous"):
            for name in CONTACT_FIELDS:
                data[name] = ""
        elif self.contact(data) and not data.get("kvkk_read"):
            self.add_error("kvkk_read", KVKK_REQUIRED)
        return data

    def _clean_place(self, data):
        raw_lat = (data.get("lat") or "").strip()
        raw_lon = (data.get("lon") or "").strip()
        data["lat"] = data["lon"] = None
        if not raw_lat and not raw_lon:
            self.add_error("lat", NO_PIN)
            return
        if not (raw_lat and raw_lon):
            self.add_error("lat", HALF_PIN)
            return
        try:
            lat = _coordinate(raw_lat, LATITUDE, -90, 90)
            lon = _coordinate(raw_lon, LONGITUDE, -180, 180)
        except forms.ValidationError as exc:
            self.add_error("lat", exc)
            return
        if lat == 0 and lon == 0:
            self.add_error("lat", NULL_ISLAND)
            return
        data["lat"], data["lon"] = lat, lon

    def contact(self, data=None):
        """The contact data given, without empty values."""
        data = self.cleaned_data if data is None else data
        return {
            name: data.get(name, "").strip()
            for name in CONTACT_FIELDS
            if (data.get(name) or "").strip()
        }

    def is_anonymous(self):
        return bool(self.cleaned_data.get("anonymous")) or not self.contact()
