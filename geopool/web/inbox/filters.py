"""The inbox filters: one form read from the query string, one queryset.

The same filtered, sorted queryset feeds the page, the counts beside it and
the CSV and Excel exports, so an export holds exactly the rows the list
shows (all pages of them).

Query parameters: ``body`` (coordinators: a body code), ``status`` (``open``
by default, ``all``, or one status), ``category`` (a code), ``group`` (a
category group), ``district`` (an official district code, see
``geopool.web.inbox.districts``), ``within`` (received within N days),
``older`` (received more than N days ago), ``sla`` (see
``geopool.web.inbox.sla``) and ``sort`` (``-received``, ``received``,
``sla_due``, ``-sla_due``); ``page`` pages through them. Any other
parameter (``received_within`` for ``within``) is refused by name, with the
ones the inbox reads, rather than silently ignored.
"""

import datetime as dt

from django import forms
from django.db.models import F
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from geopool.models import Body, Category, Status
from geopool.web.inbox import sla
from geopool.web.inbox.access import inbox_requests, sees_pool
from geopool.web.inbox.districts import (
    district_code_expression,
    districts_active,
    in_district,
)

OPEN = "open"
ALL = "all"
MAX_DAYS = 3650

SORTS = {
    "-received": [F("requested_at").desc(), F("id").desc()],
    "received": [F("requested_at").asc(), F("id").asc()],
    "sla_due": [F("sla_due_at").asc(nulls_last=True), F("requested_at").desc()],
    "-sla_due": [F("sla_due_at").desc(nulls_last=True), F("requested_at").desc()],
}
SORT_LABELS = {
    "-received": _("Newest first"),
    "received": _("Oldest first"),
    "sla_due": _("SLA due, soonest first"),
    "-sla_due": _("SLA due, latest first"),
}
# Parameters the inbox reads besides the form's fields.
OTHER_PARAMETERS = ("page",)
UNKNOWN_PARAMETERS = _(
    "The inbox has no filter named %(names)s. Its filters are: %(known)s "
    "(within: received within N days; older: received more than N days ago)."
)
REPEATED_PARAMETERS = _("%(names)s is given more than once; give each filter once.")
DAYS_ERROR = format_lazy(
    _("Give a whole number of days from 1 to {max}."), max=MAX_DAYS
)


def _days_field(label):
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=1,
        max_value=MAX_DAYS,
        error_messages={
            "invalid": DAYS_ERROR,
            "min_value": DAYS_ERROR,
            "max_value": DAYS_ERROR,
        },
    )


class InboxFilter(forms.Form):
    body = forms.ChoiceField(label=_("Body"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    group = forms.ChoiceField(label=_("Category group"), required=False)
    district = forms.ChoiceField(label=_("District"), required=False)
    within = _days_field(_("Received within (days)"))
    older = _days_field(_("Older than (days)"))
    sla = forms.ChoiceField(label=_("SLA"), required=False)
    sort = forms.ChoiceField(label=_("Order"), required=False)

    def __init__(self, data, *, user):
        # An unknown order (an old bookmark, a typed URL) is not a reason to
        # show nothing: the list uses the default order and says so.
        self.sort_ignored = ""
        # Only the pool's coordinators choose a body: another user's
        # inbox is their body's, and a body given is no filter of theirs.
        known = set(self.base_fields) | set(OTHER_PARAMETERS)
        if not sees_pool(user):
            known.discard("body")
        self.unknown = sorted(set(data or ()) - known)
        self.repeated = sorted(
            name
            for name in (data or ())
            if hasattr(data, "getlist") and len(data.getlist(name)) > 1
        )
        if data is not None and data.get("sort") and data["sort"] not in SORT_LABELS:
            self.sort_ignored = data["sort"]
            data = data.copy()
            del data["sort"]
        super().__init__(data)
        self.user = user
        self.for_pool = sees_pool(user)
        if self.for_pool:
            bodies = Body.objects.filter(is_active=True).order_by("name")
            self.fields["body"].choices = [("", _("All bodies"))] + [
                (b.code, b.name) for b in bodies
            ]
        else:
            del self.fields["body"]
        self.fields["status"].choices = [
            (OPEN, _("Open (not finished)")),
            (ALL, _("All statuses")),
            *Status.choices,
        ]
        categories = Category.objects.filter(is_active=True).order_by(
            "sort_order", "code"
        )
        self.fields["category"].choices = [("", _("All categories"))] + [
            (c.code, c.name) for c in categories
        ]
        groups = sorted({c.group for c in categories if c.group})
        self.fields["group"].choices = [("", _("All groups"))] + [
            (g, g) for g in groups
        ]
        self.fields["district"].choices = [("", _("All districts"))] + list(
            districts_active()
        )
        self.fields["sla"].choices = [("", _("Any SLA state"))] + list(
            sla.LABELS.items()
        )
        self.fields["sort"].choices = list(SORT_LABELS.items())

    def clean(self):
        data = super().clean()
        if self.repeated:
            raise forms.ValidationError(
                REPEATED_PARAMETERS
                % {"names": ", ".join(f"“{name[:40]}”" for name in self.repeated)}
            )
        if self.unknown:
            raise forms.ValidationError(
                UNKNOWN_PARAMETERS
                % {
                    "names": ", ".join(f"“{name[:40]}”" for name in self.unknown),
                    "known": ", ".join(self.fields),
                }
            )
        within, older = data.get("within"), data.get("older")
        if within and older and older >= within:
            raise forms.ValidationError(
                _(
                    "No request can be received within %(within)s days and be "
                    "older than %(older)s days; make “older than” smaller."
                )
                % {"within": within, "older": older}
            )
        return data

    def sort_notice(self):
        """What to tell the user about an ignored ``sort``, or ""."""
        if not self.sort_ignored:
            return ""
        return _(
            "Unknown order “%(given)s”: the list is shown in the default order "
            "(%(default)s). Choose one of: %(choices)s."
        ) % {
            "given": self.sort_ignored[:40],
            "default": SORT_LABELS["-received"],
            "choices": ", ".join(str(label) for label in SORT_LABELS.values()),
        }

    def selected_body(self):
        """The body a coordinator filtered on, or None."""
        code = self.cleaned_data.get("body") if self.for_pool else ""
        return Body.objects.filter(code=code).first() if code else None


def inbox_filtered(form, now=None):
    """The inbox rows ``form`` selects, sorted; None when the form is invalid.

    Each row carries ``district_code`` and ``sla_state``.
    """
    if not form.is_valid():
        return None
    now = now or timezone.now()
    data = form.cleaned_data
    rows = inbox_requests(form.user, form.selected_body())
    status = data.get("status") or OPEN
    if status == OPEN:
        rows = rows.filter(sla.open_q())
    elif status != ALL:
        rows = rows.filter(status=status)
    if data.get("category"):
        rows = rows.filter(category__code=data["category"])
    if data.get("group"):
        rows = rows.filter(category__group=data["group"])
    if data.get("within"):
        rows = rows.filter(requested_at__gte=now - dt.timedelta(days=data["within"]))
    if data.get("older"):
        rows = rows.filter(requested_at__lt=now - dt.timedelta(days=data["older"]))
    if data.get("sla"):
        rows = rows.filter(sla.state_q(data["sla"], now))
    rows = rows.annotate(
        district_code=district_code_expression(),
        sla_state=sla.state_expression(now),
    )
    if data.get("district"):
        rows = rows.filter(id__in=in_district(data["district"]))
    order = SORTS[data.get("sort") or "-received"]
    return rows.select_related(
        "category", "owner_body", "owner_department", "assigned_crew"
    ).order_by(*order)
