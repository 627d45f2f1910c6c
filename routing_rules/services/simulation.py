"""Simulation: what a draft rule set or draft generation would change.

``simulate(rule_set=..., generations=..., since=...)`` routes the requests
received since a date twice, with the live rules and layers and with the
draft (everything else as live), and compares the two routing decisions:
what the draft changes. A request a person moved (a transfer, the
coordinator's assignment) is owned today by someone routing did not name;
comparing with that owner would count the transfer as the draft's doing,
so such requests are counted apart (``moved_by_hand``) and compared like
every other by their routing. Nothing is written: live routing and the
requests stay as they are. The result says how many requests would change
owner, from whom to whom (a matrix of body codes), and gives examples with
both explanations.

Example: loading a district layer whose Antakya/Defne edge moved 300 m
gives ``changed == 41`` and ``matrix == {("ANTAKYA", "DEFNE"): 41}`` when 41
of the last six months' requests lie in the moved strip.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.utils import timezone
from tqdm import tqdm

from geopool.models import ServiceRequest
from routing_rules.context import build_context, live_context
from routing_rules.engine import route

logger = logging.getLogger(__name__)

BATCH = 50_000
EXAMPLES_PER_PAIR = 3


@dataclass
class Simulation:
    since: object
    total: int = 0
    routed: int = 0
    changed: int = 0
    # {(from body code, to body code): count}, only pairs that change
    matrix: dict = field(default_factory=dict)
    # [{"tracking_code", "category", "from", "to", "rule", "explanation_tr",
    #   "explanation_en"}], a few per pair
    examples: list = field(default_factory=list)
    triage: int = 0
    skipped: int = 0  # no location or outside the service area
    # Owned today by another body than live routing names (moved by hand).
    moved_by_hand: int = 0
    rule_set_version: int | None = None
    generations: dict = field(default_factory=dict)

    @property
    def rows(self):
        """The matrix as sorted rows (from, to, count), largest first."""
        return sorted(
            ((a, b, n) for (a, b), n in self.matrix.items()),
            key=lambda r: (-r[2], r[0], r[1]),
        )

    @property
    def owners(self):
        """Every body code in the matrix, sorted: its row and column labels."""
        return sorted({code for pair in self.matrix for code in pair})

    def as_dict(self):
        return {
            "since": self.since.isoformat() if self.since else None,
            "total": self.total,
            "routed": self.routed,
            "changed": self.changed,
            "triage": self.triage,
            "skipped": self.skipped,
            "moved_by_hand": self.moved_by_hand,
            "rule_set_version": self.rule_set_version,
            "generations": self.generations,
            "matrix": [{"from": a, "to": b, "count": n} for a, b, n in self.rows],
            "examples": self.examples,
        }


def default_since(months=6):
    return timezone.now() - timedelta(days=round(30.44 * months))


def simulate(rule_set=None, generations=None, since=None, progress=False, at=None):
    """Route recent requests with a draft and compare with today's owners.

    Parameters
    ----------
    rule_set : RuleSet, default the active one
    generations : {layer code: Generation}, drafts to use instead of the
        active generations of those layers
    since : aware datetime, default six months ago
    progress : show a progress bar (command line)
    at : the day the draft would decide on (rules and delegations with
        dates), default now
    """
    since = since or default_since()
    context = build_context(rule_set=rule_set, generations=generations)
    live = live_context()
    requests = (
        ServiceRequest.objects.filter(requested_at__gte=since)
        .order_by("id")
        .values_list(
            "id", "tracking_code", "category__code", "location", "owner_body__code"
        )
    )
    result = Simulation(
        since=since,
        rule_set_version=context.rule_set_version,
        generations={
            code: number
            for code, value in context.generations.items()
            if value is not None
            for number in [value[1]]
        },
    )
    result.total = requests.count()
    bar = tqdm(
        total=result.total,
        desc="simulate",
        unit="req",
        disable=not progress,
        mininterval=0.5,
    )
    per_pair = {}
    batch = []
    for row in requests.iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) == BATCH:
            _compare(context, live, batch, result, per_pair, at)
            bar.update(len(batch))
            batch = []
    if batch:
        _compare(context, live, batch, result, per_pair, at)
        bar.update(len(batch))
    bar.close()
    logger.info(
        "simulation of rule set v%s since %s: %d of %d requests would change owner",
        result.rule_set_version,
        since.date(),
        result.changed,
        result.total,
    )
    return result


def _compare(context, live, rows, result, per_pair, at):
    located = [r for r in rows if r[3] is not None and r[2] in context.categories]
    result.skipped += len(rows) - len(located)
    if not located:
        return
    lons = np.array([r[3].x for r in located])
    lats = np.array([r[3].y for r in located])
    categories = [r[2] for r in located]
    decided = route(context, lons, lats, categories, at)
    now = route(live, lons, lats, categories, at)
    for row, new, old in zip(located, decided, now, strict=True):
        if new.error:
            result.skipped += 1
            continue
        result.routed += 1
        if new.needs_triage:
            result.triage += 1
        # A category the live rules do not know: compare with today's owner.
        before = (row[4] or "") if old.error else old.owner_body
        if (row[4] or "") != before:
            result.moved_by_hand += 1
        if new.owner_body == before:
            continue
        pair = (before, new.owner_body)
        result.changed += 1
        result.matrix[pair] = result.matrix.get(pair, 0) + 1
        if per_pair.get(pair, 0) < EXAMPLES_PER_PAIR:
            per_pair[pair] = per_pair.get(pair, 0) + 1
            result.examples.append(
                {
                    "tracking_code": row[1],
                    "category": row[2],
                    "from": before,
                    "to": new.owner_body,
                    "owner_now": row[4] or "",
                    "rule": new.rule_code,
                    "flags": new.flags,
                    "explanation_tr": new.explanation_tr,
                    "explanation_en": new.explanation_en,
                }
            )
