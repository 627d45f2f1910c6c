from django.core.management.base import BaseCommand, CommandError

from geopool.errors import GeopoolError
from geopool.packs import load_jurisdiction, read_pack


class Command(BaseCommand):
    help = (
        "Load a jurisdiction pack (bodies, departments, categories, rules): "
        "upsert by code, deactivate what the pack dropped."
    )

    def add_arguments(self, parser):
        parser.add_argument("pack", help="pack folder, e.g. packs/hatay")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and count, write nothing"
        )

    def handle(self, pack, dry_run, **options):
        try:
            loaded = read_pack(pack)
            summary = load_jurisdiction(loaded, dry_run=dry_run)
        except GeopoolError as exc:
            raise CommandError(str(exc)) from exc
        for warning in loaded.warnings:
            self.stdout.write(self.style.WARNING(f"warning: {warning}"))
        for kind in ("bodies", "departments", "categories", "layers"):
            counts = summary[kind]
            self.stdout.write(
                f"{kind}: {counts['created']} created, {counts['updated']} updated, "
                f"{counts['unchanged']} unchanged, {counts['deactivated']} deactivated"
            )
        rs = summary["rule_set"]
        state = "stored and activated" if rs["created"] else "already stored"
        line = (
            f"rule set v{rs['version']}: {rs['rules']} rules, "
            f"{rs['delegations']} delegations, {state}"
        )
        if rs["active"] != rs["version"]:
            line += (
                f"; v{rs['active']} stays active (loading a pack never switches "
                "back to an older rule set: activate one explicitly)"
            )
        self.stdout.write(line)
        verb = "would be loaded (dry run, nothing written)" if dry_run else "loaded"
        self.stdout.write(self.style.SUCCESS(f"pack {pack}: {verb}"))
