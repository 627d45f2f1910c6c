"""CSV and Excel exports of the filtered inbox, without personal data."""

import csv
import datetime as dt
import io
import zipfile

import pytest
import time_machine
from openpyxl import load_workbook

from geopool.models import Event, Status
from geopool.services.workflow import status_change
from tests.web.inbox.conftest import CONTACT, local, make_request
from tests.web.inbox.pages import text

pytestmark = pytest.mark.django_db

HEADER = [
    "Takip kodu",
    "Kategori",
    "Durum",
    "Sahibi",
    "Birim",
    "İlçe",
    "Alındı",
    "SLA bitişi",
    "SLA durumu",
    "Yanıtlandı",
    "Kapatıldı",
    "Kanal",
]
# Every piece of the caller's contact, and parts a search might find.
PERSONAL = [
    "Ayşe",
    "Yılmaz",
    "05321234517",
    "1234517",
    "ayse.yilmaz@example.com",
    "ayse.yilmaz",
    "12345678901",
]
MONDAY_9 = local(2026, 12, 7, 9, 0)


@pytest.fixture
def called(hatay, staff):
    """A caller's request with full contact data, described with their name."""
    with time_machine.travel(MONDAY_9, tick=False):
        request = make_request(
            at=MONDAY_9,
            address="ÜRGEN CADDESİ No:5",
            description="Ayşe Yılmaz aradı, 05321234517 numarasından geri aranacak",
            contact=CONTACT,
        )
    return request


def _csv_rows(response):
    content = response.content
    assert content.startswith("\ufeff".encode())  # BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _xlsx_rows(response):
    book = load_workbook(io.BytesIO(response.content))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def _all_bytes(response, fmt):
    """The file's bytes; for Excel, also every member of the zip unpacked."""
    if fmt == "csv":
        return response.content
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return b"".join(archive.read(name) for name in archive.namelist())


def test_csv_has_the_columns_and_the_values_staff_see(client, staff, called):
    client.force_login(staff["manager"])
    with time_machine.travel(local(2026, 12, 7, 10, 0), tick=False):
        response = client.get("/inbox/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="gelen-kutusu-20261207-1000.csv"'
    )
    assert _csv_rows(response) == [
        HEADER,
        [
            called.tracking_code,
            "Çöp toplama ve konteyner",
            "Yeni",
            "Antakya Belediyesi",
            "",
            "Antakya",
            "2026-12-07 09:00",
            "2026-12-08 09:00",
            "Zamanında",
            "",
            "",
            "Telefon",
        ],
    ]


def test_excel_has_the_same_columns_with_real_dates(client, staff, called):
    with time_machine.travel(local(2026, 12, 7, 10, 0), tick=False):
        status_change(called, Status.ACCEPTED, actor=staff["antakya"])
        status_change(
            called, Status.RESOLVED, actor=staff["antakya"], answer="Boşaltıldı."
        )
    client.force_login(staff["manager"])
    response = client.get("/inbox/export.xlsx?status=all")
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    header, row = _xlsx_rows(response)
    assert header == HEADER
    assert row == [
        called.tracking_code,
        "Çöp toplama ve konteyner",
        "Çözüldü",
        "Antakya Belediyesi",
        None,
        "Antakya",
        dt.datetime(2026, 12, 7, 9, 0),
        None,  # the clock stopped when it was resolved
        None,
        dt.datetime(2026, 12, 7, 10, 0),
        dt.datetime(2026, 12, 7, 10, 0),
        "Telefon",
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_carry_no_personal_data(client, staff, called, fmt):
    client.force_login(staff["manager"])
    response = client.get(f"/inbox/export.{fmt}")
    assert response.status_code == 200
    content = _all_bytes(response, fmt)
    assert called.tracking_code.encode() in content
    for value in PERSONAL:
        assert value.encode() not in content, value
    # Neither the description nor the address, where callers write them.
    assert "ÜRGEN".encode() not in content
    assert b"aranacak" not in content


def test_export_holds_the_filtered_rows_of_every_page(client, staff, hatay, defne):
    kept = [make_request("COP") for _ in range(3)]
    make_request("KALDIRIM")
    make_request("COP", point=defne)  # Defne's: never in Antakya's export
    client.force_login(staff["manager"])
    rows = _csv_rows(client.get("/inbox/export.csv?category=COP&page=2"))
    assert sorted(row[0] for row in rows[1:]) == sorted(r.tracking_code for r in kept)


def test_export_needs_the_export_permission(client, staff, called):
    client.force_login(staff["antakya"])  # body staff: no export_requests
    for fmt in ("csv", "xlsx"):
        response = client.get(f"/inbox/export.{fmt}")
        assert response.status_code == 403
        assert "Başvuru listelerini dışa aktarmak kurum yöneticileri" in text(response)
    assert "CSV olarak aktar" not in text(client.get("/inbox/"))
    client.force_login(staff["manager"])
    assert "CSV olarak aktar" in text(client.get("/inbox/"))


def test_export_with_bad_filters_is_refused_with_the_reason(client, staff, called):
    client.force_login(staff["manager"])
    response = client.get("/inbox/export.csv?within=many")
    assert response.status_code == 400
    assert text(response) == (
        "Süzgeçler geçerli değil: Son kaç günde alındı: 1 ile 3650 arasında tam bir "
        "gün sayısı yazın."
    )


def test_unknown_export_format_is_not_found(client, staff, called):
    client.force_login(staff["manager"])
    assert client.get("/inbox/export.pdf").status_code == 404


def test_every_export_is_on_the_record(client, staff, called):
    client.force_login(staff["manager"])
    client.get("/inbox/export.csv?category=COP")
    event = Event.objects.get(action="requests.export")
    assert (event.actor, event.after) == (
        staff["manager"],
        {"format": "csv", "rows": 1, "filters": "category=COP"},
    )


def test_no_cell_is_ever_a_formula(client, staff, hatay):
    from geopool.models import Category

    Category.objects.create(
        code="FORMUL", name='=HYPERLINK("http://example.com")', group="Deneme"
    )
    request = make_request("FORMUL")
    client.force_login(staff["coordinator"])
    rows = _csv_rows(client.get("/inbox/export.csv?category=FORMUL"))
    assert rows[1][:2] == [request.tracking_code, '\'=HYPERLINK("http://example.com")']
    response = client.get("/inbox/export.xlsx?category=FORMUL")
    cell = load_workbook(io.BytesIO(response.content)).active["B2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://example.com")', "s")
    # Spreadsheets drop a leading tab or carriage return, then run the rest.
    Category.objects.filter(code="FORMUL").update(name="\t=1+1")
    rows = _csv_rows(client.get("/inbox/export.csv?category=FORMUL"))
    assert rows[1][1] == "'\t=1+1"


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+90 532", "'+90 532"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Çöp = dolu", "Çöp = dolu"),
        ("", ""),
    ],
)
def test_csv_text_keeps_spreadsheets_from_running_a_cell(text, written):
    from geopool.spreadsheet import csv_text

    assert csv_text(text) == written
