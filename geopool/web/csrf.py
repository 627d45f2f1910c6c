"""The answer to a POST refused for its CSRF token (``CSRF_FAILURE_VIEW``).

The JSON endpoints (``input_guard.JSON_PREFIXES``: the crew page's actions
above all, which the phone queues while offline and sends later, perhaps
after the session changed) get JSON like their other refusals, so the page
can show it; every other page keeps Django's own page.
"""

import logging

from django.utils.translation import gettext_lazy as _
from django.views.csrf import csrf_failure as page_failure

from geopool.api.auth import json_error
from geopool.web.input_guard import JSON_PREFIXES

logger = logging.getLogger(__name__)

CSRF_REFUSED = _(
    "The page's security check failed (its token is missing or has expired, "
    "e.g. after logging in again); reload the page and send it again."
)


def csrf_failure(request, reason=""):
    if not request.path.startswith(JSON_PREFIXES):
        return page_failure(request, reason)
    logger.info("refused %s %s: CSRF (%s)", request.method, request.path, reason)
    return json_error(403, str(CSRF_REFUSED))
