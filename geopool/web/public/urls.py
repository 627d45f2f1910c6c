"""Pages for citizens: the request form and tracking pages (no log-in).

Mounted at the site root after every staff route. Paths are Turkish, as
citizens read and type them: ``/basvuru/`` (apply), ``/t/<code>`` (track;
``geopool.services.notify.tracking_url`` builds these links), ``/kvkk/``
(the information notice on personal data).
"""

from django.urls import path

from geopool.web.public import views

app_name = "public"

urlpatterns = [
    path("basvuru/", views.request_form, name="form"),
    path("basvuru/alindi/<str:code>/", views.request_received, name="received"),
    path("kvkk/", views.kvkk_notice, name="kvkk"),
    path("t/", views.tracking_lookup, name="lookup"),
    path("t/<str:code>", views.tracking, name="tracking"),
    path("t/<str:code>/foto/<int:photo_id>", views.public_photo, name="photo"),
]
