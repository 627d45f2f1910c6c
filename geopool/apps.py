from django.apps import AppConfig


class GeopoolConfig(AppConfig):
    name = "geopool"
    verbose_name = "Havuz"
