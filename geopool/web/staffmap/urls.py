"""URLs of the staff map under ``/map/``."""

from django.urls import path

from geopool.web.staffmap import views

urlpatterns = [
    path("", views.map_page, name="map"),
    path("data/view/", views.view_data, name="map-view-data"),
    path("data/districts/", views.district_data, name="map-district-data"),
    path("data/layers/<slug:code>/", views.layer_data, name="map-layer-data"),
    path("requests/", views.request_list, name="map-requests"),
    path("districts.csv", views.districts_csv, name="map-districts-csv"),
]
