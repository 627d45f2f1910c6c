from django.core.management.base import BaseCommand, CommandError

from geopool.errors import GeopoolError
from geopool.packs import read_pack
from geopool.services.samples import samples_load


class Command(BaseCommand):
    help = (
        "Create the pack's sample requests (marked is_sample) at real places; "
        "samples already loaded are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("pack", help="pack folder, e.g. packs/hatay")

    def handle(self, pack, **options):
        try:
            created, skipped, refused = samples_load(read_pack(pack))
        except (GeopoolError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"sample requests: {created} created, {skipped} already there, "
            f"{refused} outside the service area"
        )
