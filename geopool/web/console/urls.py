"""The call-centre operator's console (``/console/``)."""

from django.urls import path

from geopool.web.console import views

app_name = "console"

urlpatterns = [
    path("", views.console, name="console"),
    path("info/", views.information_call, name="info"),
    path("nearby", views.nearby, name="nearby"),
    path("done/<str:tracking_code>/", views.done, name="done"),
]
