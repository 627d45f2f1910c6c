"""Requests Django refuses before any view runs, answered in each API's form.

Django itself refuses a request whose body it will not read: more form
fields than ``DATA_UPLOAD_MAX_NUMBER_FIELDS``, a body over
``DATA_UPLOAD_MAX_MEMORY_SIZE``, more files than
``DATA_UPLOAD_MAX_NUMBER_FILES``. It then answers with the 400 page
(``handler400``). A machine client of Open311 or ``/api/`` cannot read a
page, so those paths get their own error document instead: Open311's
error list (XML for a ``.xml`` address), the API's ``{"error"}``; every
other path keeps the page.
"""

import logging

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpResponse, JsonResponse
from django.views.defaults import bad_request as page

from geopool.open311.errors import error_list
from geopool.open311.renderers import Open311XMLRenderer

logger = logging.getLogger(__name__)


def _reason(exception):
    if isinstance(exception, TooManyFieldsSent):
        return (
            f"the request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,} "
            "fields; send only the fields the API names"
        )
    if isinstance(exception, TooManyFilesSent):
        return (
            f"the request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FILES:,} "
            "files; send one photo as media"
        )
    if isinstance(exception, RequestDataTooBig):
        megabytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 2**20
        return (
            f"the request's fields are larger than {megabytes:g} MB; send a photo "
            "as a multipart file (media), not as a field"
        )
    return "the request could not be read; send it again as the API describes"


def bad_request(request, exception):
    """Django's ``handler400``."""
    if request.path.startswith("/open311/"):
        reason = _reason(exception)
        logger.info("open311 %s %s → 400: %s", request.method, request.path, reason)
        errors = error_list(400, [reason])
        if request.path.endswith(".xml"):
            body = Open311XMLRenderer().render(
                errors, renderer_context={"response": _Failed()}
            )
            return HttpResponse(body, status=400, content_type="text/xml")
        return JsonResponse(errors, status=400, safe=False)
    if request.path.startswith("/api/"):
        return JsonResponse({"error": _reason(exception)}, status=400)
    return page(request, exception)


class _Failed:
    """What the XML renderer asks of a failed response."""

    exception = True
