"""A simulation as the pages show it, and when a layer's draft gets one.

``simulation_display`` turns ``routing_rules.services.simulation``'s result
into a from × to table of owners with body names, the counts and the
examples; the rule set's simulate page and the planners' generation preview
render it with ``rules/_simulation.html``. Example: a draft that gives water
faults to HBB instead of HATSU, with two water requests in the last six
months, shows one row "HATSU" with 2 under the column "HBB".
"""

from django.utils import timezone

from geopool.web.l10n import count_text
from geopool.web.rules.display import Names
from routing_rules.conditions import term_layers
from routing_rules.models import Rule, RuleSet


def simulation_display(simulation, names=None):
    """Return the template context of a ``Simulation``."""
    names = names or Names.load()
    sources = sorted({a for a, _b in simulation.matrix})
    targets = sorted({b for _a, b in simulation.matrix})
    rows = [
        {
            "code": source,
            "name": names.body(source),
            "cells": [simulation.matrix.get((source, t), 0) for t in targets],
            "total": sum(simulation.matrix.get((source, t), 0) for t in targets),
        }
        for source in sources
    ]
    return {
        "since": timezone.localtime(simulation.since).date(),
        "rule_set_version": simulation.rule_set_version,
        "generations": sorted(simulation.generations.items()),
        "counts": {
            name: count_text(getattr(simulation, name))
            for name in (
                "total",
                "routed",
                "changed",
                "triage",
                "skipped",
                "moved_by_hand",
            )
        },
        "changed": simulation.changed,
        "columns": [{"code": t, "name": names.body(t)} for t in targets],
        "column_totals": [
            sum(simulation.matrix.get((s, t), 0) for s in sources) for t in targets
        ],
        "rows": rows,
        "examples": [
            {
                **example,
                "from_name": names.body(example["from"]),
                "to_name": names.body(example["to"]),
            }
            for example in simulation.examples
        ],
    }


def layers_consulted(rule_set):
    """Codes of the layers the rules of ``rule_set`` name."""
    layers = set()
    for terms in Rule.objects.filter(rule_set=rule_set).values_list("terms", flat=True):
        layers.update(term_layers(terms))
    return layers


def generation_simulation_offered(layer, district_layer):
    """True when a draft of ``layer`` can change owners under the live rules."""
    if layer.code == district_layer:
        return True
    active = RuleSet.objects.filter(is_active=True).first()
    return active is not None and layer.code in layers_consulted(active)
