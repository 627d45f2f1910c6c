from django.core.management.base import BaseCommand, CommandError

from boundaries.models import Layer
from boundaries.services.generations import generation_activate, generation_rollback
from geopool.errors import GeopoolError


class Command(BaseCommand):
    # The import touches only the database; the full system checks would
    # load every page's code first (a second on each scripted import).
    requires_system_checks = []
    help = (
        "Activate a stored generation of a layer (after its checks), or roll "
        "back to the previously active one with --previous. Audited."
    )

    def add_arguments(self, parser):
        parser.add_argument("layer", help="layer code, e.g. districts")
        parser.add_argument("generation", nargs="?", type=int, help="number")
        parser.add_argument("--previous", action="store_true", help="roll back")
        parser.add_argument(
            "--force", action="store_true", help="activate despite check errors"
        )

    def handle(self, layer, generation, previous, force, **options):
        found = Layer.objects.filter(code=layer).first()
        if found is None:
            known = ", ".join(Layer.objects.values_list("code", flat=True)) or "none"
            raise CommandError(f"no layer {layer!r}; layers: {known}")
        if previous == (generation is not None):
            raise CommandError("give a generation number, or --previous to roll back")
        try:
            if previous:
                done = generation_rollback(found)
            else:
                target = found.generations.filter(number=generation).first()
                if target is None:
                    numbers = ", ".join(
                        str(n)
                        for n in found.generations.values_list("number", flat=True)
                    )
                    raise CommandError(
                        f"layer {layer} has no generation {generation}; it has: "
                        f"{numbers or 'none'}"
                    )
                done = generation_activate(target, force=force)
        except GeopoolError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{done} is now active"))
