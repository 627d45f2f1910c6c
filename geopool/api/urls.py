from django.urls import path

from geocoding import api as geocoding_api
from geopool.api import layers, nearby, route

urlpatterns = [
    path("layers/", layers.layers_index, name="layer-list"),
    path(
        "layers/<slug:layer>/features.geojson",
        layers.features,
        name="layer-features",
    ),
    path("layers/<slug:layer>/covering", layers.covering, name="layer-covering"),
    path("route", route.route, name="api-route"),
    path("nearby", nearby.nearby_tickets, name="api-nearby"),
    path("health", route.health, name="api-health"),
    path("geocode", geocoding_api.geocode, name="api-geocode"),
    path("reverse", geocoding_api.reverse, name="api-reverse"),
]
