"""The staff map's filters: one form read from the query string.

The same filtered queryset feeds the bins, the markers, the lists behind a
bin, the counts beside the map and the district comparison, so every figure
on the page is about the same requests. Visibility comes first
(``geopool.visibility.requests_visible_to``): a body's staff filter within
what their body may see.

Query parameters: ``category`` (a code), ``group`` (a category group),
``body`` (the owning body's code), ``district`` (an official district code:
the requests whose point the district covers, ``in_district_area``),
``status``
(``all`` by default, ``open``, ``closed`` or one status), ``channel``, and
``date_from`` / ``date_to`` (``YYYY-MM-DD``, both days included, local
time).

Example: ``?category=COP&district=2080&status=open`` — open waste
collection requests in Antakya.
"""

import datetime as dt
from urllib.parse import urlencode

from django import forms
from django.contrib.gis.geos import Polygon
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from boundaries.models import Feature, FeaturePart
from geopool.models import Body, Category, Channel, Status
from geopool.spatial import STORAGE_SRID
from geopool.visibility import requests_visible_to, scope_body_of
from geopool.web.inbox import sla
from geopool.web.inbox.districts import district_generation, districts_active

ALL = "all"
OPEN = "open"
CLOSED = "closed"
FIELDS = (
    "category",
    "group",
    "body",
    "district",
    "status",
    "channel",
    "date_from",
    "date_to",
)
DATE_ERROR = _("Give a date as YYYY-MM-DD, e.g. 2026-02-06.")
DATE_ORDER_ERROR = _(
    "The start date %(start)s is after the end date %(end)s; swap them or clear one."
)


def _date_field(label):
    return forms.DateField(
        label=label,
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": DATE_ERROR},
    )


class MapFilter(forms.Form):
    category = forms.ChoiceField(label=_("Category"), required=False)
    group = forms.ChoiceField(label=_("Category group"), required=False)
    body = forms.ChoiceField(label=_("Owning body"), required=False)
    district = forms.ChoiceField(label=_("District"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    date_from = _date_field(_("Received from"))
    date_to = _date_field(_("Received until"))

    def __init__(self, data, *, user, for_page=False):
        super().__init__(data)
        self.user = user
        # A data answer only validates what was sent: the choice lists the
        # page shows are read from the database only when needed.
        needed = (lambda name: True) if for_page else (lambda name: data.get(name))
        categories = []
        if needed("category") or needed("group"):
            categories = Category.objects.filter(is_active=True)
            if not for_page:
                categories = categories.filter(
                    _sent(data, "category", "code") | _sent(data, "group", "group")
                )
            categories = categories.order_by("sort_order", "code").values_list(
                "code", "name", "group"
            )
        self.fields["category"].choices = [("", _("All categories"))] + [
            (code, name) for code, name, _group in categories
        ]
        groups = sorted({group for _code, _name, group in categories if group})
        self.fields["group"].choices = [("", _("All groups"))] + [
            (g, g) for g in groups
        ]
        bodies = []
        if needed("body"):
            bodies = Body.objects.filter(is_active=True)
            if not for_page:
                bodies = bodies.filter(_sent(data, "body", "code"))
            bodies = bodies.order_by("name").values_list("code", "name")
        self.fields["body"].choices = [("", _("All bodies"))] + list(bodies)
        self.fields["district"].choices = [("", _("All districts"))] + (
            list(districts_active()) if needed("district") else []
        )
        self.fields["status"].choices = [
            (ALL, _("All statuses")),
            (OPEN, _("Open (not finished)")),
            (CLOSED, _("Finished")),
            *Status.choices,
        ]
        self.fields["channel"].choices = [("", _("All channels"))] + list(
            Channel.choices
        )
        for field in self.fields.values():
            css = (
                "form-select"
                if isinstance(field, forms.ChoiceField)
                else "form-control"
            )
            field.widget.attrs["class"] = f"{css} form-{css[5:]}-sm"

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(DATE_ORDER_ERROR % {"start": start, "end": end})
        return data

    def errors_text(self):
        """The form's errors as one line per field, for JSON answers."""
        return {
            field: " ".join(str(e) for e in errors)
            for field, errors in self.errors.items()
        }

    def query_string(self):
        """The valid filters as a query string, for links and data URLs."""
        params = {
            name: str(self.cleaned_data[name])
            for name in FIELDS
            if self.cleaned_data.get(name) not in (None, "", ALL)
        }
        return urlencode(params)


def _sent(data, name, column):
    """Rows whose ``column`` is the value sent as ``name`` (none if not sent)."""
    value = data.get(name)
    return Q(**{column: value}) if value else Q(pk__in=[])


def _local_midnight(day):
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def map_filtered(form):
    """The requests ``form`` selects among those its user may see.

    Call only with a valid form. No ordering: callers aggregate or sort.
    """
    data = form.cleaned_data
    rows = requests_visible_to(form.user)
    if data.get("category"):
        rows = rows.filter(category__code=data["category"])
    if data.get("group"):
        rows = rows.filter(category__group=data["group"])
    if data.get("body"):
        rows = rows.filter(owner_body__code=data["body"])
    status = data.get("status") or ALL
    if status == OPEN:
        rows = rows.filter(sla.open_q())
    elif status == CLOSED:
        rows = rows.exclude(sla.open_q())
    elif status != ALL:
        rows = rows.filter(status=status)
    if data.get("channel"):
        rows = rows.filter(channel=data["channel"])
    if data.get("date_from"):
        rows = rows.filter(requested_at__gte=_local_midnight(data["date_from"]))
    # The last day a date can name has no next day: no upper bound then.
    if data.get("date_to") and data["date_to"] < dt.date.max:
        next_day = data["date_to"] + dt.timedelta(days=1)
        rows = rows.filter(requested_at__lt=_local_midnight(next_day))
    if data.get("district"):
        rows = in_district_area(rows, data["district"])
    return rows.order_by()


def selects_every_request(form):
    """Whether ``form`` (valid) selects every request: no filter, and a user
    who sees them all (``scope_body_of``)."""
    data = form.cleaned_data
    unfiltered = all(data.get(name) in (None, "", ALL) for name in FIELDS)
    return unfiltered and scope_body_of(form.user) is None


def in_district_area(rows, code):
    """``rows`` whose point district ``code`` covers (shared edges: lowest code).

    The district's whole geometry goes into the statement as one constant,
    which PostGIS prepares once and tests every request in the index's
    candidates against; the candidates are those in the boxes of the
    district's lookup parts (``_in_part_boxes``), not in the district's
    whole box. A point on an edge shared with a district of lower
    code is that district's, as routing decides. The inbox's form
    (``inbox.districts.in_district``) also takes in points routing snapped
    from offshore; the map counts those outside every district.
    """
    generation = district_generation()
    features = Feature.objects.filter(generation_id=generation)
    district = features.filter(code=code).first()
    if district is None:
        return rows.none()
    rows = rows.filter(location__coveredby=district.geometry).filter(
        _in_part_boxes(district)
    )
    lower = [
        f.geometry
        for f in features.filter(code__lt=code, geometry__intersects=district.geometry)
    ]
    if not lower:
        return rows
    union = lower[0]
    for geometry in lower[1:]:
        union = union.union(geometry)
    # Inside the district (not on its boundary) needs no second test.
    return rows.filter(
        Q(location__within=district.geometry) | ~Q(location__coveredby=union)
    )


# Wider than any rounding of a part's edges where ST_Subdivide cut them.
_BOX_MARGIN = 1e-9


def _in_part_boxes(district):
    """A condition the GiST index answers: in the box of one of its parts.

    A large district's box holds far more of its neighbours' requests than
    the boxes of its subdivided parts do (Antakya: 163,000 candidates for
    99,000 requests at a million, against 137,000), and reading candidates
    is most of the work. It only narrows what the exact tests see: every
    point the district covers lies in one of its parts' boxes.
    """
    parts = [p.geometry for p in FeaturePart.objects.filter(feature=district)]
    condition = Q()
    for geometry in parts or [district.geometry]:
        west, south, east, north = geometry.extent
        box = Polygon.from_bbox(
            (
                west - _BOX_MARGIN,
                south - _BOX_MARGIN,
                east + _BOX_MARGIN,
                north + _BOX_MARGIN,
            )
        )
        box.srid = STORAGE_SRID
        condition |= Q(location__bboverlaps=box)
    return condition
