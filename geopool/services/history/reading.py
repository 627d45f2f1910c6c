"""Reading a history CSV: UTF-8 lines, the header, then records in chunks.

The file is read as bytes, in blocks of whole lines, and each block is
decoded at once; a byte that is not UTF-8 is reported with its line and its
offset in the file (UTF-8 never uses the newline byte inside a character,
so splitting first is safe). The csv module parses the decoded lines; line
numbers are the file's physical lines (the header is line 1).

A record the csv module cannot read (a field longer than its limit, a NUL
byte) is reported for its line and the import goes on with the next line.
A quoted field may hold line breaks, but when one of the lines it swallows
reads as a complete row of its own, a quote was left open: the record is
reported with the line of the quote and the rows it hid.

Example: with ten columns, line 5 ``COP,36.2,36.16,"Çukur var,...`` (no
closing quote) and line 6 a complete row: line 5 is reported ("a quote
opened on line 5 closes only on line 7 ...; line 6 reads as a row of its
own"), and neither row is imported.
"""

import csv
from collections import deque

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

# The physical lines kept for looking back over a record that spans several.
RECENT_LINES = 1000


class Utf8Lines:
    """The lines of a binary file as text; refuses bytes that are not UTF-8.

    ``offset`` counts the bytes read so far (the progress bar follows it);
    ``line(number)`` is one of the last ``RECENT_LINES`` lines or more, or
    None. A byte-order mark before the header is dropped.

    The file is read and decoded a block of whole lines at a time: decoding
    line by line cost more than the csv module's parsing. Only a block that
    does not decode is looked at line by line, to name the line and offset.
    """

    BLOCK = 1 << 20

    def __init__(self, handle, name):
        self.handle, self.name = handle, name
        self.offset = 0
        # (number of the first line, lines) of the last blocks
        self._blocks = deque()
        self._kept = 0  # lines in _blocks

    def line(self, number):
        for first, lines in self._blocks:
            if first <= number < first + len(lines):
                return lines[number - first]
        return None

    def __iter__(self):
        number = 1  # of the next line
        carry = b""
        while True:
            block = self.handle.read(self.BLOCK)
            if block:
                block = carry + block
                cut = block.rfind(b"\n") + 1
                if not cut:  # a line longer than a block: read on
                    carry = block
                    continue
                carry, block = block[cut:], block[:cut]
            elif carry:  # the last line, without a newline
                block, carry = carry, b""
            else:
                return
            lines = self._decoded(block, number)
            if number == 1 and lines[0].startswith("\ufeff"):
                lines[0] = lines[0][1:]
            self.offset += len(block)
            self._keep(number, lines)
            number += len(lines)
            yield from lines

    def _decoded(self, block, number):
        """The lines of ``block`` (whose first is line ``number``), each with
        its newline; NotUtf8 for the first byte that is not UTF-8."""
        try:
            text = block.decode("utf-8")
        except UnicodeDecodeError as exc:
            start = block.rfind(b"\n", 0, exc.start) + 1
            end = block.find(b"\n", exc.start)
            raw = block[exc.start : None if end < 0 else end + 1]
            raise NotUtf8(
                self.name,
                self.offset + exc.start,
                number + block.count(b"\n", 0, start),
                raw,
            ) from exc
        lines = text.split("\n")
        last = lines.pop()  # "" after the final newline
        lines = [line + "\n" for line in lines]
        if last:
            lines.append(last)
        return lines

    def _keep(self, first, lines):
        self._blocks.append((first, lines))
        self._kept += len(lines)
        while self._kept - len(self._blocks[0][1]) >= RECENT_LINES:
            self._kept -= len(self._blocks.popleft()[1])


def header_read(reader, name):
    """Read the header; return ({column: position} of those used, width)."""
    try:
        header = [column.strip() for column in next(reader)]
    except csv.Error as exc:
        raise HistoryError(
            f"the header line of {name} cannot be read as CSV ({exc}); lines "
            "must end in a newline (\\n or \\r\\n), with no NUL byte"
        ) from None
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


def records(reader, width, size, name, source=None):
    """Yield chunks ``(rows, lines, malformed)`` of at most ``size`` records.

    ``lines`` holds the line each row starts on; ``malformed`` lists
    ``(line, reason)`` for records with the wrong number of fields, records
    the csv module cannot read, and records hiding rows behind an open quote
    (found with ``source``, the ``Utf8Lines`` the reader reads). Blank lines
    are passed over.
    """
    rows, lines, malformed = [], [], []
    last = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            line, last = last + 1, reader.line_num
            malformed.append((line, _unreadable(exc)))
            continue
        line, last = last + 1, reader.line_num
        if last > line and source is not None:
            hidden = _hidden_rows(source, width, line, last)
            if hidden:
                malformed.append((line, hidden))
                continue
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


def _unreadable(exc):
    text = str(exc)
    if text.startswith("field larger than field limit"):
        return (
            f"a field is longer than {csv.field_size_limit():,} characters, the "
            "most a field may hold; shorten it (or close a quote left open)"
        )
    return f"the CSV cannot be read here ({text}); the row was skipped"


def _hidden_rows(source, width, first, last):
    """The reason to refuse a record of lines first..last, or "" if none."""
    hidden = []
    for number in range(first + 1, last + 1):
        text = source.line(number)
        if text is None:
            continue
        fields = next(csv.reader([text]), [])
        if len(fields) == width:
            hidden.append(number)
    if not hidden:
        return ""
    shown = ", ".join(str(n) for n in hidden[:5]) + (", …" if len(hidden) > 5 else "")
    return (
        f"a quote opened on line {first} closes only on line {last}, so line(s) "
        f"{shown}, which read as rows of their own, became part of one field; "
        'close the quote (a quote inside a field is written twice: "")'
    )
