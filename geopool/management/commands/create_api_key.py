from django.core.management.base import BaseCommand, CommandError

from geopool.models import ApiKey, Body, Channel

# Historic imports are not a channel a live system posts through.
KEY_CHANNELS = [value for value in Channel.values if value != Channel.HISTORY]


class Command(BaseCommand):
    help = (
        "Issue an API key for a body's system. The key is printed once, as the "
        "last line; only its hash is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="who uses the key, e.g. 'HATSU SCADA'")
        parser.add_argument("--body", required=True, help="body code, e.g. HATSU")
        parser.add_argument(
            "--channel", default=Channel.API, choices=KEY_CHANNELS, help="channel"
        )

    def handle(self, name, body, channel, **options):
        found = Body.objects.filter(code=body, is_active=True).first()
        if found is None:
            known = ", ".join(
                Body.objects.filter(is_active=True).values_list("code", flat=True)
            )
            raise CommandError(
                f"no active body {body!r}; known codes: {known or 'none (load a pack)'}"
            )
        key, plaintext = ApiKey.issue(name, found, channel)
        self.stdout.write(f"issued key {key.prefix} for {found.name} ({channel})")
        self.stdout.write(plaintext)
