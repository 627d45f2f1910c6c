from django.urls import path

from geopool.api import layers

urlpatterns = [
    path("layers/", layers.layers_index, name="layer-list"),
    path(
        "layers/<slug:layer>/features.geojson",
        layers.features,
        name="layer-features",
    ),
    path("layers/<slug:layer>/covering", layers.covering, name="layer-covering"),
]
