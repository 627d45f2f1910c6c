"""The field crew's phone page (``/crew/``) and what its script calls."""

from django.urls import path

from geopool.web.crew import views

app_name = "crew"

urlpatterns = [
    path("", views.crew_page, name="page"),
    path("sw.js", views.service_worker, name="service-worker"),
    path("tickets", views.tickets, name="tickets"),
    path("place", views.place, name="place"),
    path("tickets/<str:code>/<slug:action>", views.act, name="act"),
]
