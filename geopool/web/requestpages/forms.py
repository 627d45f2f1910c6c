"""The forms of a request's page, each bound to the request it acts on.

Choices come from the request: the statuses ``TRANSITIONS`` allows from
the current one, the departments and crews of the owning body, the other
bodies a transfer can go to. Whether the move is allowed *now* is for the
services to say under the row lock (``WorkflowError``); these forms check
only their own input, and a coordinate is refused with what was typed and
how to write it.

One page holds all these forms, several with a field of the same name
(``note``, ``text``, ``reason``): each form gives its fields' HTML ids its
own start (``ids``: ``transfer-note``, ``coordinator-note``), so a label
points at its own field. The field names, which the posts carry, stay as
they are.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from geopool.models import Body, Category, Crew, Department, Status, TransferReason
from geopool.services.workflow import TEXT_MAX, TRANSITIONS
from geopool.web.coordinates import latitude_field, longitude_field

SELECT = {"class": "form-select form-select-sm"}
TEXT = {"class": "form-control form-control-sm"}
AREA = {"class": "form-control form-control-sm", "rows": 3}
MAX_TEXT = TEXT_MAX

ACCEPT, REFUSE = "accept", "refuse"


def _area(rows=3):
    return forms.Textarea(attrs={**AREA, "rows": rows})


class _PageForm(forms.Form):
    """A form of the request page; its fields' ids start with ``ids``."""

    ids = "form"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.ids}-%s")
        super().__init__(*args, **kwargs)


class _NameChoice(forms.ModelChoiceField):
    """Lists rows by their name alone (departments and crews of one body)."""

    def label_from_instance(self, obj):
        return obj.name


class _CategoryChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


def allowed_statuses(current):
    """The statuses a request in ``current`` may move to, in workflow order."""
    moves = TRANSITIONS.get(current, ())
    return [status for status in Status if status in moves]


class StatusForm(_PageForm):
    ids = "status"

    # Any status is accepted here and only the allowed moves are offered:
    # whether a move is allowed from the status the request has *now* (it may
    # have changed since the page was loaded) is the service's to say, with
    # the moves that are.
    to = forms.CharField(label=_("New status"), widget=forms.Select(attrs=SELECT))
    answer = forms.CharField(
        label=_("Answer to the citizen"),
        required=False,
        max_length=MAX_TEXT,
        help_text=_(
            "Needed to resolve or refuse: the reasoned answer the citizen reads."
        ),
        widget=_area(),
    )
    note = forms.CharField(
        label=_("Internal note"),
        required=False,
        max_length=MAX_TEXT,
        widget=_area(2),
    )

    def __init__(self, *args, current, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].widget.choices = [
            (s.value, s.label) for s in allowed_statuses(current)
        ]

    def clean_to(self):
        value = self.cleaned_data["to"]
        if value not in Status.values:
            raise forms.ValidationError(
                _("“%(value)s” is not a status."), params={"value": value}
            )
        return value


class AnswerForm(_PageForm):
    ids = "answer"

    text = forms.CharField(
        label=_("Answer to the citizen"), max_length=MAX_TEXT, widget=_area()
    )


class NoteForm(_PageForm):
    ids = "note"

    text = forms.CharField(
        label=_("Internal note"), max_length=MAX_TEXT, widget=_area()
    )


class PhotoForm(_PageForm):
    ids = "photo"

    # A plain file field: photo_store checks type and size with its own,
    # specific messages.
    photo = forms.FileField(
        label=_("Photo (JPEG, PNG or WebP)"),
        widget=forms.ClearableFileInput(
            attrs={**TEXT, "accept": "image/jpeg,image/png,image/webp"}
        ),
    )
    is_public = forms.BooleanField(
        label=_("May be shown on the public tracking page"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


PUBLIC_FORM_INCOMPLETE = _(
    "The form came without the public text it was opened with; reload the "
    "page and write the text again."
)


class PublicTextForm(_PageForm):
    ids = "public"

    # No max_length: ``public_text_set`` refuses a text over ``TEXT_MAX``
    # with its length and the limit, and the page keeps what was typed.
    text = forms.CharField(
        label=_("Public text"),
        required=False,
        help_text=_(
            "What the tracking page and Open311 show as the description. Leave "
            "out names, phone numbers, door and plate numbers and any other "
            "personal data. Leave it empty to show no description."
        ),
        widget=_area(),
    )
    # The digest of the text the page showed (``public_text_digest``): the
    # page always sends it, so that a change made meanwhile is never
    # overwritten unseen; a form without it (or without the text) is refused.
    shown = forms.CharField(
        widget=forms.HiddenInput,
        error_messages={"required": PUBLIC_FORM_INCOMPLETE},
    )

    def clean(self):
        data = super().clean()
        if "text" not in self.data:
            raise forms.ValidationError(PUBLIC_FORM_INCOMPLETE)
        return data


class AssignForm(_PageForm):
    ids = "assign"

    department = _NameChoice(
        label=_("Department"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.Select(attrs=SELECT),
    )
    crew = _NameChoice(
        label=_("Crew"),
        queryset=Crew.objects.none(),
        required=False,
        widget=forms.Select(attrs=SELECT),
    )

    def __init__(self, *args, body, **kwargs):
        super().__init__(*args, **kwargs)
        body_id = body.pk if body else None
        self.fields["department"].queryset = Department.objects.filter(
            body_id=body_id, is_active=True
        ).order_by("name")
        self.fields["crew"].queryset = Crew.objects.filter(
            body_id=body_id, is_active=True
        ).order_by("name")

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("department") and not data.get("crew"):
            raise forms.ValidationError(_("Choose a department, a crew or both."))
        return data


class TransferForm(_PageForm):
    ids = "transfer"

    to_body = forms.ModelChoiceField(
        label=_("To body"),
        queryset=Body.objects.none(),
        widget=forms.Select(attrs=SELECT),
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=TransferReason.choices,
        widget=forms.Select(attrs=SELECT),
    )
    note = forms.CharField(
        label=_("Note to the receiving body"),
        required=False,
        max_length=MAX_TEXT,
        widget=_area(2),
    )

    def __init__(self, *args, body, **kwargs):
        super().__init__(*args, **kwargs)
        others = Body.objects.filter(is_active=True).order_by("name")
        if body is not None:
            others = others.exclude(pk=body.pk)
        self.fields["to_body"].queryset = others


class TransferAnswerForm(_PageForm):
    ids = "transfer-answer"

    decision = forms.ChoiceField(choices=[(ACCEPT, _("Accept")), (REFUSE, _("Refuse"))])
    note = forms.CharField(
        label=_("Reason (needed to refuse)"),
        required=False,
        max_length=MAX_TEXT,
        widget=_area(2),
    )


class CoordinatorAssignForm(_PageForm):
    ids = "coordinator"

    body = forms.ModelChoiceField(
        label=_("Body"),
        queryset=Body.objects.filter(is_active=True).order_by("name"),
        widget=forms.Select(attrs=SELECT),
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=500, widget=_area(2)
    )


class ChangeForm(_PageForm):
    ids = "change"

    category = _CategoryChoice(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True).order_by("name"),
        widget=forms.Select(attrs=SELECT),
    )
    # The same parsing as the console's (a decimal comma is fine).
    lat = latitude_field(_("Latitude (north, e.g. 36.2021)"))
    lon = longitude_field(_("Longitude (east, e.g. 36.1603)"))

    def clean(self):
        data = super().clean()
        if (
            "lat" in data
            and "lon" in data
            and (data["lat"] is None) != (data["lon"] is None)
        ):
            raise forms.ValidationError(
                _("Give both the latitude and the longitude, or neither.")
            )
        return data

    def location(self):
        """(lon, lat) or None when no point was given."""
        lon, lat = self.cleaned_data.get("lon"), self.cleaned_data.get("lat")
        return None if lon is None else (lon, lat)


class RevealForm(_PageForm):
    ids = "reveal"

    reason = forms.CharField(
        label=_("Why do you need the caller's details?"),
        max_length=200,
        widget=forms.TextInput(attrs=TEXT),
    )
