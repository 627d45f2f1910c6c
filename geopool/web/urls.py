"""Web pages: staff (log-in, map, pool, rules, layers) and citizens' pages."""

from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from geocoding import views as geocoding_views
from geopool.web import triage
from geopool.web.login import StartPageLoginView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="map"), name="home"),
    path("login/", StartPageLoginView.as_view(), name="login"),
    # Django's LogoutView accepts POST only (a link could log staff out).
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("map/", include("geopool.web.staffmap.urls")),
    path("planning/", include("geopool.web.planning.urls")),
    path("rules/", include("geopool.web.rules.urls")),
    path("triage/", triage.triage_queue, name="triage"),
    path(
        "needs-location/",
        geocoding_views.needs_location_queue,
        name="needs-location",
    ),
    path("inbox/", include("geopool.web.inbox.urls")),
    path("requests/", include("geopool.web.requestpages.urls")),
    path("console/", include("geopool.web.console.urls")),
    path("crew/", include("geopool.web.crew.urls")),
    # Citizens' pages (no log-in): the request form and tracking pages.
    path("", include("geopool.web.public.urls")),
]
