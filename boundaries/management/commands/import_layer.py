from django.core.management.base import BaseCommand, CommandError

from boundaries.errors import ActivationRefused
from boundaries.importing.service import layer_import
from boundaries.models import GeometryKind
from geopool.errors import GeopoolError


def _attribute_pair(text):
    name, sep, field = text.partition("=")
    if not sep or not name or not field:
        raise ValueError(text)
    return name, field


class Command(BaseCommand):
    # The import touches only the database; the full system checks would
    # load every page's code first (a second on each scripted import).
    requires_system_checks = []
    help = (
        "Import a GeoJSON, GeoPackage, KML or zipped shapefile into a new "
        "generation of a layer. Dry run by default (everything is checked, "
        "nothing written); --commit stores a draft generation; --activate also "
        "makes it live after its checks. Never asks: where a choice is needed "
        "(layer, CRS, encoding, fields) it refuses and names the flag."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--layer", required=True, help="layer code, e.g. districts")
        parser.add_argument("--source-layer", default="", help="layer inside the file")
        parser.add_argument("--srid", type=int, help="EPSG code of the file's CRS")
        parser.add_argument("--encoding", default="", help="text encoding of a DBF")
        parser.add_argument("--name-field", default="")
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
            "--kind",
            choices=GeometryKind.values,
            default="",
            help="geometry kind, to create a layer the pack does not define",
        )
        parser.add_argument("--title", default="")
        parser.add_argument("--commit", action="store_true", help="store a draft")
        parser.add_argument(
            "--activate", action="store_true", help="with --commit: make it live"
        )
        parser.add_argument(
            "--force", action="store_true", help="activate despite check errors"
        )

    def handle(self, *args, **o):
        if o["activate"] and not o["commit"]:
            raise CommandError("--activate needs --commit")
        try:
            report = layer_import(
                o["path"],
                o["layer"],
                name_field=o["name_field"],
                code_field=o["code_field"],
                attributes=dict(o["map"]),
                source_layer=o["source_layer"],
                srid=o["srid"],
                encoding=o["encoding"],
                geometry_kind=o["kind"],
                title=o["title"],
                commit=o["commit"],
                activate=o["activate"],
                force=o["force"],
                progress=o["verbosity"] > 0,
            )
        except ActivationRefused as exc:
            raise CommandError(f"stored as a draft, not activated: {exc}") from exc
        except GeopoolError as exc:
            raise CommandError(str(exc)) from exc
        self._report(report)

    def _report(self, report):
        out = self.stdout
        out.write(
            f"source: {report.source}"
            + (f" (layer {report.source_layer})" if report.source_layer else "")
            + f", CRS {report.source_crs}"
            + (
                f", encoding {report.encoding} ({report.encoding_origin})"
                if report.encoding
                else ""
            )
            + f", sha256 {report.checksum}"
        )
        for warning in report.warnings:
            out.write(f"warning: {warning}")
        for item in report.repaired:
            out.write(
                f"repaired feature {item['feature']} ({item['name']}): {item['reason']}"
            )
        for item in report.skipped:
            out.write(
                f"skipped feature {item['feature']} ({item['name']}): {item['reason']}"
                + (f"; attributes {item['attributes']}" if "attributes" in item else "")
            )
        for problem in report.checks:
            out.write(f"{problem['severity']}: {problem['message']}")
        impact = report.impact
        if impact.get("total"):
            out.write(
                f"impact: {impact['total']} open requests would change feature, "
                f"{impact['owner_changes']} of them owner:"
            )
            for row in impact["matrix"]:
                out.write(f"  {row['from']} → {row['to']}: {row['requests']}")
        if report.has_errors and report.generation is None:
            raise CommandError(
                f"{report.summary()}; its checks found errors, so it could not be "
                "activated as it is"
            )
        if report.has_errors:
            out.write(
                "the draft cannot be activated until its errors are fixed (or "
                "accepted with activate_generation --force)"
            )
        out.write(self.style.SUCCESS(report.summary()))
