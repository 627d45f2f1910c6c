from django.core.management.base import BaseCommand

from geopool.services.jobs import map_bins_rebuild


class Command(BaseCommand):
    help = (
        "Count every request into the heat map's stored bins again (the "
        "geopool_mapbin table, migration geopool 0013). The triggers keep "
        "them as requests are written; run this after rows were loaded with "
        "the triggers off (a data-only restore, replication). Writers wait "
        "while it runs; readers do not."
    )

    def handle(self, **options):
        rows, requests = map_bins_rebuild()
        self.stdout.write(f"map bins: {rows} rows for {requests} requests on the map")
