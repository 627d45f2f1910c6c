"""What a history import refuses, and the texts of the reasons it gives."""

from geopool.errors import GeopoolError

# Reason of a row whose external_id an earlier import already stored: it is
# skipped, but it is not an error (re-running an import is safe).
ALREADY_IMPORTED = "already imported"
DUPLICATE = "duplicate external_id {external_id!r} (first at line {line})"
# Reasons of a field holding a character that stored text may not hold
# (``geopool.text.unfit_character``): as Open311 and the web forms refuse.
NUL_CHARACTER = (
    "{field} contains a NUL character (U+0000); expected text without "
    "control characters{kept}"
)
CONTROL_CHARACTER = (
    "{field} contains the control character U+{code:04X}; expected text "
    "without control characters{kept}"
)
LINE_BREAK = (
    "{field} contains a tab or line break (U+{code:04X}); expected one line of text"
)
NOT_A_CHARACTER = (
    "{field} contains U+{code:04X}, which is not a character; expected text without it"
)
# Added to the first two for the columns of free text.
TABS_KEPT = " (tabs and line breaks are kept)"


class HistoryError(GeopoolError):
    """The file cannot be imported at all; nothing is written."""


class NotUtf8(HistoryError):
    def __init__(self, name, offset, line, raw):
        self.offset, self.line = offset, line
        byte = raw[0] if raw else 0
        super().__init__(
            f"{name} is not UTF-8: byte 0x{byte:02X} at byte offset {offset} "
            f"(line {line}) is not valid UTF-8; save the file as UTF-8, e.g. "
            f"`iconv -f CP1254 -t UTF-8 {name}` for Windows Turkish, and import "
            "it again"
        )


class MissingColumns(HistoryError):
    def __init__(self, name, missing, found):
        self.missing, self.found = list(missing), list(found)
        super().__init__(
            f"{name} lacks the column(s) {', '.join(self.missing)}; it has "
            f"{', '.join(self.found) or 'no columns'}; header names must match "
            "exactly (lower case, as in the Open311 fields)"
        )


class BadRow(HistoryError):
    """``--strict``: the first bad row stops the import."""

    def __init__(self, line, reason):
        self.line, self.reason = line, reason
        super().__init__(
            f"line {line}: {reason}; nothing was written (--strict stops at the "
            "first bad row)"
        )
