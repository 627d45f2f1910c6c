from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from geopool.models import ApiKey
from geopool.services.events import event_record


class Command(BaseCommand):
    help = (
        "Revoke an API key, given the whole key or its prefix (the 8 characters "
        "after 'gp_')."
    )

    def add_arguments(self, parser):
        parser.add_argument("key", help="gp_1a2b3c4d_... or 1a2b3c4d")

    def handle(self, key, **options):
        prefix = key.split("_")[1] if key.startswith("gp_") else key
        found = ApiKey.objects.filter(prefix=prefix).first()
        if found is None:
            raise CommandError(
                f"no API key with prefix {prefix!r} (the 8 characters after 'gp_')"
            )
        key = found
        if key.is_revoked:
            when = timezone.localtime(key.revoked_at).strftime("%Y-%m-%d %H:%M")
            self.stdout.write(f"key {prefix} was already revoked at {when}")
            return
        key.revoke()
        event_record("api_key.revoke", key, actor_label="revoke_api_key")
        self.stdout.write(self.style.SUCCESS(f"key {prefix} ({key.name}) revoked"))
