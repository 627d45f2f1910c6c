from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("open311/", include("geopool.open311.urls")),
    path("api/", include("geopool.api.urls")),
    path("", include("geopool.web.urls")),
]

handler400 = "geopool.bad_requests.bad_request"
