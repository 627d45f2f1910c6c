"""The routing decision: who owns a request at this point, and why.

``decide(location, category, at)`` is geopool's single entry point for
routing; the Open311 API, the operator console, the sample loader and the
tests all call it. It reads only data: the active rule set, the active
generation of the district layer and the jurisdiction's settings.

Steps:

1. Place the point against the districts (``locate``): inside one; on a
   shared edge (covered by several: the lowest official code wins, flagged
   ``on_edge``); in a gap or just offshore within the pack's snap tolerance
   (nearest district, flagged ``snapped``); farther but inside the service
   area (no district, flagged ``outside_districts``); or outside the service
   area, which raises ``OutsideServiceArea``.
2. Walk the active rule set in stage and priority order; the first rule that
   applies to the category and whose condition holds decides.
3. A rule that gives "the district" where there is none, or no rule at all,
   sends the request to the pool coordinator's triage queue (flag
   ``triage``): a request never ends up with no owner.

Example: a ``COP`` request at lon 36.1603, lat 36.2021, inside Antakya, is taken by
rule ``ILCE-HIZMETLERI`` (category default, owner: the district), giving
Antakya Belediyesi with the explanation "Çöp toplama ve konteyner, Antakya
ilçe sınırı içinde, kural ILCE-HIZMETLERI: Antakya Belediyesi".
"""

import logging
from dataclasses import dataclass, field

from django.contrib.gis.geos import Point
from django.utils import timezone

from boundaries.lookup import active_generation_number, nearest_features
from geopool.models import Body, BodyKind, Category, Department, Jurisdiction
from routing_rules.errors import OutsideServiceArea, RoutingError, UnknownCategory
from routing_rules.explain import (
    emergency_notice,
    metres_en,
    metres_tr,
    sentence,
    where_phrases,
)
from routing_rules.models import OwnerKind, Rule, RuleSet

logger = logging.getLogger(__name__)

OUTSIDE_SERVICE_AREA = (
    "the point lat={lat}, long={lon} is {distance} from {name}, outside its "
    "service area ({buffer}); check that lat and long are not swapped or "
    "truncated and are WGS 84 degrees"
)


@dataclass
class Place:
    kind: str  # inside, edge, snapped, outside, unknown
    district: object = None  # FeatureHit or None
    covering: list = field(default_factory=list)
    nearest: object = None
    distance_m: float = 0.0
    tolerance_m: float = 0.0
    generation: int | None = None


@dataclass
class Outcome:
    """An unsaved decision; ``routing_rules.services.decision_store`` saves it."""

    owner_body: Body
    owner_department: Department | None
    rule: Rule | None
    rule_set_version: int | None
    generations: dict
    candidates: list
    flags: list
    explanation_tr: str
    explanation_en: str
    is_urgent: bool = False
    service_notice: str = ""
    place: Place | None = None

    @property
    def needs_triage(self):
        return "triage" in self.flags

    @property
    def owner_label(self):
        return owner_label(self.owner_body, self.owner_department)

    @property
    def rule_code(self):
        return self.rule.code if self.rule else ""


def owner_label(body, department=None):
    """Display name of an owner: the body, or "body — department"."""
    return f"{body.name} — {department.name}" if department else body.name


def _jurisdiction():
    jurisdiction = Jurisdiction.objects.order_by("id").first()
    if jurisdiction is None:
        raise RoutingError(
            "no jurisdiction is loaded; run `manage.py load_jurisdiction PACK` first"
        )
    return jurisdiction


def _coordinates(location):
    if location is None:
        return None
    if isinstance(location, Point):
        if location.srid not in (None, 4326):
            location = location.transform(4326, clone=True)
        return float(location.x), float(location.y)
    lon, lat = location
    return float(lon), float(lat)


def locate(lon, lat, settings):
    """Place (lon, lat) against the active district generation."""
    layer = settings["district_layer"]
    generation = active_generation_number(layer)
    if generation is None:
        raise RoutingError(
            f"layer {layer!r} has no active generation; import the districts "
            "first (`manage.py load_pack_layers PACK --commit`)"
        )
    tolerance = float(settings["snap_tolerance_m"])
    buffer = float(settings["service_area_buffer_m"])
    hits = nearest_features(layer, lon, lat, radius_m=buffer)
    place = Place(kind="outside", tolerance_m=tolerance, generation=generation)
    if not hits:
        raise OutsideServiceArea(
            OUTSIDE_SERVICE_AREA.format(
                lat=lat,
                lon=lon,
                distance=f"more than {metres_en(buffer)}",
                name="every district",
                buffer=metres_en(buffer),
            )
        )
    if hits[0].covers:
        place.covering = hits
        place.district = hits[0]
        place.kind = "edge" if len(hits) > 1 else "inside"
    elif hits[0].distance_m <= tolerance:
        place.district = hits[0]
        place.distance_m = hits[0].distance_m
        place.kind = "snapped"
    else:
        place.nearest = hits[0]
    place.candidates = hits
    return place


def _active_rules():
    rule_set = RuleSet.objects.filter(is_active=True).first()
    if rule_set is None:
        raise RoutingError(
            "no rule set is active; load a jurisdiction pack or activate a rule set"
        )
    return rule_set, list(rule_set.rules.all())


def _category(category):
    if isinstance(category, Category):
        return category
    found = Category.objects.filter(code=category, is_active=True).first()
    if found is None:
        raise UnknownCategory(
            f"unknown service_code {category!r}; GET services.json lists the codes"
        )
    return found


def _flags_for(place):
    return {
        "edge": ["on_edge"],
        "snapped": ["snapped"],
        "outside": ["outside_districts"],
        "unknown": ["no_location"],
    }.get(place.kind, [])


def _candidates(place):
    return [
        {
            "layer": "districts",
            "feature": hit.name,
            "code": hit.code,
            "covers": hit.covers,
            "distance_m": round(hit.distance_m, 1),
        }
        for hit in getattr(place, "candidates", [])
    ]


def decide(location, category, at=None):
    """Decide the owner of a request of ``category`` at ``location``.

    Parameters
    ----------
    location : (lon, lat) in WGS 84 degrees, a GEOS Point, or None
    category : Category or category code
    at : datetime the decision is for (default: now)

    Returns
    -------
    Outcome

    Raises
    ------
    OutsideServiceArea, UnknownCategory, RoutingError
    """
    at = at or timezone.now()
    category = _category(category)
    settings = _jurisdiction().settings
    rule_set, rules = _active_rules()

    coordinates = _coordinates(location)
    if coordinates is None:
        place = Place(kind="unknown")
    else:
        place = locate(*coordinates, settings)
    generations = (
        {settings["district_layer"]: place.generation} if place.generation else {}
    )
    flags = _flags_for(place)
    if category.is_emergency:
        flags.insert(0, "urgent")

    chosen, body, department, triage_reason = None, None, None, None
    for rule in rules:
        if not rule.applies_to(category.code):
            continue
        chosen = rule
        if rule.owner_kind == OwnerKind.BODY:
            body = Body.objects.get(code=rule.owner_body_code)
            if rule.owner_department_code:
                department = Department.objects.get(code=rule.owner_department_code)
        elif place.district is None:
            triage_reason = _no_district_reason(place)
        elif not place.district.code:
            triage_reason = (
                f"{place.district.name} ilçe sınırının resmî kodu yok",
                f"the district feature {place.district.name} has no official code",
            )
        else:
            body = (
                Body.objects.filter(
                    kind=BodyKind.DISTRICT,
                    district_code=place.district.code,
                    is_active=True,
                )
                .order_by("code")
                .first()
            )
            if body is None:
                triage_reason = (
                    f"{place.district.name} ilçesinin belediyesi tanımlı değil",
                    f"no municipality is linked to district {place.district.name}",
                )
        break
    if chosen is None:
        triage_reason = (
            "bu kategori için kural yok",
            "no rule applies to this category",
        )

    if triage_reason:
        body = Body.objects.get(code=settings["coordinator_body"])
        department = Department.objects.get(code=settings["coordinator_department"])
        flags.append("triage")
    label = owner_label(body, department)
    tr, en = sentence(
        category,
        where_phrases(place),
        label,
        chosen.code if chosen else "",
        triage_reason,
    )
    notice = emergency_notice(category)
    if notice:
        phone = category.emergency_phone
        tr = f"ACİL ({phone}). {tr}"
        en = f"URGENT ({phone}). {en}"
    return Outcome(
        owner_body=body,
        owner_department=department,
        rule=chosen,
        rule_set_version=rule_set.version,
        generations=generations,
        candidates=_candidates(place),
        flags=flags,
        explanation_tr=tr,
        explanation_en=en,
        is_urgent=category.is_emergency,
        service_notice=notice,
        place=place,
    )


def _no_district_reason(place):
    if place.kind == "unknown":
        return ("konum yok", "no location")
    return (
        f"{metres_tr(place.tolerance_m)} toleransın dışında",
        f"beyond the {metres_en(place.tolerance_m)} tolerance",
    )
