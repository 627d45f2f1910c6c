"""The console's two forms: a phone request, and an information call.

``CallForm`` takes what the caller says: category, place (clicked on the
map or typed, with a decimal point or a Turkish decimal comma), what is
wrong, and who calls. An anonymous call keeps no contact: whatever was
typed in the contact fields is neither checked nor stored. ``InfoForm``
takes a question and the answer the operator gave on the phone.
"""

from django import forms
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from geopool.contact_checks import phone_clean, tc_kimlik_clean
from geopool.models import Category
from geopool.web.coordinates import latitude_field, longitude_field

SELECT = {"class": "form-select"}
TEXT = {"class": "form-control"}

CONTACT_FIELDS = ("first_name", "last_name", "phone", "email", "tc_kimlik_no")
PREVIEW_FIELDS = ("category", "lon", "lat")

POINT_MISSING = _("Pick the place on the map, or type its latitude and longitude.")
DESCRIPTION_MISSING = _("Write what the caller reports.")


class CategorySelect(forms.Select):
    """A select whose options carry search words and emergency lines."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.option_data = {}

    def create_option(self, name, value, label, selected, index, **kwargs):
        option = super().create_option(name, value, label, selected, index, **kwargs)
        option["attrs"].update(self.option_data.get(str(value), {}))
        return option


def category_choices(categories):
    """Choices grouped by the categories' groups, in catalogue order."""
    groups = {}
    for category in categories:
        groups.setdefault(category.group, []).append(
            (category.code, f"{category.name} ({category.code})")
        )
    return list(groups.items())


def _option_data(categories):
    return {
        c.code: {
            "data-search": " ".join(
                [c.code, c.name, c.name_en, c.group, c.keywords.replace(",", " ")]
            ),
            "data-emergency-phone": c.emergency_phone if c.is_emergency else "",
        }
        for c in categories
    }


class CallForm(forms.Form):
    """A phone request: what, where, and who calls (unless anonymous)."""

    category = forms.ChoiceField(
        label=_("Category"), widget=CategorySelect(attrs=SELECT)
    )
    lat = latitude_field()
    lon = longitude_field()
    address_string = forms.CharField(
        label=_("Address (optional)"),
        required=False,
        max_length=500,
        help_text=_("As the caller says it; the point on the map decides the owner."),
        widget=forms.TextInput(attrs=TEXT),
    )
    description = forms.CharField(
        label=_("What the caller reports"),
        max_length=4000,
        error_messages={"required": DESCRIPTION_MISSING},
        widget=forms.Textarea(attrs={**TEXT, "rows": 3}),
    )
    is_anonymous = forms.BooleanField(
        label=_("Anonymous: the caller gives no contact details"),
        required=False,
        help_text=_(
            "No name, phone, e-mail or T.C. kimlik no is stored; the caller gets "
            "no messages and follows the request with its tracking code. A call "
            "saved without a phone number or e-mail address is treated the "
            "same: no legal answer deadline, no messages."
        ),
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    first_name = forms.CharField(
        label=_("First name"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={**TEXT, "autocomplete": "off"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={**TEXT, "autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=30,
        widget=forms.TextInput(
            attrs={**TEXT, "inputmode": "tel", "autocomplete": "off"}
        ),
    )
    # Checked in clean_email, so that an anonymous call ignores it.
    email = forms.CharField(
        label=_("E-mail"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={**TEXT, "autocomplete": "off"}),
    )
    tc_kimlik_no = forms.CharField(
        label=_("T.C. kimlik no"),
        required=False,
        max_length=20,
        widget=forms.TextInput(
            attrs={**TEXT, "inputmode": "numeric", "autocomplete": "off"}
        ),
    )

    def __init__(self, *args, categories=None, **kwargs):
        super().__init__(*args, **kwargs)
        if categories is None:
            categories = list(Category.objects.filter(is_active=True))
        self.categories = {c.code: c for c in categories}
        field = self.fields["category"]
        field.choices = [("", _("— choose —")), *category_choices(categories)]
        field.widget.option_data = _option_data(categories)

    def _anonymous(self):
        return self.cleaned_data.get("is_anonymous", False)

    def clean_phone(self):
        value = self.cleaned_data["phone"]
        if self._anonymous() or not value.strip():
            return ""
        return phone_clean(value)

    def clean_tc_kimlik_no(self):
        value = self.cleaned_data["tc_kimlik_no"]
        if self._anonymous() or not value.strip():
            return ""
        return tc_kimlik_clean(value)

    def clean_email(self):
        value = self.cleaned_data["email"].strip()
        if self._anonymous() or not value:
            return ""
        validate_email(value)
        return value

    def clean(self):
        cleaned = super().clean()
        self._validate_point(cleaned)
        if cleaned.get("is_anonymous"):
            for name in CONTACT_FIELDS:
                cleaned[name] = ""
        return cleaned

    def _validate_point(self, cleaned):
        if "lon" in self.errors or "lat" in self.errors:
            return
        if cleaned.get("lon") is None or cleaned.get("lat") is None:
            self.add_error("lon", forms.ValidationError(POINT_MISSING, "required"))

    @property
    def chosen_category(self):
        return self.categories.get(self.cleaned_data.get("category"))

    def contact(self):
        """The contact fields to store (empty for an anonymous call)."""
        if self.cleaned_data.get("is_anonymous"):
            return {}
        return {
            name: self.cleaned_data[name].strip()
            for name in CONTACT_FIELDS
            if self.cleaned_data.get(name, "").strip()
        }

    def typed_contact(self):
        """True when any contact field holds text (kept or not)."""
        return any((self.data.get(name) or "").strip() for name in CONTACT_FIELDS)

    def preview_only(self):
        """Keep the errors of the fields a preview needs; drop the others."""
        for name in list(self.errors):
            if name not in PREVIEW_FIELDS:
                del self.errors[name]


class InfoForm(forms.Form):
    """An information call: the question and the answer given on the phone."""

    prefix = "info"

    category = forms.ChoiceField(label=_("Topic"), widget=forms.Select(attrs=SELECT))
    question = forms.CharField(
        label=_("The caller's question"),
        max_length=1000,
        widget=forms.Textarea(attrs={**TEXT, "rows": 2}),
    )
    answer = forms.CharField(
        label=_("The answer given"),
        max_length=4000,
        help_text=_("The caller can read it on the tracking page."),
        widget=forms.Textarea(attrs={**TEXT, "rows": 3}),
    )

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = {c.code: c for c in categories}
        self.fields["category"].choices = [
            (c.code, f"{c.name} ({c.code})") for c in categories
        ]

    @property
    def chosen_category(self):
        return self.categories.get(self.cleaned_data.get("category"))
