"""Content negotiation by URL suffix only.

GeoReport v2 selects the format with the suffix (``services.xml``). DRF's
default negotiation would still match the ``Accept`` header against the
suffix's renderer and answer 406 to a client that sends ``Accept:
application/json`` to a ``.xml`` URL; Open311 clients do send such headers,
so the suffix alone decides here. Where no suffix was captured (the
catch-all 404), the path's ending picks XML or, by default, JSON, so even an
unknown URL answers in the format the client probably reads.
"""

from rest_framework.negotiation import DefaultContentNegotiation


def path_suffix(path):
    """``"xml"`` for ``/open311/v2/x.xml``; ``""`` when the path has none."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[-1].lower() if "." in last else ""


class SuffixNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        wanted = format_suffix or path_suffix(request.path)
        for renderer in renderers:
            if renderer.format == wanted:
                return renderer, renderer.media_type
        return renderers[0], renderers[0].media_type
