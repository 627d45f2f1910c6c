from django.core.management.base import BaseCommand, CommandError

from boundaries.services.layer_import import layer_import
from boundaries.services.pack_layers import pack_layers_pending
from geopool.errors import GeopoolError
from geopool.packs import read_pack


class Command(BaseCommand):
    help = (
        "Import the boundary layers a jurisdiction pack names, from "
        "GEOPOOL_DATA_DIR. A layer whose active generation already comes from "
        "the same file (same checksum) is left as it is."
    )

    def add_arguments(self, parser):
        parser.add_argument("pack", help="pack folder, e.g. packs/hatay")
        parser.add_argument("--commit", action="store_true")

    def handle(self, pack, commit, **options):
        try:
            pack = read_pack(pack)
            for spec, path, current in pack_layers_pending(pack):
                if current is not None:
                    self.stdout.write(
                        f"layer {spec['code']}: generation {current.number} already "
                        f"holds {path.name}"
                    )
                    continue
                report = layer_import(
                    path,
                    spec["code"],
                    name_field=spec["name_field"],
                    code_field=spec.get("code_field", ""),
                    attributes=spec.get("attributes", {}),
                    geometry_kind=spec["geometry_kind"],
                    title=spec["title"],
                    commit=commit,
                )
                self.stdout.write(report.summary())
        except GeopoolError as exc:
            raise CommandError(str(exc)) from exc
