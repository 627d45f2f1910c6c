"""Paging of ``GET v2/requests`` without changing the spec's document.

GeoReport v2 defines the body as a bare list of requests and caps it at 1000,
so paging lives in the query (``page``, 1-based; ``page_size``, 1–1000,
default 1000) and in the response headers:

- ``X-Total-Count``: how many requests match over all pages;
- ``X-Page`` and ``X-Page-Size``: the page served;
- ``Link``: RFC 8288 ``<url>; rel="next"`` and ``rel="prev"`` (absolute URLs
  that keep every other parameter), absent at either end.

A page past the end is an empty list with the same headers, not an error, so
a client that counts pages itself never breaks. Results are ordered newest
first with the id as tie-break, which keeps the pages stable.
"""

from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from geopool.api.params import shorten
from geopool.open311.errors import InvalidInput
from geopool.open311.messages import PAGE_INVALID, PAGE_SIZE_INVALID

MAX_PAGE_SIZE = 1000
# A sanity bound: a billion results deep is beyond any archive, and an
# unbounded page number could overflow PostgreSQL's OFFSET (a bigint).
MAX_PAGE = 1_000_000
PAGE_PARAM = "page"
PAGE_SIZE_PARAM = "page_size"


def _whole(params, name, default, message, problems, limit):
    """A whole number 1..limit from ``params``; a bad one goes to ``problems``."""
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else 0
    if not 1 <= value <= limit:
        problems.append(message.format(value=shorten(raw), limit=limit))
        return default
    return value


class Open311Paging(BasePagination):
    def paginate_queryset(self, queryset, request, view=None):
        params = request.query_params
        problems = []
        self.page = _whole(
            params, PAGE_PARAM, 1, PAGE_INVALID, problems, limit=MAX_PAGE
        )
        self.page_size = _whole(
            params,
            PAGE_SIZE_PARAM,
            MAX_PAGE_SIZE,
            PAGE_SIZE_INVALID,
            problems,
            limit=MAX_PAGE_SIZE,
        )
        if problems:
            raise InvalidInput(problems)
        self.request = request
        self.total = queryset.count()
        start = (self.page - 1) * self.page_size
        return list(queryset[start : start + self.page_size])

    def _url(self, page):
        url = self.request.build_absolute_uri()
        if page == 1:
            return remove_query_param(url, PAGE_PARAM)
        return replace_query_param(url, PAGE_PARAM, page)

    def headers(self):
        links = []
        if self.page * self.page_size < self.total:
            links.append(f'<{self._url(self.page + 1)}>; rel="next"')
        if self.page > 1:
            # From past the end, "prev" leads back to the last real page.
            last = max(1, -(-self.total // self.page_size))
            links.append(f'<{self._url(min(self.page - 1, last))}>; rel="prev"')
        headers = {
            "X-Total-Count": str(self.total),
            "X-Page": str(self.page),
            "X-Page-Size": str(self.page_size),
        }
        if links:
            headers["Link"] = ", ".join(links)
        return headers

    def get_paginated_response(self, data):
        return Response(data, headers=self.headers())
