import csv

from django.core.management.base import BaseCommand, CommandError

from geopool.errors import GeopoolError
from geopool.services.history import history_import
from geopool.spreadsheet import csv_text

SHOWN = 100


class Command(BaseCommand):
    # The import touches only the database; the full system checks would
    # load every page's code first (a second or more on each scripted load).
    requires_system_checks = []
    help = (
        "Load historic requests from a CSV (dry run unless --commit): the "
        "recorded owner and status are kept, today's decision is stored beside."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", metavar="CSV", help="the CSV file (UTF-8, header line)"
        )
        parser.add_argument(
            "--commit", action="store_true", help="write (default: dry run)"
        )
        parser.add_argument(
            "--strict", action="store_true", help="stop at the first bad row"
        )
        parser.add_argument(
            "--report", metavar="FILE", help="write every skipped row (line, reason)"
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="no progress bar on stderr"
        )

    def handle(self, path, **options):
        try:
            summary = history_import(
                path,
                commit=options["commit"],
                strict=options["strict"],
                progress=not options["no_progress"],
                waiting=self._waiting,
            )
        except GeopoolError as exc:
            raise CommandError(str(exc)) from exc
        errors = summary.errors
        for line, reason in errors[:SHOWN]:
            self.stdout.write(f"line {line}: {reason}")
        if len(errors) > SHOWN:
            self.stdout.write(
                f"… and {len(errors) - SHOWN:,} more bad rows"
                + ("" if options["report"] else " (--report FILE lists them all)")
            )
        if options["report"]:
            _report(options["report"], summary.skipped)
        verb = "written" if summary.committed else "would be written"
        self.stdout.write(
            f"{summary.read:,} rows read: {summary.written:,} {verb}, "
            f"{len(errors):,} bad, {summary.already_imported:,} already imported; "
            f"today's rules give {summary.changed:,} to another owner than "
            f"recorded and {summary.triage:,} to triage"
        )
        if not summary.committed:
            self.stdout.write("dry run: nothing was written; --commit writes")

    def _waiting(self, text):
        self.stdout.write(text)
        self.stdout.flush()


def _report(path, skipped):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "reason"])
        # A reason quotes the file's values, and the report is opened in a
        # spreadsheet.
        writer.writerows((line, csv_text(reason)) for line, reason in skipped)
