"""Reading a history CSV: UTF-8 lines, the header, then records in chunks.

The file is read as bytes, line by line, and each line is decoded on its
own, so a byte that is not UTF-8 is reported with its offset in the file
(UTF-8 never uses the newline byte inside a character, so splitting first
is safe). The csv module parses the decoded lines; line numbers are the
file's physical lines (the header is line 1).
"""

import csv

from geopool.services.history.errors import HistoryError, MissingColumns, NotUtf8

REQUIRED = (
    "service_code",
    "lat",
    "long",
    "description",
    "requested_datetime",
    "status",
    "closed_datetime",
    "recorded_owner",
    "external_id",
)
OPTIONAL = ("address_string",)


class Utf8Lines:
    """The lines of a binary file as text; refuses bytes that are not UTF-8.

    ``offset`` counts the bytes read so far (the progress bar follows it).
    A byte-order mark before the header is dropped.
    """

    def __init__(self, handle, name):
        self.handle, self.name = handle, name
        self.offset = 0

    def __iter__(self):
        offset = 0
        for number, raw in enumerate(self.handle, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise NotUtf8(
                    self.name, offset + exc.start, number, raw[exc.start :]
                ) from exc
            if number == 1 and text.startswith("\ufeff"):
                text = text[1:]
            offset += len(raw)
            self.offset = offset
            yield text


def header_read(reader, name):
    """Read the header; return ({column: position} of those used, width)."""
    try:
        header = [column.strip() for column in next(reader)]
    except StopIteration:
        raise HistoryError(
            f"{name} is empty; expected a header line with {', '.join(REQUIRED)}"
        ) from None
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise HistoryError(
            f"{name} names the column(s) {', '.join(repeated)} more than once"
        )
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise MissingColumns(name, missing, header)
    used = {c: header.index(c) for c in REQUIRED + OPTIONAL if c in header}
    return used, len(header)


def records(reader, width, size, name):
    """Yield chunks ``(rows, lines, malformed)`` of at most ``size`` records.

    ``lines`` holds the line each row starts on; ``malformed`` lists
    ``(line, reason)`` for records with the wrong number of fields. Blank
    lines are passed over.
    """
    rows, lines, malformed = [], [], []
    last = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise HistoryError(
                f"{name} line {last + 1}: the CSV cannot be read ({exc})"
            ) from exc
        line, last = last + 1, reader.line_num
        if len(row) != width:
            if row:
                malformed.append(
                    (line, f"has {len(row)} fields; the header has {width}")
                )
            continue
        rows.append(row)
        lines.append(line)
        if len(rows) == size:
            yield rows, lines, malformed
            rows, lines, malformed = [], [], []
    if rows or malformed:
        yield rows, lines, malformed
