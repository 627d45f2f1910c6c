from django.apps import AppConfig


class GeocodingConfig(AppConfig):
    name = "geocoding"
    verbose_name = "Adres arama"
