from django.core.management.base import BaseCommand, CommandError

from geopool.models import ApiKey
from geopool.services.events import event_record


class Command(BaseCommand):
    help = "Revoke an API key by its prefix (the 8 characters after 'gp_')."

    def add_arguments(self, parser):
        parser.add_argument("prefix")

    def handle(self, prefix, **options):
        key = ApiKey.objects.filter(prefix=prefix).first()
        if key is None:
            raise CommandError(f"no API key with prefix {prefix!r}")
        if key.is_revoked:
            self.stdout.write(f"key {prefix} was already revoked at {key.revoked_at}")
            return
        key.revoke()
        event_record("api_key.revoke", key, actor_label="revoke_api_key")
        self.stdout.write(self.style.SUCCESS(f"key {prefix} ({key.name}) revoked"))
