from django.core.management.base import BaseCommand, CommandError

from boundaries.models import GeometryKind
from boundaries.services.layer_import import layer_import
from geopool.errors import GeopoolError


def _attribute_pair(text):
    name, sep, field = text.partition("=")
    if not sep or not name or not field:
        raise ValueError(text)
    return name, field


class Command(BaseCommand):
    help = (
        "Import a GeoJSON, GeoPackage or zipped shapefile into a new generation "
        "of a layer. Dry run by default; --commit writes and activates."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--layer", required=True, help="layer code, e.g. districts")
        parser.add_argument("--name-field", required=True)
        parser.add_argument("--code-field", default="")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            type=_attribute_pair,
            metavar="ATTR=FIELD",
            help="store source FIELD as attribute ATTR (repeatable)",
        )
        parser.add_argument(
            "--kind", choices=GeometryKind.values, default=GeometryKind.POLYGON
        )
        parser.add_argument("--title", default="")
        parser.add_argument("--commit", action="store_true")

    def handle(self, *args, **o):
        try:
            report = layer_import(
                o["path"],
                o["layer"],
                name_field=o["name_field"],
                code_field=o["code_field"],
                attributes=dict(o["map"]),
                geometry_kind=o["kind"],
                title=o["title"],
                commit=o["commit"],
            )
        except GeopoolError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"source CRS: {report.source_crs}; sha256 {report.checksum}")
        for item in report.repaired:
            self.stdout.write(
                f"repaired feature {item['feature']} ({item['name']}): {item['reason']}"
            )
        for item in report.skipped:
            self.stdout.write(
                f"skipped feature {item['feature']} ({item['name']}): {item['reason']}"
            )
        self.stdout.write(self.style.SUCCESS(report.summary()))
