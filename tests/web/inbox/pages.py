"""Reading the inbox pages in tests: the rows and the messages they show."""

import html
import re


def text(response):
    return response.content.decode()


def table_codes(response, testid):
    """Tracking codes of the rows of table ``testid``, in page order."""
    page = text(response)
    match = re.search(
        rf'<table[^>]*data-testid="{testid}".*?</table>', page, flags=re.S
    )
    if match is None:
        return []
    return re.findall(r'<tr data-code="([^"]+)"', match.group(0))


def inbox_codes(response):
    return table_codes(response, "inbox-table")


def row_of(response, code):
    """The ``<tr>`` of request ``code``."""
    match = re.search(rf'<tr data-code="{code}".*?</tr>', text(response), re.S)
    assert match, f"{code} is not on the page"
    return match.group(0)


def messages(response):
    """The flash messages shown on the page, unescaped."""
    found = re.findall(r'data-testid="message">(.*?)</div>', text(response), re.S)
    return [html.unescape(m.strip()) for m in found]


def filters_invalid(response):
    """The alert saying why the filters cannot be read, unescaped, or ''."""
    found = re.search(r'data-testid="filters-invalid">(.*?)</div>', text(response))
    return html.unescape(found.group(1).strip()) if found else ""
