"""The inbox list as CSV or Excel, without personal data.

The columns are fixed (``COLUMNS``) and none of them comes from the
caller: no name, phone, e-mail, T.C. kimlik no, and neither the description
nor the address, which citizens often fill with their own names and
numbers. Times are local (Europe/Istanbul). No cell is ever a formula: in
CSV a text a spreadsheet would run gets a leading apostrophe
(``geopool.spreadsheet``), in Excel such a text is typed as text.

CSV is UTF-8 with a byte-order mark, so Excel opens Turkish letters right.
"""

import csv
import io

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from geopool.models import Channel, Status
from geopool.spreadsheet import csv_text
from geopool.web.inbox import sla

# The most rows one export holds; narrower filters export the rest.
EXPORT_LIMIT = 100_000
DATETIME_FORMAT = "%Y-%m-%d %H:%M"

COLUMNS = [
    ("tracking_code", _("Tracking code")),
    ("category", _("Category")),
    ("status", _("Status")),
    ("owner", _("Owner")),
    ("department", _("Department")),
    ("district", _("District")),
    ("received", _("Received")),
    ("sla_due", _("SLA due")),
    ("sla_state", _("SLA state")),
    ("answered", _("Answered")),
    ("closed", _("Closed")),
    ("channel", _("Channel")),
]


def _local(value):
    """``value`` as naive local time (spreadsheets know no time zones)."""
    if value is None:
        return None
    return timezone.localtime(value).replace(tzinfo=None, microsecond=0)


# What an export reads of each request: plain values, no model instances
# (and none of the caller's data, the description, the address or the
# location).
FIELDS = [
    "tracking_code",
    "category__name",
    "status",
    "owner_body__name",
    "owner_department__name",
    "district_code",
    "requested_at",
    "sla_due_at",
    "sla_state",
    "answered_at",
    "closed_at",
    "channel",
]
_STATUS = dict(Status.choices)
_CHANNEL = dict(Channel.choices)


def export_rows(requests, district_names):
    """The exported rows of ``requests`` (an inbox queryset), as dicts."""
    values = requests.values(*FIELDS).iterator(chunk_size=2000)
    for item in values:
        code = item["district_code"]
        yield {
            "tracking_code": item["tracking_code"],
            "category": item["category__name"],
            "status": str(_STATUS.get(item["status"], item["status"])),
            "owner": item["owner_body__name"] or "",
            "department": item["owner_department__name"] or "",
            "district": district_names.get(code, code or ""),
            "received": _local(item["requested_at"]),
            "sla_due": _local(item["sla_due_at"]),
            "sla_state": str(sla.LABELS.get(item["sla_state"], "")),
            "answered": _local(item["answered_at"]),
            "closed": _local(item["closed_at"]),
            "channel": str(_CHANNEL.get(item["channel"], item["channel"])),
        }


def _text(value):
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return value.strftime(DATETIME_FORMAT)
    return str(value)


def _csv_text(value):
    return csv_text(_text(value))


def rows_csv(rows):
    """The CSV file of ``rows`` (export_row dicts), as bytes."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(label) for _key, label in COLUMNS])
    for row in rows:
        writer.writerow([_csv_text(row[key]) for key, _label in COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def rows_xlsx(rows, title):
    """The Excel workbook of ``rows`` (export_rows dicts), as bytes."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    bold = Font(bold=True)
    header = []
    for _key, label in COLUMNS:
        cell = WriteOnlyCell(sheet, value=str(label))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        # Plain values are the fast path; openpyxl makes a text starting
        # with "=" a formula, so such a text gets a cell typed as text.
        sheet.append([_xlsx_value(sheet, row[key]) for key, _label in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_value(sheet, value):
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value
