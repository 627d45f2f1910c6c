from django.core.management.base import BaseCommand, CommandError

from boundaries.models import Generation
from boundaries.services.pack_layers import pack_layers_load
from geopool.errors import GeopoolError
from geopool.packs import read_pack


class Command(BaseCommand):
    help = (
        "Import the layers a jurisdiction pack ships data for (dry run unless "
        "--commit, which also activates). A layer whose active generation "
        "already comes from the same file (same checksum) is left as it is."
    )

    def add_arguments(self, parser):
        parser.add_argument("pack", help="pack folder, e.g. packs/hatay")
        parser.add_argument("--commit", action="store_true")

    def handle(self, pack, commit, **options):
        try:
            for code, outcome in pack_layers_load(
                read_pack(pack), commit=commit, progress=options["verbosity"] > 0
            ):
                if isinstance(outcome, Generation):
                    self.stdout.write(
                        f"layer {code}: generation {outcome.number} already holds "
                        f"{outcome.source_file}"
                    )
                else:
                    self.stdout.write(outcome.summary())
        except GeopoolError as exc:
            raise CommandError(str(exc)) from exc
