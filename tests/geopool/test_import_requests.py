"""Importing historic requests: ``manage.py import_requests CSV``.

Each test writes a small CSV into ``tmp_path``. The places are real Hatay
places (the ``hatay`` fixture loads the pack and the districts):

- ANTAKYA_POINT, lat 36.2021 / long 36.1603, inside Antakya: a ``COP``
  request there is Antakya Belediyesi's under today's rules
  (``ILCE-HIZMETLERI``);
- ERZIN_POINT, lat 36.95 / long 36.2, inside Erzin; with lat and long
  swapped (lat 36.2 / long 36.95) it lies in Syria, more than the 20 km
  service-area buffer away from every district.

Times: Türkiye kept daylight saving until 2016, so 2015-01-15 12:00 in
Istanbul is +02:00 (10:00 UTC) and 2015-07-01 12:00 is +03:00 (09:00 UTC).
"""

import csv
from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.core.management import CommandError, call_command

import shapely

from geopool.models import Channel, Contact, ServiceRequest, Status
from geopool.services.history import (
    ALREADY_IMPORTED,
    REQUIRED,
    BadRow,
    HistoryError,
    MissingColumns,
    NotUtf8,
    history_import,
)
from geopool.services.history.checks import TIME_EXAMPLE
from geopool.services.history.reading import Utf8Lines
from geopool.services.history.writing import _points_ewkb
from geopool.spatial import STORAGE_SRID
from geopool.tracking import tracking_code_normalize
from routing_rules.models import Decision

ISTANBUL = ZoneInfo("Europe/Istanbul")
HEADER = [*REQUIRED, "address_string"]
ANTAKYA_POINT = ("36.2021", "36.1603")  # (lat, long)
ERZIN_POINT = ("36.95", "36.2")


def row(external_id, /, **values):
    """A good row (a closed COP request at Antakya recorded for HBB), changed."""
    lat, long = values.pop("point", ANTAKYA_POINT)
    base = {
        "service_code": "COP",
        "lat": lat,
        "long": long,
        "description": "Çöp konteyneri dolu",
        "requested_datetime": "2015-01-15 12:00",
        "status": "closed",
        "closed_datetime": "2015-01-16 09:30",
        "recorded_owner": "HBB",
        "external_id": external_id,
        "address_string": "Kurtuluş Cd.",
    }
    base.update(values)
    return base


def write_csv(path, rows, header=HEADER, encoding="utf-8"):
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for values in rows:
            writer.writerow([values.get(column, "") for column in header])
    return path


@pytest.fixture
def history_csv(tmp_path):
    def make(rows, name="history.csv", **options):
        return write_csv(tmp_path / name, rows, **options)

    return make


@pytest.mark.parametrize(
    ("status", "resolved"),
    [("closed", True), ("resolved", True), ("refused", False), ("duplicate", False)],
)
def test_a_done_rows_closing_time_is_when_it_was_resolved(
    hatay, history_csv, status, resolved
):
    path = history_csv([row("crm-1", status=status)])

    history_import(path, commit=True)

    stored = ServiceRequest.objects.get()
    closed = datetime(2015, 1, 16, 7, 30, tzinfo=UTC)  # 09:30 in Istanbul
    assert (stored.status, stored.closed_at) == (status, closed)
    assert stored.resolved_at == (closed if resolved else None)


def test_rows_keep_recorded_owner_and_status_with_todays_decision_beside(
    hatay, history_csv
):
    path = history_csv(
        [
            row("crm-1"),
            row(
                "crm-2",
                requested_datetime="2015-07-01 12:00",
                status="open",
                closed_datetime="",
                address_string="",
            ),
            row(
                "crm-3",
                requested_datetime="2015-01-15T12:00:00+03:00",
                status="Resolved",
                closed_datetime="",
            ),
        ]
    )

    summary = history_import(path, commit=True)

    assert (summary.read, summary.written, summary.skipped) == (3, 3, [])
    assert (summary.routed, summary.triage, summary.changed) == (3, 0, 3)
    assert summary.owners == {"ANTAKYA": 3}
    winter, summer, with_offset = ServiceRequest.objects.order_by("external_id")
    assert winter.owner_body.code == "HBB"
    assert winter.recorded_owner == "HBB"
    assert winter.status == Status.CLOSED
    assert winter.channel == Channel.HISTORY
    assert winter.category.code == "COP"
    assert (winter.location.x, winter.location.y) == (36.1603, 36.2021)
    assert winter.description == "Çöp konteyneri dolu"
    assert winter.address_string == "Kurtuluş Cd."
    assert not winter.needs_triage
    # Naive times are Istanbul wall-clock time with that day's offset.
    assert winter.requested_at == datetime(2015, 1, 15, 10, 0, tzinfo=UTC)
    assert winter.requested_at.astimezone(ISTANBUL).utcoffset() == timedelta(hours=2)
    assert winter.closed_at == datetime(2015, 1, 16, 7, 30, tzinfo=UTC)
    assert summer.requested_at == datetime(2015, 7, 1, 9, 0, tzinfo=UTC)
    assert summer.requested_at.astimezone(ISTANBUL).utcoffset() == timedelta(hours=3)
    assert (summer.status, summer.closed_at) == (Status.ASSIGNED, None)
    assert summer.resolved_at is None
    # A time with an offset keeps it: 12:00+03:00 is 09:00 UTC, even in winter.
    assert with_offset.requested_at == datetime(2015, 1, 15, 9, 0, tzinfo=UTC)
    assert with_offset.status == Status.RESOLVED
    # Today's rules give the request to Antakya; the request stays HBB's.
    decision = Decision.objects.get(request=winter, is_current=True)
    assert decision.owner_body.code == "ANTAKYA"
    assert decision.rule_code == "ILCE-HIZMETLERI"
    assert "Antakya Belediyesi" in decision.explanation_tr
    assert Decision.objects.filter(is_current=True).count() == 3
    codes = [r.tracking_code for r in (winter, summer, with_offset)]
    assert len(set(codes)) == 3
    assert all(tracking_code_normalize(code) == code for code in codes)
    assert not Contact.objects.exists()


# Each case: the values that make line 3 bad, and the reason given for it.
BAD_ROWS = [
    pytest.param(
        {"service_code": "CÖP"}, "unknown service_code 'CÖP'; known: ", id="category"
    ),
    pytest.param(
        {"point": ("36,2021", "36.1603")},
        "lat='36,2021' uses a decimal comma; write decimal degrees with a point, "
        "e.g. 36.2021",
        id="decimal-comma",
    ),
    pytest.param(
        {"point": ("136.2", "36.1603")},
        "lat='136.2' is out of range; expected -90.0 to 90.0 (are lat and long "
        "swapped?)",
        id="out-of-range",
    ),
    pytest.param(
        {"point": ERZIN_POINT[::-1]},
        "the point lat=36.2, long=36.95 is more than 20,000 m from every district",
        id="swapped-outside-the-service-area",
    ),
    pytest.param(
        {"point": ("", "36.1603")},
        "lat is empty but long is given; give both or neither",
        id="half-a-point",
    ),
    pytest.param(
        {"requested_datetime": "15.01.2015 12:00"},
        f"requested_datetime='15.01.2015 12:00' is not a date and time; expected "
        f"ISO 8601, e.g. {TIME_EXAMPLE}",
        id="date",
    ),
    pytest.param(
        {
            "requested_datetime": "2015-01-16 12:00",
            "closed_datetime": "2015-01-16 9:00",
        },
        "closed_datetime='2015-01-16 9:00' is not a date and time",
        id="closed-date",
    ),
    pytest.param(
        {"closed_datetime": "2015-01-14 12:00"},
        "closed_datetime 2015-01-14 12:00+02:00 is before requested_datetime "
        "2015-01-15 12:00+02:00",
        id="closed-before-requested",
    ),
    pytest.param(
        {"requested_datetime": "2099-01-15 12:00", "closed_datetime": ""},
        "requested_datetime 2099-01-15 12:00 is out of range; expected a year "
        "from 1900 to now",
        id="future",
    ),
    pytest.param(
        {"recorded_owner": "HATSUU"},
        "unknown recorded_owner 'HATSUU'; known: ",
        id="owner",
    ),
    pytest.param(
        {"status": "pending"},
        "unknown status 'pending'; expected open, closed (Open311) or one of "
        "geopool's: new, assigned,",
        id="status",
    ),
    pytest.param(
        {"status": "in_progress"},
        "closed_datetime is given but status 'in_progress' is open",
        id="open-with-closed-time",
    ),
    pytest.param(
        {"external_id": "crm-1"},
        "duplicate external_id 'crm-1' (first at line 2)",
        id="duplicate-in-file",
    ),
    pytest.param({"external_id": ""}, "external_id is empty", id="no-external-id"),
]


@pytest.mark.parametrize(("values", "reason"), BAD_ROWS)
def test_bad_row_is_skipped_and_reported_with_its_line(
    hatay, history_csv, values, reason
):
    path = history_csv([row("crm-1"), row("crm-2", **values), row("crm-3")])

    summary = history_import(path, commit=True)

    assert [line for line, _ in summary.errors] == [3]
    assert summary.errors[0][1].startswith(reason)
    assert summary.written == 2
    stored = ServiceRequest.objects.values_list("external_id", flat=True)
    assert sorted(stored) == ["crm-1", "crm-3"]


def test_swapped_point_is_told_that_swapping_fits(hatay, history_csv):
    path = history_csv([row("crm-1", point=ERZIN_POINT[::-1])])

    (line, reason), *_ = history_import(path).errors

    assert line == 2
    assert reason.endswith("with lat and long swapped it would lie in the service area")


def test_row_with_the_wrong_number_of_fields_is_reported(hatay, tmp_path):
    path = write_csv(tmp_path / "h.csv", [row("crm-1")])
    with path.open("a", encoding="utf-8") as handle:
        handle.write("COP,36.2,36.16,too short\n")

    summary = history_import(path)

    assert summary.errors == [(3, "has 4 fields; the header has 10")]


def test_several_problems_of_one_row_are_all_named(hatay, history_csv):
    path = history_csv([row("crm-1", service_code="X", recorded_owner="Y")])

    ((line, reason),) = history_import(path).errors

    assert line == 2
    assert "unknown service_code 'X'" in reason
    assert "unknown recorded_owner 'Y'" in reason


@pytest.mark.parametrize("commit", [True, False], ids=["commit", "dry-run"])
def test_duplicates_are_found_across_chunks(hatay, history_csv, commit):
    # Lines 2-11 hold crm-1 .. crm-10; line 12 repeats crm-1, line 13 crm-6.
    numbers = [*range(1, 11), 1, 6]
    path = history_csv([row(f"crm-{n}") for n in numbers])

    summary = history_import(path, commit=commit, chunk=2)

    assert summary.errors == [
        (12, "duplicate external_id 'crm-1' (first at line 2)"),
        (13, "duplicate external_id 'crm-6' (first at line 7)"),
    ]
    assert summary.written == 10
    assert ServiceRequest.objects.count() == (10 if commit else 0)


def test_strict_stops_at_the_first_bad_row_and_writes_nothing(hatay, history_csv):
    path = history_csv(
        [
            row("crm-1"),
            row("crm-2", status="pending"),
            row("crm-3", point=ERZIN_POINT[::-1]),
        ]
    )

    with pytest.raises(BadRow) as refused:
        history_import(path, commit=True, strict=True, chunk=2)

    assert refused.value.line == 3
    assert str(refused.value).startswith("line 3: unknown status 'pending'")
    assert not ServiceRequest.objects.exists()
    assert not Decision.objects.exists()


def test_strict_names_the_first_bad_row_even_when_routing_finds_it(hatay, history_csv):
    path = history_csv(
        [row("crm-1", point=ERZIN_POINT[::-1]), row("crm-2", status="pending")]
    )

    with pytest.raises(BadRow) as refused:
        history_import(path, commit=True, strict=True)

    assert refused.value.line == 2
    assert not ServiceRequest.objects.exists()


def test_dry_run_writes_nothing_and_says_what_would_be_written(hatay, history_csv):
    path = history_csv(
        [row("crm-1"), row("crm-2", point=ERZIN_POINT[::-1]), row("crm-3")]
    )

    summary = history_import(path)

    assert not summary.committed
    assert (summary.written, summary.routed, summary.changed) == (2, 2, 2)
    assert [line for line, _ in summary.errors] == [3]
    assert not ServiceRequest.objects.exists()
    assert not Decision.objects.exists()


def test_running_an_import_again_skips_what_it_stored(hatay, history_csv):
    first = history_csv([row("crm-1"), row("crm-2")])
    history_import(first, commit=True)
    again = history_csv([row("crm-1"), row("crm-2"), row("crm-3")], name="b.csv")

    summary = history_import(again, commit=True)

    assert summary.errors == []
    assert summary.skipped == [(2, ALREADY_IMPORTED), (3, ALREADY_IMPORTED)]
    assert (summary.already_imported, summary.written) == (2, 1)
    assert ServiceRequest.objects.count() == 3
    assert Decision.objects.filter(is_current=True).count() == 3


def test_request_without_a_location_is_kept_and_left_to_triage_today(
    hatay, history_csv
):
    path = history_csv([row("crm-1", point=("", ""), recorded_owner="ANTAKYA")])

    summary = history_import(path, commit=True)

    request = ServiceRequest.objects.get()
    assert (request.location, request.location_source) == (None, "")
    assert (request.owner_body.code, request.needs_triage) == ("ANTAKYA", False)
    assert (summary.without_location, summary.triage) == (1, 1)
    assert "triage" in request.decisions.get(is_current=True).flags


def test_file_that_is_not_utf8_is_refused_with_the_byte_offset(hatay, tmp_path):
    path = write_csv(tmp_path / "h.csv", [row("crm-1")], encoding="cp1254")
    offset = path.read_bytes().index("Ç".encode("cp1254"))

    with pytest.raises(NotUtf8) as refused:
        history_import(path, commit=True)

    assert (refused.value.offset, refused.value.line) == (offset, 2)
    assert f"byte 0xC7 at byte offset {offset} (line 2)" in str(refused.value)
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize("block", [7, 64, 1 << 20])
def test_lines_read_in_blocks_are_the_files_lines(tmp_path, monkeypatch, block):
    monkeypatch.setattr(Utf8Lines, "BLOCK", block)
    text = '\ufeffa,b\nÇöp,"iki\r\nsatır"\n\nşu satır bir bloktan uzun' * 3
    path = tmp_path / "h.csv"
    path.write_bytes(text.encode())
    lines = Utf8Lines(path.open("rb"), "h.csv")

    read = list(lines)

    expected = [line.decode() for line in path.open("rb")]
    expected[0] = expected[0].removeprefix("\ufeff")
    assert read == expected
    assert lines.offset == path.stat().st_size
    assert lines.line(len(read)) == expected[-1]


@pytest.mark.parametrize("block", [5, 30, 1 << 20])
def test_a_byte_that_is_not_utf8_is_named_by_line_and_offset_in_any_block(
    tmp_path, monkeypatch, block
):
    monkeypatch.setattr(Utf8Lines, "BLOCK", block)
    head = "a,b\nc,d\nÇöp,e\n".encode()
    path = tmp_path / "h.csv"
    path.write_bytes(head + b"f,\xc7g\nh,i\n")

    with pytest.raises(NotUtf8) as refused:
        list(Utf8Lines(path.open("rb"), "h.csv"))

    assert (refused.value.offset, refused.value.line) == (len(head) + 2, 4)


def test_byte_order_mark_is_accepted(hatay, tmp_path):
    path = write_csv(tmp_path / "h.csv", [row("crm-1")], encoding="utf-8-sig")

    assert history_import(path).written == 1


def test_missing_column_is_refused_naming_missing_and_found(hatay, history_csv):
    header = [c for c in HEADER if c not in ("status", "external_id")]
    path = history_csv([row("crm-1")], header=header)

    with pytest.raises(MissingColumns) as refused:
        history_import(path)

    assert refused.value.missing == ["status", "external_id"]
    message = str(refused.value)
    assert "lacks the column(s) status, external_id" in message
    assert ", ".join(header) in message


def test_command_is_a_dry_run_unless_told_to_commit(hatay, history_csv, caplog):
    path = history_csv([row("crm-1"), row("crm-2", recorded_owner="NOBODY")])
    out = StringIO()

    with caplog.at_level("INFO", logger="geopool.services.history"):
        call_command("import_requests", str(path), "--no-progress", stdout=out)

    assert "line 3: unknown recorded_owner 'NOBODY'" in out.getvalue()
    assert "2 rows read: 1 would be written, 1 bad" in out.getvalue()
    # The log line says the same: a dry run writes nothing.
    assert f"history {path.name} (dry run): 2 rows read, 1 would be written" in (
        caplog.text
    )
    assert not ServiceRequest.objects.exists()

    call_command("import_requests", str(path), "--commit", "--no-progress", stdout=out)

    assert ServiceRequest.objects.get().external_id == "crm-1"


def test_command_writes_every_skipped_row_to_the_report(hatay, history_csv, tmp_path):
    path = history_csv([row("crm-1", status="?"), row("crm-2")])
    report = tmp_path / "skipped.csv"

    call_command(
        "import_requests", str(path), "--report", str(report), stdout=StringIO()
    )

    lines = list(csv.reader(report.open(encoding="utf-8")))
    assert lines[0] == ["line", "reason"]
    assert lines[1][0] == "2" and lines[1][1].startswith("unknown status '?'")


def test_command_turns_a_refused_file_into_a_command_error(hatay, history_csv):
    path = history_csv([row("crm-1"), row("crm-2", status="?")])

    with pytest.raises(CommandError, match=r"^line 3: unknown status '\?'"):
        call_command("import_requests", str(path), "--strict", "--no-progress")


def test_times_out_of_range_or_skipped_by_the_clocks_are_refused(hatay, history_csv):
    path = history_csv(
        [
            row("crm-1", requested_datetime="0001-01-01 00:00", closed_datetime=""),
            # 2016-03-27: Türkiye's clocks went from 03:00 to 04:00.
            row("crm-2", requested_datetime="2016-03-27 03:30", closed_datetime=""),
            row("crm-3", requested_datetime="2016-03-27 02:30", closed_datetime=""),
            row("crm-4", requested_datetime="9999-12-31T23:59-14:00"),
            # The last day Python's dates hold, without an offset.
            row("crm-5", requested_datetime="9999-12-31 23:59", closed_datetime=""),
            row("crm-6", requested_datetime="2015-01-15 12:00"),
            row("crm-7", closed_datetime="9999-12-31 23:59"),
        ]
    )
    summary = history_import(path)
    assert summary.written == 2
    assert summary.skipped == [
        (
            2,
            "requested_datetime 0001-01-01 00:00 is out of range; expected a year "
            "from 1900 to now",
        ),
        (
            3,
            "requested_datetime 2016-03-27 03:30 does not exist in "
            "Europe/Istanbul: the clocks went forward over it; check the source "
            "system",
        ),
        (
            5,
            "requested_datetime 9999-12-31T23:59-14:00 is out of range; expected "
            "a year from 1900 to now",
        ),
        (
            6,
            "requested_datetime 9999-12-31 23:59 is out of range; expected a year "
            "from 1900 to now",
        ),
        (
            8,
            "closed_datetime 9999-12-31 23:59 is out of range; expected a year "
            "from 1900 to now",
        ),
    ]


def test_a_time_later_today_is_in_the_future(hatay, history_csv):
    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat(timespec="seconds")
    path = history_csv([row("crm-1", requested_datetime=later, closed_datetime="")])

    assert history_import(path).skipped == [
        (2, f"requested_datetime {later} is in the future")
    ]


def test_an_oversized_field_is_reported_for_its_line_and_the_rest_imported(
    hatay, history_csv
):
    limit = csv.field_size_limit()
    path = history_csv(
        [row("crm-1"), row("crm-2", description="ç" * (limit + 1)), row("crm-3")]
    )

    summary = history_import(path, commit=True)

    assert summary.skipped == [
        (
            3,
            f"a field is longer than {limit:,} characters, the most a field may "
            "hold; shorten it (or close a quote left open)",
        )
    ]
    stored = ServiceRequest.objects.values_list("external_id", flat=True)
    assert sorted(stored) == ["crm-1", "crm-3"]


def _csv_lines(*numbers):
    """The CSV lines of rows ``crm-<n>``, to be written by hand after the header."""
    out = StringIO()
    csv.writer(out).writerows(
        [[row(f"crm-{n}").get(column, "") for column in HEADER] for n in numbers]
    )
    return out.getvalue().splitlines()


@pytest.mark.parametrize("block", [40, 1 << 20], ids=["small-blocks", "one-block"])
def test_an_unterminated_quote_is_reported_with_the_rows_it_hides(
    hatay, tmp_path, monkeypatch, block
):
    monkeypatch.setattr(Utf8Lines, "BLOCK", block)
    path = write_csv(tmp_path / "h.csv", [row("crm-1")])
    third, fifth = _csv_lines(3, 5)
    with path.open("a", encoding="utf-8") as handle:
        # Line 3 opens a quote in its description; line 4 is a whole row that
        # the open field swallows; line 5 closes the quote.
        handle.write(third.replace("Çöp konteyneri dolu", '"Çöp konteyneri') + "\n")
        handle.write(fifth.replace("crm-5", "crm-4") + "\n")
        handle.write('dolu",closed,2015-01-15 12:00,,HBB,crm-6,\n')
        handle.write(fifth + "\n")

    summary = history_import(path, commit=True)

    assert summary.skipped == [
        (
            3,
            "a quote opened on line 3 closes only on line 5, so line(s) 4, which "
            "read as rows of their own, became part of one field; close the quote "
            '(a quote inside a field is written twice: "")',
        )
    ]
    stored = ServiceRequest.objects.values_list("external_id", flat=True)
    assert sorted(stored) == ["crm-1", "crm-5"]


def test_a_description_on_several_lines_is_kept_whole(hatay, history_csv):
    path = history_csv([row("crm-1", description="Çöp konteyneri\ndolu, taşıyor")])

    summary = history_import(path, commit=True)

    assert summary.skipped == []
    stored = ServiceRequest.objects.get(external_id="crm-1")
    assert stored.description == "Çöp konteyneri\ndolu, taşıyor"


def test_fractions_of_seconds_are_kept_and_finer_ones_refused(hatay, history_csv):
    path = history_csv(
        [
            row("crm-1", requested_datetime="2015-01-15 12:00:00.123456"),
            row("crm-2", requested_datetime="2015-01-15T12:00:00,5+02:00"),
            row("crm-3", requested_datetime="2015-01-15 12:00:00.1234567"),
            row("crm-4", requested_datetime="2015-01-15T12:00:00+02:00:00.5"),
        ]
    )

    summary = history_import(path, commit=True)

    assert summary.skipped == [
        (
            4,
            "requested_datetime 2015-01-15 12:00:00.1234567 has 7 digits after the "
            "seconds; at most 6 (microseconds) are stored, e.g. 2015-01-15 "
            "12:00:00.123456",
        ),
        (
            5,
            "requested_datetime 2015-01-15T12:00:00+02:00:00.5 has a UTC offset "
            "with a fraction of a second; write the offset in whole seconds, e.g. "
            "+03:00",
        ),
    ]
    times = dict(ServiceRequest.objects.values_list("external_id", "requested_at"))
    assert times == {
        "crm-1": datetime(2015, 1, 15, 10, 0, 0, 123456, tzinfo=UTC),
        "crm-2": datetime(2015, 1, 15, 10, 0, 0, 500000, tzinfo=UTC),
    }


def test_times_on_days_the_clocks_changed_get_the_offset_of_their_hour(
    hatay, history_csv
):
    path = history_csv(
        [
            # 2016-03-27: clocks forward from 03:00 to 04:00 (+02:00 to +03:00).
            row("spring-1", requested_datetime="2016-03-26 12:00", closed_datetime=""),
            row("spring-2", requested_datetime="2016-03-27 02:30", closed_datetime=""),
            row("spring-3", requested_datetime="2016-03-27 04:30", closed_datetime=""),
            row("spring-4", requested_datetime="2016-03-28 12:00", closed_datetime=""),
            # 2015-11-08: clocks back from 04:00 to 03:00; 03:30 came twice and
            # is read as the first (+03:00).
            row("autumn-1", requested_datetime="2015-11-08 03:30", closed_datetime=""),
            row("autumn-2", requested_datetime="2015-11-08 12:00", closed_datetime=""),
            # Two times on one ordinary day share its offset.
            row("plain-1", requested_datetime="2015-11-07 00:00", closed_datetime=""),
            row("plain-2", requested_datetime="2015-11-07 23:59", closed_datetime=""),
        ]
    )

    summary = history_import(path, commit=True)

    assert summary.skipped == []
    stored = dict(ServiceRequest.objects.values_list("external_id", "requested_at"))
    assert stored == {
        "spring-1": datetime(2016, 3, 26, 10, 0, tzinfo=UTC),
        "spring-2": datetime(2016, 3, 27, 0, 30, tzinfo=UTC),
        "spring-3": datetime(2016, 3, 27, 1, 30, tzinfo=UTC),
        "spring-4": datetime(2016, 3, 28, 9, 0, tzinfo=UTC),
        "autumn-1": datetime(2015, 11, 8, 0, 30, tzinfo=UTC),
        "autumn-2": datetime(2015, 11, 8, 10, 0, tzinfo=UTC),
        "plain-1": datetime(2015, 11, 6, 21, 0, tzinfo=UTC),
        "plain-2": datetime(2015, 11, 7, 20, 59, tzinfo=UTC),
    }


def test_tabs_backslashes_and_line_breaks_in_text_are_stored_as_given(
    hatay, history_csv
):
    description = "Çöp\tkonteyneri \\ dolu\r\nbak: \\N \\t \\."
    path = history_csv(
        [
            row("crm-1", description=description, address_string="Cd. 5\\2\t(arka)"),
            row("crm-2", description="", address_string=""),
        ]
    )

    summary = history_import(path, commit=True)

    assert summary.skipped == []
    first = ServiceRequest.objects.get(external_id="crm-1")
    assert first.description == description
    assert first.address_string == "Cd. 5\\2\t(arka)"
    second = ServiceRequest.objects.get(external_id="crm-2")
    assert (second.description, second.address_string) == ("", "")
    assert second.closed_at == datetime(2015, 1, 16, 7, 30, tzinfo=UTC)
    assert (second.is_urgent, second.needs_triage, second.is_sample) == (
        False,
        False,
        False,
    )


CHARACTER_ROWS = [
    pytest.param(
        {"external_id": "\x00nul"},
        "external_id contains a NUL character (U+0000); expected text without "
        "control characters",
        id="nul-in-external-id",
    ),
    pytest.param(
        {"external_id": "esc1\x1b[2J"},
        "external_id contains the control character U+001B; expected text "
        "without control characters",
        id="escape-in-external-id",
    ),
    pytest.param(
        {"external_id": "crm\t2"},
        "external_id contains a tab or line break (U+0009); expected one line of text",
        id="tab-inside-external-id",
    ),
    pytest.param(
        {"description": "Çöp \x1b[31mdolu"},
        "description contains the control character U+001B; expected text "
        "without control characters (tabs and line breaks are kept)",
        id="escape-in-description",
    ),
    pytest.param(
        {"address_string": "Kurtuluş Cd.\x00"},
        "address_string contains a NUL character (U+0000); expected text "
        "without control characters (tabs and line breaks are kept)",
        id="nul-in-address",
    ),
    pytest.param(
        {"address_string": "Kurtuluş Cd.\uffff"},
        "address_string contains U+FFFF, which is not a character; expected "
        "text without it",
        id="noncharacter-in-address",
    ),
]


@pytest.mark.parametrize("commit", [True, False], ids=["commit", "dry-run"])
@pytest.mark.parametrize(("values", "reason"), CHARACTER_ROWS)
def test_a_character_text_cannot_hold_is_refused_for_its_line_and_field(
    hatay, history_csv, values, reason, commit
):
    path = history_csv([row("crm-1"), row("crm-2", **values), row("crm-3")])

    summary = history_import(path, commit=commit)

    assert summary.skipped == [(3, reason)]
    assert summary.written == 2
    stored = ServiceRequest.objects.values_list("external_id", flat=True)
    assert sorted(stored) == (["crm-1", "crm-3"] if commit else [])


def test_a_control_character_in_a_code_is_named_before_the_code_is_looked_up(
    hatay, history_csv
):
    path = history_csv([row("crm-1", recorded_owner="HBB\x7f")])

    ((line, reason),) = history_import(path).skipped

    assert line == 2
    assert reason.startswith(
        "recorded_owner contains the control character U+007F; expected text "
        "without control characters; unknown recorded_owner 'HBB\\x7f'; known: "
    )


def test_spaces_and_tabs_around_an_external_id_are_not_part_of_it(hatay, history_csv):
    path = history_csv([row(" crm-1\t")])

    summary = history_import(path, commit=True)

    assert summary.skipped == []
    assert ServiceRequest.objects.get().external_id == "crm-1"


def test_points_are_written_as_the_ewkb_shapely_writes():
    lon = np.array([36.1603, -0.5, 179.999999, 1e-300])
    lat = np.array([36.2021, 51.25, -89.5, 0.0])
    expected = shapely.to_wkb(
        shapely.set_srid(shapely.points(lon, lat), STORAGE_SRID),
        hex=True,
        include_srid=True,
    ).tolist()

    assert _points_ewkb(lon, lat) == expected


def test_a_file_whose_only_rows_are_broken_is_reported_not_crashed(hatay, tmp_path):
    path = write_csv(tmp_path / "h.csv", [])
    first, second = _csv_lines(1, 2)
    with path.open("a", encoding="utf-8") as handle:
        # Line 2 opens a quote that never closes: it swallows line 3.
        handle.write(first.replace("Çöp konteyneri dolu", '"Çöp konteyneri') + "\n")
        handle.write(second + "\n")

    summary = history_import(path, commit=True)

    assert [line for line, _why in summary.skipped] == [2]
    assert summary.skipped[0][1].startswith("a quote opened on line 2 ")
    assert not ServiceRequest.objects.exists()


def test_a_file_whose_lines_end_in_cr_only_is_refused_saying_so(hatay, tmp_path):
    path = write_csv(tmp_path / "h.csv", [row("crm-1")])
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\r"))

    with pytest.raises(HistoryError) as refused:
        history_import(path, commit=True)

    assert "cannot be read as CSV" in str(refused.value)
    assert "must end in a newline" in str(refused.value)
