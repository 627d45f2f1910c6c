"""The forms of the rule pages.

The rule and delegation forms collect written values exactly as the pack's
CSV files hold them (codes, the written condition, ``body:HBB/HBB-YOL``);
whether they make a valid rule set is for ``routing_rules.services
.rule_sets`` to say, and its refusal is shown beside the form with the
values kept. The point and simulation forms check only their own input.
"""

from datetime import datetime, time

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from geopool.models import Body, Category
from geopool.web.coordinates import degrees_read
from geopool.web.rules.display import STAGE_TITLES
from routing_rules.models import Stage
from routing_rules.services.simulation import default_since

SEEN_INVALID = _(
    "The form's time stamp %(raw)s is not a time with a UTC offset; open the "
    "rule again and repeat the change."
)

SELECT = {"class": "form-select"}
TEXT = {"class": "form-control"}
DATE = {"class": "form-control", "type": "date"}


def _date_input():
    return forms.DateInput(attrs=DATE, format="%Y-%m-%d")


def day_start(day):
    """The aware datetime at which ``day`` begins in the local time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def day_noon(day):
    """Noon of ``day`` in the local time zone: the decision date of a test."""
    return timezone.make_aware(datetime.combine(day, time(12)))


class RuleForm(forms.Form):
    code = forms.SlugField(
        label=_("Code"), max_length=100, widget=forms.TextInput(attrs=TEXT)
    )
    stage = forms.ChoiceField(
        label=_("Stage"),
        choices=[
            (label, format_lazy("{} ({})", STAGE_TITLES[value], label))
            for value, label in Stage.choices
        ],
        widget=forms.Select(attrs=SELECT),
    )
    priority = forms.IntegerField(
        label=_("Priority"),
        min_value=0,
        initial=100,
        help_text=_("Lower numbers are tried first within the stage."),
        widget=forms.NumberInput(attrs=TEXT),
    )
    group = forms.SlugField(
        label=_("Group"),
        required=False,
        max_length=64,
        help_text=_(
            "Empty for the main sequence; a rule in a group is consulted only "
            "by a rule whose owner is group:NAME."
        ),
        widget=forms.TextInput(attrs=TEXT),
    )
    categories = forms.CharField(
        label=_("Categories"),
        required=False,
        max_length=2000,
        help_text=_("Category codes separated by spaces; empty for every category."),
        widget=forms.TextInput(attrs=TEXT),
    )
    condition = forms.CharField(
        label=_("Condition"),
        max_length=300,
        help_text=_(
            "anywhere · inside LAYER[attribute=value] + N m · within N m of "
            "LAYER[attribute=value], joined by “and”, each may start with “not”"
        ),
        widget=forms.TextInput(attrs=TEXT),
    )
    owner = forms.CharField(
        label=_("Owner"),
        max_length=200,
        help_text=_(
            "body:CODE or body:CODE/DEPARTMENT · attribute:NAME (of the matched "
            "feature) · district · group:NAME"
        ),
        widget=forms.TextInput(attrs=TEXT),
    )
    valid_from = forms.DateField(
        label=_("Valid from"), required=False, widget=_date_input()
    )
    valid_to = forms.DateField(
        label=_("Valid to (last day)"), required=False, widget=_date_input()
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs=TEXT),
    )
    # The rule's ``updated_at`` when the form was read (ISO 8601).
    seen = forms.CharField(required=False, widget=forms.HiddenInput)

    @classmethod
    def initial_of(cls, rule):
        """The form's initial values for an existing ``rule``."""
        return {
            "seen": rule.updated_at.isoformat(),
            "code": rule.code,
            "stage": rule.get_stage_display(),
            "priority": rule.priority,
            "group": rule.group,
            "categories": " ".join(rule.categories),
            "condition": rule.condition,
            "owner": rule.owner_text,
            "valid_from": rule.valid_from,
            "valid_to": rule.valid_to,
            "description": rule.description,
        }

    def clean_seen(self):
        return seen_read(self.cleaned_data["seen"])

    def values(self):
        """The written values as ``rule_save`` takes them."""
        return {k: v for k, v in self.cleaned_data.items() if k != "seen"}


def seen_read(raw):
    """The ``seen`` stamp of a rule form or delete button, or None."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise forms.ValidationError(SEEN_INVALID % {"raw": raw})
    return value


def _body_choices(blank_label=None):
    bodies = Body.objects.filter(is_active=True).order_by("name")
    choices = [(b.code, f"{b.name} ({b.code})") for b in bodies]
    return [("", blank_label), *choices] if blank_label is not None else choices


class DelegationForm(forms.Form):
    code = forms.SlugField(
        label=_("Code"), max_length=100, widget=forms.TextInput(attrs=TEXT)
    )
    from_body = forms.ChoiceField(
        label=_("Handed over by"), widget=forms.Select(attrs=SELECT)
    )
    to_body = forms.ChoiceField(
        label=_("Handed over to"),
        required=False,
        widget=forms.Select(attrs=SELECT),
    )
    categories = forms.CharField(
        label=_("Categories"),
        max_length=2000,
        help_text=_("Category codes separated by spaces."),
        widget=forms.TextInput(attrs=TEXT),
    )
    district_codes = forms.CharField(
        label=_("District codes"),
        required=False,
        max_length=2000,
        help_text=_("Official district codes separated by spaces; empty for all."),
        widget=forms.TextInput(attrs=TEXT),
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=_date_input())
    valid_to = forms.DateField(
        label=_("Valid to (last day)"), required=False, widget=_date_input()
    )
    decision_ref = forms.CharField(
        label=_("Council decision"), max_length=200, widget=forms.TextInput(attrs=TEXT)
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs=TEXT),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_body"].choices = _body_choices()
        self.fields["to_body"].choices = _body_choices(
            _("— the district municipality of the point —")
        )

    @classmethod
    def initial_of(cls, delegation):
        return {
            "code": delegation.code,
            "from_body": delegation.from_body_code,
            "to_body": delegation.to_body_code,
            "categories": " ".join(delegation.categories),
            "district_codes": " ".join(delegation.district_codes),
            "valid_from": delegation.valid_from,
            "valid_to": delegation.valid_to,
            "decision_ref": delegation.decision_ref,
            "description": delegation.description,
        }

    def values(self):
        return dict(self.cleaned_data)


class CoordinateField(forms.FloatField):
    """Degrees, with a decimal point or a Turkish decimal comma."""

    def to_python(self, value):
        if isinstance(value, str) and value.strip():
            try:
                return degrees_read(value)
            except ValueError:
                pass  # FloatField names what was wrong
        return super().to_python(value)


class PointForm(forms.Form):
    """``GET ?lon=&lat=&category=&date=``: one point to route."""

    # Latitude first, as on every staff form ("enlem, boylam").
    lat = CoordinateField(
        label=_("Latitude (°N)"),
        min_value=-90,
        max_value=90,
        widget=forms.TextInput(attrs={**TEXT, "inputmode": "decimal"}),
    )
    lon = CoordinateField(
        label=_("Longitude (°E)"),
        min_value=-180,
        max_value=180,
        widget=forms.TextInput(attrs={**TEXT, "inputmode": "decimal"}),
    )
    category = forms.ChoiceField(label=_("Category"), widget=forms.Select(attrs=SELECT))
    date = forms.DateField(
        label=_("Date (optional)"),
        required=False,
        help_text=_("Rules and delegations valid on this day apply; default today."),
        widget=_date_input(),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        categories = Category.objects.filter(is_active=True).order_by("name")
        self.fields["category"].choices = [
            (c.code, f"{c.name} ({c.code})") for c in categories
        ]

    def decision_time(self):
        """When the decision is for: noon of the chosen day, or now."""
        day = self.cleaned_data.get("date")
        return day_noon(day) if day else timezone.now()


class SimulateForm(forms.Form):
    """``GET ?since=YYYY-MM-DD``: the requests received since that day."""

    since = forms.DateField(
        label=_("Requests received since"),
        widget=_date_input(),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["since"].initial = timezone.localtime(default_since()).date()

    def clean_since(self):
        since = self.cleaned_data["since"]
        if since > timezone.localdate():
            raise forms.ValidationError(
                _("%(day)s is in the future; no request was received since then.")
                % {"day": since.isoformat()}
            )
        return since

    def since_time(self):
        return day_start(self.cleaned_data["since"])
