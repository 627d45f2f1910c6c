"""``manage.py simulate_rules``: what a draft would change, before it goes live.

Routes the requests received since a day with a rule set (default: the
active one) and layer generations (default: the active ones; ``--generation
roads:3`` tries draft 3 of the roads), and compares each new owner with the
request's owner today. Nothing is written. Prints the counts, the matrix of
owner changes and a few examples, or all of it as JSON with ``--json``; a
progress bar goes to stderr.

Example::

    manage.py simulate_rules --rule-set 3 --since 2026-06-01
"""

import json
from datetime import date, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from boundaries.models import Generation, Layer
from geopool.errors import GeopoolError
from geopool.models import Body
from routing_rules.models import RuleSet
from routing_rules.services.simulation import simulate


def _versions():
    return ", ".join(str(v) for v in RuleSet.objects.values_list("version", flat=True))


def rule_set_option(version):
    """The RuleSet of ``--rule-set``, or None for the active one."""
    if version is None:
        return None
    found = RuleSet.objects.filter(version=version).first()
    if found is None:
        raise CommandError(
            f"--rule-set {version}: no rule set has that version; the versions "
            f"are {_versions() or 'none'}"
        )
    return found


def generation_option(text):
    """(layer code, Generation) of one ``--generation LAYER:N``."""
    layer_code, sep, number = text.partition(":")
    if not sep or not layer_code or not number.isdigit():
        raise CommandError(
            f"--generation {text!r}: write it as LAYER:N, e.g. districts:2 "
            "(the layer's code and the generation's number)"
        )
    layer = Layer.objects.filter(code=layer_code).first()
    if layer is None:
        known = ", ".join(Layer.objects.values_list("code", flat=True)) or "none"
        raise CommandError(
            f"--generation {text}: no layer {layer_code!r}; the layers are {known}"
        )
    generation = Generation.objects.filter(layer=layer, number=int(number)).first()
    if generation is None:
        numbers = ", ".join(
            str(n) for n in layer.generations.values_list("number", flat=True)
        )
        raise CommandError(
            f"--generation {text}: layer {layer_code} has no generation {number}; "
            f"it has {numbers or 'none'}"
        )
    return layer_code, generation


def since_option(text):
    """The aware start of the day of ``--since YYYY-MM-DD``, or None."""
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--since {text!r} is not a date; write it as YYYY-MM-DD"
        ) from None
    return timezone.make_aware(datetime.combine(day, time.min))


class Command(BaseCommand):
    # Only the database is touched; the full system checks would load every
    # page's code first.
    requires_system_checks = []
    help = (
        "Route recent requests with a rule set and/or draft layer generations "
        "and show whose requests would change owner (nothing is written)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--rule-set",
            type=int,
            metavar="VERSION",
            help="rule set version to try (default: the active one)",
        )
        parser.add_argument(
            "--generation",
            action="append",
            default=[],
            metavar="LAYER:N",
            help="use generation N of LAYER instead of its active one (repeatable)",
        )
        parser.add_argument(
            "--since",
            metavar="YYYY-MM-DD",
            help="requests received since this day (default: six months ago)",
        )
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, **options):
        rule_set = rule_set_option(options["rule_set"])
        generations = dict(generation_option(t) for t in options["generation"])
        since = since_option(options["since"])
        try:
            result = simulate(
                rule_set=rule_set,
                generations=generations,
                since=since,
                progress=options["verbosity"] > 0 and not options["json"],
            )
        except GeopoolError as exc:
            raise CommandError(str(exc)) from exc
        for code in sorted(set(generations) - set(result.generations)):
            self.stderr.write(
                f"note: no rule of rule set v{result.rule_set_version} reads layer "
                f"{code}, so its generation {generations[code].number} changes "
                "nothing"
            )
        names = dict(Body.objects.values_list("code", "name"))
        if options["json"]:
            data = result.as_dict()
            data["bodies"] = {
                code: names.get(code, "") for code in result.owners if code
            }
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        self._print(result, names)

    def _print(self, result, names):
        generations = ", ".join(
            f"{code} #{number}" for code, number in sorted(result.generations.items())
        )
        since = timezone.localtime(result.since).date()
        self.stdout.write(
            f"rule set v{result.rule_set_version}; generations: {generations}; "
            f"requests received since {since}"
        )
        self.stdout.write(
            f"requests: {result.total}, routed: {result.routed}, would change "
            f"owner: {result.changed}, to triage: {result.triage}, skipped: "
            f"{result.skipped}"
        )
        self.stdout.write(
            "compared: routing today with routing under the change; moved by "
            f"hand (owned by another body than routing names, not counted as "
            f"changes): {result.moved_by_hand}"
        )
        if not result.matrix:
            self.stdout.write("no request would change owner")
            return
        self.stdout.write("routed to today → routed to with the change:")
        width = max(len(_label(c, names)) for c in result.owners)
        for before, after, count in result.rows:
            self.stdout.write(
                f"  {_label(before, names):<{width}} → "
                f"{_label(after, names):<{width}} {count:>8}"
            )
        self.stdout.write("examples:")
        for example in result.examples:
            self.stdout.write(
                f"  {example['tracking_code']} {example['category']} "
                f"{example['from'] or '-'} → {example['to']} "
                f"(rule {example['rule'] or '-'}): {example['explanation_tr']}"
            )


def _label(code, names):
    if not code:
        return "(no owner)"
    name = names.get(code)
    return f"{code} ({name})" if name else code
