"""Open311 GeoReport v2 for geopool: other systems read and file requests here.

The package is a thin HTTP layer: every request is created through
``geopool.services.intake.request_create`` and routed by
``routing_rules.decide``, exactly like requests from the operator console.

API notes
=========

Base URL ``/open311/``. Every endpoint answers in JSON and XML, chosen by the
suffix (``.json`` / ``.xml``; the ``Accept`` header is ignored). Any other
suffix, or no suffix, is a 404. Text is UTF-8.

=========================================  ==========================================
``GET  discovery.{json,xml}``              service discovery document
``GET  v2/services.{json,xml}``            active categories (``service_code``)
``POST v2/requests.{json,xml}``            file a request (form-encoded, needs a key)
``GET  v2/requests.{json,xml}``            search requests
``GET  v2/requests/<id>.{json,xml}``       one request by tracking code
=========================================  ==========================================

Keys. ``POST`` needs ``api_key`` (form field; the query string works too).
Keys are issued by the pool coordinator: an administrator runs
``manage.py create_api_key "NAME" --body BODY_CODE``. A missing, unknown or
revoked key is a 403. Reading (``GET``) needs no key. The key also sets the
request's channel.

Posting. Fields: ``service_code`` (required; see services), ``lat`` and
``long`` (required, WGS 84 decimal degrees with a decimal *point*),
``description`` (≤ 4000 characters, kept internal: it is never published),
``address_string``, ``external_id`` (your own id, see below), and the
caller's ``first_name``, ``last_name``, ``phone``, ``email``,
``device_id``, ``account_id`` (stored apart, never shown by any endpoint).
A photo is uploaded as ``media`` (multipart/form-data; JPEG, PNG or WebP up
to 8 MB, EXIF removed, private until staff publish it; a refused photo is a
400 naming ``media`` and creates nothing). ``media_url`` must be an
``https`` link; it is recorded for staff and never fetched (see
``geopool.open311.submission``). Other spec fields (``jurisdiction_id``,
``attribute[...]``) are accepted and ignored. The answer is ``201`` with
``service_request_id`` (the tracking code, e.g. ``K7M-4TXR``) and
``service_notice`` (for emergencies: the phone line to call now). Retries
are safe: a post with an ``external_id`` already used by the same key
creates nothing and answers ``200`` with the first request's id.

Searching. ``service_request_id`` (comma-separated tracking codes; when
given, every other filter is ignored, as the spec says), ``service_code``
(comma-separated), ``status`` (``open``, ``closed`` or both,
comma-separated), ``start_date`` / ``end_date`` (ISO 8601, e.g.
``2026-12-03T13:45:00+03:00``; without an offset the time is Europe/Istanbul
time; a bare date ``2026-12-03`` means that whole day; years 1900–2999).
Without dates the search covers the last 90 days; with one date, 90 days
from (or up to) it. Wider windows are allowed (the results are paged).
Newest first; sample (demo) requests are included.

Paging. ``page`` (1-based, default 1, at most 1,000,000) and ``page_size``
(1–1000, default 1000). The body stays the plain list the spec defines;
the paging is in the headers: ``X-Total-Count`` (matches over all pages),
``X-Page``, ``X-Page-Size`` and an RFC 8288 ``Link`` header with
``rel="next"`` / ``rel="prev"`` URLs. Follow ``next`` until it is absent. A
page past the end is an empty list.

Published fields. ``service_request_id`` is the tracking code (never a
database id); ``description`` is only the staff-approved public text
(``null`` until staff approve one); ``agency_responsible`` is the current
owner ("body" or "body — department"; triage requests show the pool
coordinator); ``status`` is ``open`` / ``closed`` and ``status_notes`` the
latest answer sent to the citizen (``null`` until there is one);
``media_url`` is the first photo staff made public (on the tracking page,
``/t/<code>/foto/<n>``) or ``null``; times are ISO 8601 with the
Europe/Istanbul offset (``+03:00``); ``expected_datetime``, ``address``,
``address_id`` and ``zipcode`` are ``null`` (the address is the citizen's
own text; ``lat``/``long`` give the place). The public tracking page
``/t/<code>`` shows the same. No personal data is ever shown.

Errors. Always a list of ``{"code": <HTTP status>, "description": ...}``
(XML ``<errors><error><code/><description/></error></errors>``) with status
400 (bad input: each description names its field), 403 (key), 404 (unknown
endpoint, format or request), 405 (wrong method), 415 (not
form-encoded: a JSON body is refused; send
``application/x-www-form-urlencoded`` or, with a photo,
``multipart/form-data``) or
503 (the pool is not configured).
"""
