"""URLs of the Open311 API, mounted at ``/open311/`` by ``geopool.urls``.

Every endpoint needs a ``.json`` or ``.xml`` suffix (GeoReport v2 has no
suffix-less form); whatever else is asked for under ``/open311/`` - another
suffix, no suffix, a typo - reaches ``NotFoundView`` and gets a 404 in the
spec's error format instead of Django's HTML page.
"""

from django.urls import path, re_path
from rest_framework.urlpatterns import format_suffix_patterns

from geopool.open311 import views

app_name = "open311"

FORMATS = ["json", "xml"]

urlpatterns = format_suffix_patterns(
    [
        path("discovery", views.DiscoveryView.as_view(), name="discovery"),
        path("v2/services", views.ServicesView.as_view(), name="services"),
        path("v2/requests", views.RequestsView.as_view(), name="requests"),
        path("v2/requests/<str:code>", views.RequestView.as_view(), name="request"),
    ],
    suffix_required=True,
    allowed=FORMATS,
) + [re_path(r"^", views.NotFoundView.as_view(), name="not-found")]
