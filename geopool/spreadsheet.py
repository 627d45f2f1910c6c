"""Text cells a spreadsheet will not run.

Excel, LibreOffice and Google Sheets read a CSV cell that starts with
``=``, ``+``, ``-`` or ``@`` as a formula, and also one whose first
character is a tab or a carriage return followed by one of those (they
drop the leading whitespace first). Any text geopool writes into a CSV
file that people open in a spreadsheet can come from outside: a citizen's
words, a layer's feature names from a planner's upload, a history file's
values. ``csv_text`` prefixes such a text with an apostrophe, which the
spreadsheet shows as the text it is.

Numbers are written by their callers as numbers, not through here: a
negative number is not a formula.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value):
    """``value`` (a text) safe to put in a CSV cell."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
