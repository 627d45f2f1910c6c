from django.core.management.base import BaseCommand

from geopool.services.jobs import run_due_jobs


class Command(BaseCommand):
    help = (
        "Run the time-based work once (transfer escalations, near-due SLA "
        "warnings, personal-data retention). Idempotent: run it from a timer, "
        "e.g. every minute."
    )

    def handle(self, **options):
        for job, count in run_due_jobs().items():
            self.stdout.write(f"{job}: {count}")
