"""Staff search: by tracking code, by address or description text, by phone.

What is typed decides the search:

- a caller's phone (only digits, spaces, ``+``, ``-``, ``(``, ``)``, with at
  least 7 digits): a read of personal data, for staff who may reveal
  callers' details (``view_contact``) only, logged by
  ``personal_data.requests_by_phone``; results show the phone masked;
- anything else: the tracking code, exactly but in any case and with or
  without its dash (``k7m4txr`` finds ``K7M-4TXR``), or else the words of
  the text, each of which must occur in the address or the description,
  compared through Turkish folding (``geopool.web.inbox.textmatch``: the
  answers of ``geopool.text.fold``; ``ürgen`` finds ``ÜRGEN CADDESİ``,
  ``kirikhan cd`` finds ``Kırıkhan Cd.``).

Text is matched by scanning the visible requests (about 0.3 s per 100,000);
a trigram index would make it an index search.

Every result list goes through ``requests_visible_to``: Defne's staff never
find Antakya's requests, whatever they type.
"""

import logging
import operator
import re
from functools import reduce

from django.db.models import Case, IntegerField, Q, TextField, Value, When
from django.db.models.functions import Concat, Replace, Upper
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from geopool.models import ServiceRequest
from geopool.roles import can
from geopool.services.personal_data import (
    PersonalDataRefused,
    mask_phone,
    requests_by_phone,
)
from geopool.text import fold
from geopool.tracking import tracking_code_normalize
from geopool.visibility import requests_visible_to
from geopool.web.access import staff_required
from geopool.web.inbox.textmatch import word_pattern
from geopool.web.l10n import count_text

logger = logging.getLogger(__name__)

RESULT_LIMIT = 100
MIN_TEXT = 3
MAX_QUERY = 200
PHONE_DIGITS = 7
_PHONE = re.compile(r"^[\d\s+()\-.]+$")

PHONE_REFUSED = _(
    "Searching by phone reads callers' personal data; it is for staff who may "
    "see callers' details. Search by tracking code or address instead."
)
TOO_SHORT = _(
    "Type at least %(min)s letters of an address or description, or a whole "
    "tracking code."
)
TOO_LONG = _("The search text is longer than %(max)s characters; shorten it.")


def is_phone(text):
    return bool(_PHONE.match(text)) and len(re.sub(r"\D", "", text)) >= PHONE_DIGITS


def code_key(text):
    """The letters and digits of ``text``, upper case: a code without its dash."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def requests_by_text(text, user):
    """Visible requests whose code, address or description matches ``text``.

    A whole tracking code finds its request alone. Otherwise every word of
    ``text`` (folded) must occur in the address or the description, and a
    request whose code is ``text`` comes first.
    """
    visible = requests_visible_to(user, ServiceRequest.objects.all())
    canonical = tracking_code_normalize(text)
    if canonical:
        exact = visible.filter(tracking_code=canonical)
        if exact.exists():
            return exact
    words = fold(text).split()
    code = code_key(text)
    conditions = [Q(code_key=code)]
    if len(" ".join(words)) >= MIN_TEXT:
        conditions.append(
            reduce(
                operator.and_,
                (Q(search_text__regex=word_pattern(word)) for word in words),
            )
        )
    return (
        visible.alias(
            code_key=Replace(Upper("tracking_code"), Value("-"), Value("")),
            search_text=Concat(
                "address_string", Value(" "), "description", output_field=TextField()
            ),
        )
        .filter(reduce(operator.or_, conditions))
        # The request with the code first, then the newest text matches.
        .alias(
            by_code=Case(
                When(code_key=code, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("by_code", "-requested_at", "-id")
    )


@staff_required
def search(request):
    """``GET /inbox/search?q=``: find requests by code, text or phone."""
    query = (request.GET.get("q") or "").strip()
    context = {"q": query, "rows": None, "error": "", "by_phone": False}
    if not query:
        return render(request, "inbox/search.html", context)
    if len(query) > MAX_QUERY:
        context["error"] = TOO_LONG % {"max": MAX_QUERY}
        return render(request, "inbox/search.html", context, status=400)

    if is_phone(query):
        if not can(request.user, "view_contact"):
            logger.info("phone search refused to %s", request.user)
            context["error"] = PHONE_REFUSED
            return render(request, "inbox/search.html", context, status=403)
        try:
            matches = requests_by_phone(query, request.user)
        except PersonalDataRefused as exc:
            context["error"] = str(exc)
            return render(request, "inbox/search.html", context, status=400)
        matches = requests_visible_to(request.user, matches).order_by(
            "-requested_at", "-id"
        )
        context["by_phone"] = True
    else:
        if len(fold(query)) < MIN_TEXT and len(code_key(query)) < MIN_TEXT:
            context["error"] = TOO_SHORT % {"min": MIN_TEXT}
            return render(request, "inbox/search.html", context, status=400)
        matches = requests_by_text(query, request.user)

    related = ["category", "owner_body"] + (["contact"] if context["by_phone"] else [])
    found = list(matches.select_related(*related)[: RESULT_LIMIT + 1])
    # Counting scans every match again: only when there are more to count.
    total = matches.count() if len(found) > RESULT_LIMIT else len(found)
    found = found[:RESULT_LIMIT]
    context["rows"] = [
        {
            "request": item,
            "phone": mask_phone(_contact_phone(item)) if context["by_phone"] else "",
        }
        for item in found
    ]
    context["total"] = count_text(total)
    context["cut"] = total > RESULT_LIMIT
    context["limit"] = RESULT_LIMIT
    return render(request, "inbox/search.html", context)


def _contact_phone(item):
    try:
        return item.contact.phone
    except ServiceRequest.contact.RelatedObjectDoesNotExist:
        return ""
