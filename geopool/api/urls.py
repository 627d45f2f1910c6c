from django.urls import path

from geopool.api import layers

urlpatterns = [
    path("layers/<slug:layer>/covering", layers.covering, name="layer-covering"),
]
