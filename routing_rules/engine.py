"""The routing engine: a rule set applied to many points at once.

``route(context, lons, lats, categories, at)`` decides the owner of each
point; ``routing_rules.decide`` calls it with one point, bulk routing
(history import, simulation) with hundreds of thousands. One code path, so a
simulation shows exactly what live routing would do.

For each point:

1. *Place* it against the district layer: inside one district; on a shared
   edge (covered by several: the lowest official code wins, flag
   ``on_edge``); in a gap or offshore within the snap tolerance (nearest
   district, ``snapped``); farther but inside the service-area buffer (no
   district, ``outside_districts``); or beyond it (an error for that point).
2. Walk the stages in order; the first stage with a match decides.
   In every stage but network proximity, rules are tried by priority and the
   first whose condition holds and whose owner can be named decides. In the
   network-proximity stage every rule offers its nearest feature within its
   own distance and the nearest candidate wins; when the nearest candidates
   of two different owners are within the pack's margin
   (``network_tie_margin_m``) of each other, the request goes to triage with
   both.
3. A delegation valid on the day hands the owner's duty to another body.
4. If nothing decided, the pool coordinator's triage queue takes it.

A rule whose layer has no active generation is *dormant*: skipped and named
in the trace. Distances are metres on the ground, measured in a transverse
Mercator centred on the jurisdiction (``routing_rules.layers``).
"""

import gc
import logging
from dataclasses import dataclass, field

import numpy as np
from django.utils import timezone

from routing_rules.conditions import ANYWHERE, INSIDE, primary_term
from routing_rules.explain import (
    feature_phrases,
    metres_en,
    metres_tr,
    sentence,
    where_phrases,
)
from routing_rules.layers import to_metric
from routing_rules.models import OwnerKind, Stage

logger = logging.getLogger(__name__)

MAX_GROUP_DEPTH = 4
GC_PAUSE_FROM = 10_000


@dataclass
class Place:
    kind: str  # inside, edge, snapped, outside, unknown, out_of_area
    district_code: str = ""
    district_name: str = ""
    covering: list = field(default_factory=list)  # [(name, code)] on an edge
    nearest_name: str = ""
    distance_m: float = 0.0
    tolerance_m: float = 0.0
    generation: int | None = None


@dataclass
class Routed:
    """One point's decision, in plain values (codes, not model instances)."""

    owner_body: str
    owner_department: str
    rule_code: str
    rule_id: int | None
    flags: list
    candidates: list
    trace: list
    generations: dict
    explanation_tr: str
    explanation_en: str
    place: Place
    error: str = ""

    @property
    def needs_triage(self):
        return "triage" in self.flags


class _Points:
    """Coordinates of the batch, in degrees and in metres."""

    def __init__(self, lons, lats, lon_0):
        self.x = np.asarray(lons, dtype=float)
        self.y = np.asarray(lats, dtype=float)
        self.valid = ~(np.isnan(self.x) | np.isnan(self.y))
        self.mx, self.my = to_metric(self.x, self.y, lon_0)
        self.mx = np.where(self.valid, self.mx, np.nan)
        self.my = np.where(self.valid, self.my, np.nan)


def _local_date(at):
    return timezone.localtime(at).date() if timezone.is_aware(at) else at.date()


class _Batch:
    def __init__(self, context, lons, lats, categories, at):
        self.context = context
        self.points = _Points(lons, lats, context.lon_0)
        self.categories = np.asarray(categories, dtype=object)
        self.n = len(self.categories)
        # Category codes as small integers: rule filters test them fast.
        self.category_number = {code: i for i, code in enumerate(context.categories)}
        self.category_ids = np.fromiter(
            (self.category_number.get(c, -1) for c in self.categories),
            dtype=np.int32,
            count=self.n,
        )
        self.day = _local_date(at)
        self.settings = context.settings
        self.margin = float(self.settings.get("network_tie_margin_m", 3))
        self._category_masks = {}
        self._terms = {}

    # -- step 1: districts ------------------------------------------------
    def place(self):
        settings = self.settings
        tolerance = float(settings["snap_tolerance_m"])
        buffer = float(settings["service_area_buffer_m"])
        index = self.context.index(self.context.district_layer)
        if index is None:
            from routing_rules.errors import RoutingError

            raise RoutingError(
                f"layer {self.context.district_layer!r} has no active generation; "
                "import the districts first (`manage.py load_pack_layers PACK "
                "--commit`)"
            )
        self.district_index = index
        view = index.view()
        p = self.points
        n = self.n
        kind = np.full(n, "unknown", dtype=object)
        district = np.full(n, -1, dtype=np.int64)
        distance = np.zeros(n)
        nearest = np.full(n, -1, dtype=np.int64)
        valid = np.flatnonzero(p.valid)
        first, count = view.covering(p.x[valid], p.y[valid])
        covered = valid[first >= 0]
        district[covered] = first[first >= 0]
        kind[covered] = np.where(count[first >= 0] > 1, "edge", "inside")
        rest = valid[first < 0]
        found, dist = view.nearest(p.mx[rest], p.my[rest], buffer)
        snapped = found >= 0
        snapped &= dist <= tolerance
        district[rest[snapped]] = found[snapped]
        distance[rest[snapped]] = dist[snapped]
        kind[rest[snapped]] = "snapped"
        outside = (found >= 0) & ~snapped
        kind[rest[outside]] = "outside"
        nearest[rest[outside]] = found[outside]
        distance[rest[outside]] = dist[outside]
        kind[rest[found < 0]] = "out_of_area"
        self.kind, self.district, self.distance = kind, district, distance
        self.nearest_district = nearest
        self.tolerance, self.buffer = tolerance, buffer
        codes = np.asarray(index.codes + [""], dtype=object)
        self.district_code = codes[district]
        bodies = self.context.district_bodies
        # One body per district (and "" for none, the last slot), then per point.
        body_of = np.asarray(
            [bodies.get(c, "") if c else "" for c in codes.tolist()], dtype=object
        )
        self.district_body = body_of[district]

    def place_of(self, i):
        index = self.district_index
        kind = self.kind[i]
        place = Place(
            kind=kind,
            tolerance_m=self.tolerance,
            generation=index.number,
            distance_m=float(self.distance[i]),
        )
        d = self.district[i]
        if d >= 0:
            place.district_code = index.codes[d]
            place.district_name = index.names[d]
        if kind == "edge":
            view = index.view()
            place.covering = [
                (index.names[j], index.codes[j])
                for j in view.all_covering(self.points.x[i], self.points.y[i])
            ]
        if kind == "outside":
            place.nearest_name = index.names[self.nearest_district[i]]
        return place

    # -- conditions ---------------------------------------------------------
    def term(self, term, rows):
        """Evaluate one term for the points ``rows``: (holds, feature, distance).

        Results are cached per term for the whole batch and computed for the
        points asked first; terms shared by several rules are computed once.
        """
        key = repr(sorted(term.items()))
        cached = self._terms.get(key)
        if cached is None:
            cached = self._terms[key] = {
                "done": np.zeros(self.n, dtype=bool),
                "holds": np.zeros(self.n, dtype=bool),
                "feature": np.full(self.n, -1, dtype=np.int64),
                "distance": np.full(self.n, np.inf),
            }
        todo = rows[~cached["done"][rows]]
        if len(todo):
            self._compute(term, todo, cached)
            cached["done"][todo] = True
        holds = cached["holds"][rows]
        if term.get("negate"):
            holds = ~holds & self.points.valid[rows]
        return holds, cached["feature"][rows], cached["distance"][rows]

    def _compute(self, term, rows, out):
        rows = rows[self.points.valid[rows]]
        if not len(rows):
            return
        index = self.context.index(term["layer"])
        view = index.view(term.get("filter"))
        p = self.points
        if term["op"] == INSIDE:
            first, _ = view.covering(p.x[rows], p.y[rows])
            inside = first >= 0
            out["holds"][rows[inside]] = True
            out["feature"][rows[inside]] = first[inside]
            out["distance"][rows[inside]] = 0.0
            buffer = term.get("buffer_m") or 0
            if buffer:
                rest = rows[~inside]
                found, dist = view.nearest(p.mx[rest], p.my[rest], buffer)
                near = found >= 0
                out["holds"][rest[near]] = True
                out["feature"][rest[near]] = found[near]
                out["distance"][rest[near]] = dist[near]
        else:
            found, dist = view.nearest(p.mx[rows], p.my[rows], term["distance_m"])
            near = found >= 0
            out["holds"][rows[near]] = True
            out["feature"][rows[near]] = found[near]
            out["distance"][rows[near]] = dist[near]

    def condition(self, rule, rows):
        """(holds, primary feature, primary distance) of a rule's condition."""
        holds = np.ones(len(rows), dtype=bool)
        feature = np.full(len(rows), -1, dtype=np.int64)
        distance = np.zeros(len(rows))
        primary = primary_term(rule.terms)
        for term in rule.terms:
            if term["op"] == ANYWHERE:
                continue
            sub = np.flatnonzero(holds)
            ok, feat, dist = self.term(term, rows[sub])
            holds[sub[~ok]] = False
            if term is primary:
                feature[sub] = feat
                distance[sub] = dist
        return holds, feature, distance

    def dormant_layer(self, rule):
        """The layers (comma-separated) a rule names that have no generation."""
        missing = [
            layer
            for layer in rule.layers
            if self.context.generations.get(layer) is None
        ]
        return ", ".join(dict.fromkeys(missing)) or None

    # -- owners -------------------------------------------------------------
    def owners(self, rule, rows, feature, depth):
        """Owner (body, department) arrays for ``rows``; "" where none.

        Also returns the reason code per row where no owner could be named.
        """
        n = len(rows)
        body = np.full(n, "", dtype=object)
        department = np.full(n, "", dtype=object)
        reason = np.full(n, "", dtype=object)
        kind = rule.owner_kind
        if kind == OwnerKind.BODY:
            body[:] = rule.owner_body
            department[:] = rule.owner_department
        elif kind == OwnerKind.DISTRICT:
            body[:] = self.district_body[rows]
            reason[body == ""] = "no_district"
        elif kind == OwnerKind.ATTRIBUTE:
            layer = primary_term(rule.terms)["layer"]
            index = self.context.index(layer)
            values = index.attribute_values(feature, rule.owner_attribute)
            for k, value in enumerate(values):
                if self.context.active_body(value):
                    body[k] = value
                else:
                    reason[k] = "owner_unknown:" + value
        elif kind == OwnerKind.GROUP:
            if depth >= MAX_GROUP_DEPTH:
                reason[:] = "group_too_deep"
            else:
                result = self.walk(
                    rows, self.context.group_rules(rule.owner_group), depth + 1
                )
                body[:] = result["body"]
                department[:] = result["department"]
                reason[body == ""] = "group_no_owner"
                return body, department, reason, result
        return body, department, reason, None

    # -- step 2: the stage walk --------------------------------------------
    def walk(self, rows, rules, depth=0):
        """Decide ``rows`` (point indices) with ``rules``; arrays per row."""
        n = len(rows)
        result = {
            "body": np.full(n, "", dtype=object),
            "department": np.full(n, "", dtype=object),
            "rule": np.full(n, -1, dtype=np.int64),
            # The rule whose feature explains the decision: the deciding rule,
            # or the rule inside the group it handed the question to.
            "via": np.full(n, -1, dtype=np.int64),
            "feature": np.full(n, -1, dtype=np.int64),
            "distance": np.zeros(n),
            "tie": np.zeros(n, dtype=bool),
            "steps": [[] for _ in range(n)],
            "candidates": [[] for _ in range(n)],
            "no_district": np.zeros(n, dtype=bool),
        }
        open_ = np.ones(n, dtype=bool)
        categories = self.category_ids[rows]
        # Only the rules for the categories in this batch (one point: a few).
        present = set(self.categories[rows].tolist())
        rules = [r for r in rules if not r.categories or r.categories & present]
        for stage in sorted({r.stage for r in rules}):
            stage_rules = [r for r in rules if r.stage == stage]
            if stage == Stage.NETWORK_PROXIMITY:
                self._proximity(rows, stage_rules, categories, open_, result, depth)
            else:
                self._ordered(rows, stage_rules, categories, open_, result, depth)
            if not open_.any():
                break
        return result

    def _applicable(self, rule, categories, open_):
        mask = open_.copy()
        if rule.categories:
            lookup = self._category_masks.get(rule.code)
            if lookup is None:
                lookup = np.zeros(len(self.category_number) + 1, dtype=bool)
                for code in rule.categories:
                    if code in self.category_number:
                        lookup[self.category_number[code]] = True
                self._category_masks[rule.code] = lookup
            # Unknown categories are numbered -1: the last, always-False slot.
            mask &= lookup[categories]
        return np.flatnonzero(mask)

    def _skip(self, rule, local, result):
        """Trace a rule that cannot be used; True if it was skipped."""
        if not rule.valid_on(self.day):
            status = {"rule": rule.code, "status": "not_valid"}
        else:
            layer = self.dormant_layer(rule)
            if layer is None:
                return False
            status = {"rule": rule.code, "status": "dormant", "layer": layer}
        for k in local:
            result["steps"][k].append(status)
        return True

    def _ordered(self, rows, rules, categories, open_, result, depth):
        for _position, rule in enumerate(
            sorted(rules, key=lambda r: (r.priority, r.code))
        ):
            local = self._applicable(rule, categories, open_)
            if not len(local) or self._skip(rule, local, result):
                continue
            holds, feature, distance = self.condition(rule, rows[local])
            hit = local[holds]
            steps = result["steps"]
            # One step object per rule and status, shared by the points'
            # traces (which are read, never changed, as in ``_skip``).
            missed = {"rule": rule.code, "status": "no_match"}
            for k in local[~holds].tolist():
                steps[k].append(missed)
            if not len(hit):
                continue
            body, department, reason, sub = self.owners(
                rule, rows[hit], feature[holds], depth
            )
            named = body != ""
            if sub is not None and sub["tie"].any():
                # A tie inside the group is a tie of the whole decision: the
                # coordinator decides, with the group's candidates.
                tied = sub["tie"]
                self._merge_group(rule, hit[tied], np.flatnonzero(tied), sub, result)
                result["tie"][hit[tied]] = True
                open_[hit[tied]] = False
                named &= ~tied
                reason[tied] = ""
            for k, why in zip(hit[~named], reason[~named], strict=False):
                if not why:
                    continue
                result["steps"][k].append({"rule": rule.code, "status": why})
                if why == "no_district":
                    result["no_district"][k] = True
            won = hit[named]
            result["body"][won] = body[named]
            result["department"][won] = department[named]
            result["rule"][won] = self._rule_number(rule)
            result["via"][won] = self._rule_number(rule)
            result["feature"][won] = feature[holds][named]
            result["distance"][won] = distance[holds][named]
            if sub is not None:
                self._merge_group(rule, won, np.flatnonzero(named), sub, result)
                open_[won] = False
                continue
            layer = primary_term(rule.terms)
            matched = {"rule": rule.code, "status": "matched"}
            for k, f, d in zip(
                won, feature[holds][named], distance[holds][named], strict=False
            ):
                steps[k].append(matched)
                if layer is not None and f >= 0:
                    result["candidates"][k].append(
                        self._candidate(rule, layer["layer"], f, d, result["body"][k])
                    )
            open_[won] = False

    def _merge_group(self, rule, won, positions, sub, result):
        """Carry what a group decided (its steps, candidates, feature) up."""
        group = rule.owner_group
        for k, j in zip(won, positions, strict=True):
            status = "tie" if sub["tie"][j] else "matched"
            result["steps"][k].append(
                {"rule": rule.code, "status": status, "group": group}
            )
            result["steps"][k].extend({**s, "in_group": group} for s in sub["steps"][j])
            result["candidates"][k].extend(sub["candidates"][j])
            result["via"][k] = sub["via"][j]
            result["feature"][k] = sub["feature"][j]
            result["distance"][k] = sub["distance"][j]

    def _proximity(self, rows, rules, categories, open_, result, depth):
        offers = []
        for rule in sorted(rules, key=lambda r: (r.priority, r.code)):
            local = self._applicable(rule, categories, open_)
            if not len(local) or self._skip(rule, local, result):
                continue
            holds, feature, distance = self.condition(rule, rows[local])
            missed = {"rule": rule.code, "status": "no_match"}
            steps = result["steps"]
            for k in local[~holds].tolist():
                steps[k].append(missed)
            hit = local[holds]
            if not len(hit):
                continue
            body, department, reason, _ = self.owners(
                rule, rows[hit], feature[holds], depth
            )
            for k, why in zip(hit[body == ""], reason[body == ""], strict=False):
                result["steps"][k].append({"rule": rule.code, "status": why})
            named = body != ""
            offers.append(
                (
                    rule,
                    hit[named],
                    feature[holds][named],
                    distance[holds][named],
                    body[named],
                    department[named],
                )
            )
        if not offers:
            return
        per_row = {}
        for rule, hit, feature, distance, body, department in offers:
            layer = primary_term(rule.terms)["layer"]
            for k, f, d, b, dep in zip(
                hit, feature, distance, body, department, strict=False
            ):
                per_row.setdefault(k, []).append(
                    (d, rule.priority, rule.code, rule, layer, f, b, dep)
                )
        for k, offered in per_row.items():
            # Distances equal to the millimetre are a tie: priority decides
            # which candidate is named first (the margin test still applies).
            offered.sort(key=lambda o: (round(o[0], 3), o[1], o[2]))
            best = offered[0]
            result["candidates"][k].extend(
                self._candidate(o[3], o[4], o[5], o[0], o[6]) for o in offered
            )
            rival = next((o for o in offered[1:] if o[6] != best[6]), None)
            if rival is not None and rival[0] - best[0] <= self.margin:
                result["tie"][k] = True
                result["steps"][k].append(
                    {
                        "rule": best[2],
                        "status": "tie",
                        "with": rival[2],
                        "difference_m": round(float(rival[0] - best[0]), 1),
                    }
                )
                open_[k] = False
                continue
            for o in offered:
                status = "matched" if o is best else "farther"
                result["steps"][k].append({"rule": o[2], "status": status})
            result["body"][k] = best[6]
            result["department"][k] = best[7]
            result["rule"][k] = self._rule_number(best[3])
            result["via"][k] = self._rule_number(best[3])
            result["feature"][k] = best[5]
            result["distance"][k] = best[0]
            open_[k] = False

    def _rule_number(self, rule):
        return self._rule_numbers[id(rule)]

    def _candidate(self, rule, layer, feature, distance, body):
        index = self.context.index(layer)
        return {
            "layer": layer,
            "feature": index.names[feature],
            "code": index.codes[feature],
            "distance_m": round(float(distance), 1),
            "rule": rule.code,
            "body": body,
        }

    # -- step 3 and 4 ---------------------------------------------------------
    def run(self):
        self.place()
        self._rules = list(self.context.rules)
        self._rule_numbers = {id(rule): i for i, rule in enumerate(self._rules)}
        main = [r for r in self._rules if not r.group]
        routable = np.flatnonzero(self.kind != "out_of_area")
        result = self.walk(routable, main)
        return routable, result


def _delegation(context, body, category, district_code, day):
    for delegation in context.delegations:
        if (
            delegation.from_body == body
            and category in delegation.categories
            and (
                not delegation.district_codes
                or district_code in delegation.district_codes
            )
            and delegation.valid_on(day)
        ):
            return delegation
    return None


def _district_candidates(batch, i, place):
    if place.kind in ("inside", "edge"):
        pairs = place.covering or [(place.district_name, place.district_code)]
        return [
            {
                "layer": batch.context.district_layer,
                "feature": name,
                "code": code,
                "covers": True,
                "distance_m": 0.0,
            }
            for name, code in pairs
        ]
    if place.kind == "snapped":
        return [
            {
                "layer": batch.context.district_layer,
                "feature": place.district_name,
                "code": place.district_code,
                "covers": False,
                "distance_m": round(place.distance_m, 1),
            }
        ]
    if place.kind == "outside":
        return [
            {
                "layer": batch.context.district_layer,
                "feature": place.nearest_name,
                "code": batch.district_index.codes[batch.nearest_district[i]],
                "covers": False,
                "distance_m": round(place.distance_m, 1),
            }
        ]
    return []


_FLAGS = {
    "edge": ["on_edge"],
    "snapped": ["snapped"],
    "outside": ["outside_districts"],
    "unknown": ["no_location"],
}


def _triage_reason(batch, place, row_result, k):
    if row_result["tie"][k]:
        a, b = row_result["candidates"][k][:2]
        return (
            f"{a['feature']} ({metres_tr(a['distance_m'])}) ile {b['feature']} "
            f"({metres_tr(b['distance_m'])}) arasındaki fark "
            f"{metres_tr(batch.margin)} payından az",
            f"{a['feature']} ({metres_en(a['distance_m'])}) and {b['feature']} "
            f"({metres_en(b['distance_m'])}) are within the "
            f"{metres_en(batch.margin)} margin of each other",
        )
    if row_result["no_district"][k] or place.kind in ("outside", "unknown"):
        if place.kind == "unknown":
            return ("hangi ilçede olduğu belirlenemiyor", "no district can be told")
        if place.kind == "outside":
            return (
                f"{metres_tr(place.tolerance_m)} toleransın dışında",
                f"beyond the {metres_en(place.tolerance_m)} tolerance",
            )
        return (
            f"{place.district_name} ilçesinin belediyesi tanımlı değil"
            if place.district_code
            else f"{place.district_name} ilçe sınırının resmî kodu yok",
            f"no municipality is linked to district {place.district_name}"
            if place.district_code
            else f"the district feature {place.district_name} has no official code",
        )
    return ("bu kategori için kural yok", "no rule applies to this category")


def route(context, lons, lats, categories, at=None):
    """Decide the owner of every point; returns a list of ``Routed``.

    ``lons``/``lats`` are WGS 84 degrees (NaN for "no location");
    ``categories`` are category codes (all must exist in the context).
    Points beyond the service area get ``error`` set and no owner.
    """
    at = at or timezone.now()
    if len(categories) < GC_PAUSE_FROM:
        return _route(context, lons, lats, categories, at)
    # A large batch builds millions of small objects, none in cycles: pausing
    # the cyclic garbage collector saves it rescanning them again and again.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _route(context, lons, lats, categories, at)
    finally:
        if collecting:
            gc.enable()


def _route(context, lons, lats, categories, at):
    batch = _Batch(context, lons, lats, categories, at)
    routable, result = batch.run()
    position = np.full(batch.n, -1, dtype=np.int64)
    position[routable] = np.arange(len(routable))
    coordinator = context.settings["coordinator_body"]
    coordinator_department = context.settings["coordinator_department"]
    layer_sets = context.consulted_layers()
    routed = []
    # Most points lie inside one district: their place, district candidates
    # and (for the same rule, feature and rounded distance) explanations are
    # shared instead of rebuilt point by point.
    places, district_lists, sentences = {}, {}, {}
    kinds, districts = batch.kind.tolist(), batch.district.tolist()
    codes, positions = batch.categories.tolist(), position.tolist()
    bodies, departments = result["body"].tolist(), result["department"].tolist()
    rule_numbers, vias = result["rule"].tolist(), result["via"].tolist()
    features, distances = result["feature"].tolist(), result["distance"].tolist()
    ties, steps, offered = result["tie"].tolist(), result["steps"], result["candidates"]
    categories_ = context.categories
    for i in range(batch.n):
        category = categories_[codes[i]]
        kind = kinds[i]
        if kind == "inside":
            key = districts[i]
            place = places.get(key)
            if place is None:
                place = places[key] = batch.place_of(i)
                district_lists[key] = _district_candidates(batch, i, place)
            district_candidates = district_lists[key]
        else:
            key = None
            place = batch.place_of(i)
            if kind == "out_of_area":
                routed.append(_out_of_area(batch, i, place))
                continue
            district_candidates = _district_candidates(batch, i, place)
        k = positions[i]
        flags = list(_FLAGS.get(kind, ()))
        if category.is_emergency:
            flags.insert(0, "urgent")
        body = bodies[k]
        department = departments[k]
        rule_number = rule_numbers[k]
        rule = batch._rules[rule_number] if rule_number >= 0 else None
        trace = steps[k]
        # Shared (never changed by anyone) when only the district is named.
        candidates = (
            district_candidates + offered[k] if offered[k] else district_candidates
        )
        triage_reason = None
        delegation = None
        if not body:
            triage_reason = _triage_reason(batch, place, result, k)
            body, department = coordinator, coordinator_department
            flags.append("triage")
            if ties[k]:
                flags.append("tie")
                key = None
        elif context.delegations:
            delegation = _delegation(
                context, body, category.code, place.district_code, batch.day
            )
            target = delegation and (delegation.to_body or batch.district_body[i])
            if target:
                trace.append(
                    {
                        "delegation": delegation.code,
                        "from": body,
                        "to": target,
                        "decision": delegation.decision_ref,
                    }
                )
                body, department = target, ""
                flags.append("delegated")
            else:
                delegation = None
        feature = features[k]
        distance = distances[k]
        via_number = vias[k]
        cache_key = None
        if key is not None:
            cache_key = (
                category.code,
                key,
                body,
                department,
                rule_number,
                via_number,
                feature,
                round(distance),
                triage_reason,
                delegation.code if delegation else "",
            )
            texts = sentences.get(cache_key)
        else:
            texts = None
        if texts is None:
            texts = _explain(
                context,
                batch,
                category,
                place,
                body,
                department,
                rule,
                via_number,
                feature,
                distance,
                triage_reason,
                delegation,
            )
            if cache_key is not None:
                sentences[cache_key] = texts
        routed.append(
            Routed(
                owner_body=body,
                owner_department=department,
                rule_code=rule.code if rule else "",
                rule_id=rule.id if rule else None,
                flags=flags,
                candidates=candidates,
                trace=trace,
                generations=layer_sets.get(category.code, {}),
                explanation_tr=texts[0],
                explanation_en=texts[1],
                place=place,
            )
        )
    return routed


def _explain(
    context,
    batch,
    category,
    place,
    body,
    department,
    rule,
    via_number,
    feature,
    distance,
    triage_reason,
    delegation,
):
    """The (tr, en) explanation of one decision."""
    owner = context.bodies[body]
    dept = context.departments.get(department) if department else None
    label = f"{owner.name} — {dept.name}" if dept else owner.name
    via = batch._rules[via_number] if via_number >= 0 else rule
    rule_label = rule.code if rule else ""
    if via is not None and via is not rule:
        rule_label = f"{rule.code} → {via.code}"
    term = primary_term(via.terms) if via is not None else None
    if term is not None and feature >= 0:
        index = context.index(term["layer"])
        where = feature_phrases(index.names[feature], term, distance)
    else:
        where = where_phrases(place)
    tr, en = sentence(category, where, label, rule_label, triage_reason)
    if delegation is not None:
        tr += f" (yetki devri: {delegation.decision_ref})"
        en += f" (delegated by {delegation.decision_ref})"
    if category.is_emergency and category.emergency_phone:
        tr = f"ACİL ({category.emergency_phone}). {tr}"
        en = f"URGENT ({category.emergency_phone}). {en}"
    return tr, en


def _out_of_area(batch, i, place):
    return Routed(
        owner_body="",
        owner_department="",
        rule_code="",
        rule_id=None,
        flags=["out_of_area"],
        candidates=[],
        trace=[],
        generations={},
        explanation_tr="",
        explanation_en="",
        place=place,
        error=(
            f"the point lat={batch.points.y[i]}, long={batch.points.x[i]} is more "
            f"than {metres_en(batch.buffer)} from every district, outside the "
            f"service area ({metres_en(batch.buffer)}); check that lat and long "
            "are not swapped or truncated and are WGS 84 degrees"
        ),
    )


def consulted_layers(context):
    """{category: {layer: generation number}} of the layers its rules read."""
    district = context.district_layer
    base = {}
    if context.generations.get(district):
        base[district] = context.generations[district][1]
    result = {}
    for code in context.categories:
        layers = dict(base)
        for rule in _reachable(context, code):
            for layer in rule.layers:
                generation = context.generations.get(layer)
                if generation:
                    layers[layer] = generation[1]
        result[code] = layers
    return result


def _reachable(context, category, group="", depth=0):
    for rule in context.rules:
        if rule.group != group or not rule.applies_to(category):
            continue
        yield rule
        if rule.owner_kind == OwnerKind.GROUP and depth < MAX_GROUP_DEPTH:
            yield from _reachable(context, category, rule.owner_group, depth + 1)
