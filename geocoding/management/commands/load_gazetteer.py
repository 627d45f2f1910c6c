from django.core.management.base import BaseCommand, CommandError

from geocoding.gazetteer import gazetteer_load
from geopool.errors import GeopoolError
from geopool.packs import read_pack


class Command(BaseCommand):
    help = (
        "Load the pack's gazetteer (neighbourhoods, streets) and place it on the "
        "loaded address layers; run after load_pack_layers."
    )

    def add_arguments(self, parser):
        parser.add_argument("pack", help="pack folder, e.g. packs/hatay")

    def handle(self, pack, **options):
        try:
            summary = gazetteer_load(read_pack(pack), progress=options["verbosity"] > 0)
        except GeopoolError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"neighbourhoods: {summary['neighbourhoods']}, streets: "
            f"{summary['streets']}, door points: {summary['doors']}"
        )
        for source, count in summary["locations"].items():
            self.stdout.write(f"  located by {source}: {count}")
        self.stdout.write(self.style.SUCCESS(f"gazetteer of {pack}: loaded"))
