"""``/map/``: the staff heat map, its data answers, lists and CSV export.

Every view is wrapped in ``staff_required`` and reads the same filters
(``MapFilter``) over the requests its user may see. Bad parameters answer
400 with what was wrong and what was expected, never 500.

- ``GET /map/``: the page; the browser draws it with ``staff_map.js``;
- ``GET /map/data/view/?bbox=&zoom=&…``: markers or bins for the viewport;
- ``GET /map/data/districts/?…``: the district comparison and the totals;
- ``GET /map/data/layers/<code>/``: a layer's active features (GeoJSON);
- ``GET /map/requests/?…&cell=i,j&zoom=`` (or ``code=``, or ``unmapped=1``):
  the paged list of the requests behind a bin, a marker, or without a
  mappable location (an HTML fragment);
- ``GET /map/districts.csv?…``: the district comparison as CSV.
"""

import csv
import io
import logging

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geopool.models import Jurisdiction, Status
from geopool.spreadsheet import csv_text
from geopool.web.access import staff_required
from geopool.web.inbox.districts import district_layer
from geopool.web.l10n import count_text, datetime_text
from geopool.web.staffmap import bins
from geopool.web.staffmap.figures import district_figures
from geopool.web.staffmap.filters import (
    MapFilter,
    map_filtered,
    selects_every_request,
)
from geopool.web.staffmap.layers import layer_bounds, layer_geojson, layers_active

logger = logging.getLogger(__name__)

LIST_PAGE_SIZE = 20
MODES = ("full", "districts")


def _bad_filters(form):
    return JsonResponse({"errors": form.errors_text()}, status=400)


def _filtered_or_error(request, for_page=False):
    """The filter form and its requests; None instead when the form is invalid."""
    form = MapFilter(request.GET, user=request.user, for_page=for_page)
    if not form.is_valid():
        return form, None
    return form, map_filtered(form)


@staff_required
def map_page(request):
    """``GET /map/``: filters, the map, totals, legend and district table."""
    form, requests = _filtered_or_error(request, for_page=True)
    mode = request.GET.get("layers", "full")
    if mode not in MODES:
        mode = "full"
    query = form.query_string() if requests is not None else ""
    config = {
        "query": query,
        "mode": mode,
        "urls": {
            "view": reverse("map-view-data"),
            "districts": reverse("map-district-data"),
            "layer": reverse("map-layer-data", args=["__code__"]),
            "requests": reverse("map-requests"),
            "csv": reverse("map-districts-csv"),
        },
        "district_layer": district_layer(),
        "bounds": layer_bounds(district_layer()),
        "layers": layers_active(),
        "tiles": {
            "url": settings.GEOPOOL_TILE_URL,
            "attribution": settings.GEOPOOL_TILE_ATTRIBUTION,
        },
        "cell_px": bins.CELL_PX,
        "marker_limit": bins.MARKER_LIMIT,
        "max_zoom": 18,
        "text": _js_text(),
    }
    jurisdiction = Jurisdiction.objects.order_by("id").first()
    context = {
        "form": form,
        "config": config,
        "csv_query": query,
        "population_source": (
            jurisdiction.settings.get("population_source", "") if jurisdiction else ""
        ),
    }
    status = 400 if requests is None else 200
    return render(request, "web/map.html", context, status=status)


@staff_required
def view_data(request):
    """Markers or bins of the filtered requests in the viewport."""
    form, requests = _filtered_or_error(request)
    if requests is None:
        return _bad_filters(form)
    try:
        view = bins.viewport_parse(request.GET.get("bbox"), request.GET.get("zoom"))
    except bins.ViewError as error:
        return JsonResponse({"errors": {"view": str(error)}}, status=400)
    answer = bins.markers_or_bins(
        requests, view, every_request=selects_every_request(form)
    )
    return JsonResponse(answer)


@staff_required
def district_data(request):
    """The district comparison and the totals beside the map, as JSON."""
    form, requests = _filtered_or_error(request)
    if requests is None:
        return _bad_filters(form)
    figures = district_figures(requests)
    totals = _totals(requests)
    in_districts = sum(f.requests for f in figures)
    return JsonResponse(
        {
            "totals": {
                **totals,
                "in_districts": in_districts,
                "outside_districts": totals["mappable"] - in_districts,
            },
            "districts": [_figures_json(f) for f in figures],
        }
    )


def _totals(requests):
    counts = requests.aggregate(
        total=Count("id"),
        without_location=Count("id", filter=Q(location__isnull=True)),
        mappable=Count("id", filter=Q(bins.DRAWN)),
    )
    counts["unmappable"] = (
        counts["total"] - counts["without_location"] - counts["mappable"]
    )
    return counts


def _figures_json(f):
    return {
        "code": f.code,
        "name": f.name,
        "population": f.population,
        "population_year": f.population_year,
        "requests": f.requests,
        "per_1000": f.per_1000,
        "median_resolve_h": f.median_resolve_h,
        "resolved_with_target": f.resolved_with_target,
        "sla_share": f.sla_share,
        "backlog": f.backlog,
        "transfers": f.transfers,
    }


@staff_required
def layer_data(request, code):
    """One layer's active features, names and codes only."""
    collection = layer_geojson(code)
    if collection is None:
        raise Http404(f"layer {code!r} has no active generation")
    return JsonResponse(collection)


@staff_required
def request_list(request):
    """The paged requests behind a bin, a marker or the unmappable count."""
    form, requests = _filtered_or_error(request)
    if requests is None:
        return _bad_filters(form)
    try:
        rows, heading = _list_rows(request, requests)
    except bins.ViewError as error:
        return JsonResponse({"errors": {"list": str(error)}}, status=400)
    rows = rows.select_related("category", "owner_body").order_by(
        "-requested_at", "-id"
    )
    page = Paginator(rows, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    items = [
        {
            "code": r.tracking_code,
            "category": r.category.name,
            "status": Status(r.status).label,
            "owner": _owner(r),
            "received": datetime_text(r.requested_at),
            "description": _head(r.description),
            "located": r.location is not None,
        }
        for r in page.object_list
    ]
    context = {
        "page": page,
        "items": items,
        "heading": heading,
        "count": count_text(page.paginator.count),
    }
    return render(request, "web/_map_requests.html", context)


def _list_rows(request, requests):
    if request.GET.get("unmapped"):
        return (
            requests.exclude(bins.DRAWN),
            _("Requests without a location the map can show"),
        )
    if request.GET.get("code"):
        return (
            requests.filter(tracking_code=request.GET["code"]),
            _("Request %(code)s") % {"code": request.GET["code"]},
        )
    zoom = request.GET.get("zoom")
    try:
        level = int(zoom)
    except (TypeError, ValueError):
        level = -1
    if not bins.MIN_ZOOM <= level <= bins.MAX_ZOOM:
        raise bins.ViewError(
            bins.ZOOM_ERROR
            % {
                "min": bins.MIN_ZOOM,
                "max": bins.MAX_ZOOM,
                "value": zoom or _("nothing"),
            }
        )
    i, j = bins.cell_parse(request.GET.get("cell"))
    return bins.in_cell(requests, level, i, j), _("Requests in this bin")


def _owner(request):
    body = request.owner_body
    return (body.short_name or body.name) if body else "—"


def _head(text, chars=160):
    text = text or ""
    return text if len(text) <= chars else text[:chars] + "…"


CSV_COLUMNS = [
    ("code", gettext_lazy("District code")),
    ("name", gettext_lazy("District")),
    ("population", gettext_lazy("Population")),
    ("population_year", gettext_lazy("Population year")),
    ("requests", gettext_lazy("Requests")),
    ("per_1000", gettext_lazy("Requests per 1,000 residents")),
    ("median_resolve_h", gettext_lazy("Median time to resolve (hours)")),
    ("resolved_with_target", gettext_lazy("Resolved with an SLA target")),
    ("sla_share", gettext_lazy("Share resolved within SLA")),
    ("backlog", gettext_lazy("Open backlog")),
    ("transfers", gettext_lazy("Transfers")),
]


@staff_required
def districts_csv(request):
    """The district comparison on the page's filters, as UTF-8 CSV."""
    form, requests = _filtered_or_error(request)
    if requests is None:
        return _bad_filters(form)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([str(label) for _key, label in CSV_COLUMNS])
    for f in district_figures(requests):
        row = _figures_json(f)
        writer.writerow([_csv_cell(row[key]) for key, _label in CSV_COLUMNS])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="districts.csv"'
    return response


def _csv_cell(value):
    """Numbers with a decimal point (4 places), empty for none; a name (from
    a layer's upload) never as a formula."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, str):
        return csv_text(value)
    return value


def _js_text():
    """The words ``staff_map.js`` shows, in the page's language."""
    return {
        "districts": _("Districts"),
        "heat": _("Heat map (bins)"),
        "markers": _("Requests (markers)"),
        "requests": _("requests"),
        "open": _("Open request page"),
        "loading": _("Loading…"),
        "failed": _("The map data could not be loaded: "),
        "per_1000": _("Requests per 1,000 residents"),
        "requests_metric": _("Requests"),
        "median_resolve_h": _("Median time to resolve (hours)"),
        "sla_share": _("Share resolved within SLA"),
        "backlog": _("Open backlog"),
        "transfers": _("Transfers"),
        "no_data": _("no data"),
        "bins_legend": _("Requests per bin"),
        "markers_legend": _("Requests"),
        "open_label": _("open"),
        "closed_label": _("finished"),
        "urgent_label": _("urgent"),
        "osm": _("© OpenStreetMap contributors (ODbL)"),
        "year_unknown": _("year not stated"),
        "truncated": _("layer cut at 5,000 features"),
    }
