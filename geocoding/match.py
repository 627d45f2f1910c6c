"""Matching a parsed address against the gazetteer, down the hierarchy.

A district is looked for among the districts; a neighbourhood among the
neighbourhoods of the matched district (all of them when no district is
named); a street among the streets of the matched neighbourhood; a door
among the doors of the matched street. Names are compared on their
``geopool.text.name_key`` with rapidfuzz, with and without spaces
(``Benli Dere`` is ``Benlidere``). Numbered streets match only exactly:
``2023`` is never ``2032``.

The result says how far it got (``level``: door, street, neighbourhood,
district, none), how sure it is (``confidence``, 0–1), the official names,
where the point comes from (``location_source``) and, when unsure, the
alternatives. A result below the pack's confidence threshold, or whose
point is only the district's, needs an operator's pin.
"""

import logging
import threading
from dataclasses import dataclass, field

from django.db import connection
from django.utils.translation import gettext, gettext_noop
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from geocoding.models import PLACEABLE, LocationSource
from geocoding.parse import parse_address
from geocoding.provinces import PROVINCES, SHORT_NAMES
from geopool.models import Jurisdiction
from geopool.text import name_key

logger = logging.getLogger(__name__)

# Scores (0–100) a name must reach: a name marked as a neighbourhood or
# named as a district ("Mah.", "X/Hatay") may be misspelt a little; a phrase
# no marker explains must be nearly exact to be taken for a name.
MARKED_MIN = 80
FREE_MIN = 90
# A district's name may carry one typing slip when it is this long.
DISTRICT_SLIP_MIN = 6
STREET_MIN = 85
# Two candidates this close are too close to tell apart.
AMBIGUOUS_MARGIN = 4
# How sure a match is, before its spelling is counted: a marked name 1; an
# unmarked phrase that is a whole name; part of a longer unmarked phrase
# ("Adnan Menderes Parkı" is not Menderes Mahallesi) or a street named like
# a neighbourhood; several neighbourhoods alike; a district alone.
FREE_CERTAINTY = 0.95
PART_CERTAINTY = 0.7
AMBIGUOUS_CERTAINTY = 0.6
DISTRICT_ONLY_CERTAINTY = 0.9
# Text that names another province: the place may not be in this one.
OTHER_PROVINCE_CERTAINTY = 0.5
# A street whose name is another neighbourhood's of the same district.
STREET_NAMES_ANOTHER_CERTAINTY = 0.7
LEVELS = ("none", "district", "neighbourhood", "street", "door")

# Why an answer is unsure or empty: a code, and its sentence with named
# parameters. The API answers the English sentence; staff pages show it in
# their language (``reason_text``).
REASONS = {
    "empty": gettext_noop("empty address"),
    "elsewhere": gettext_noop(
        "“%(name)s” is not in %(district)s; other districts have one"
    ),
    "nothing": gettext_noop("no district or neighbourhood recognised"),
    "not_in_district": gettext_noop(
        "neighbourhood “%(name)s” is not one of %(district)s's neighbourhoods"
    ),
    "no_neighbourhood": gettext_noop("no neighbourhood named"),
    "several": gettext_noop("several neighbourhoods match as well"),
    "street_is_another": gettext_noop(
        "%(neighbourhood)s has a street “%(street)s”, but %(other)s is a "
        "neighbourhood of the district too"
    ),
    "no_street_another": gettext_noop(
        "no street “%(street)s” in %(neighbourhood)s, but %(other)s is a "
        "neighbourhood of the district too"
    ),
    "low_confidence": gettext_noop("confidence below the threshold"),
    "district_point": gettext_noop("the point is only the district's; a pin is needed"),
    "other_province": gettext_noop("the address names %(province)s, another province"),
    "neighbourhood_point": gettext_noop(
        "the point is only the neighbourhood's; the place itself needs a pin"
    ),
}


def reason_text(code, params=None, fallback=""):
    """The sentence of reason ``code`` in the active language."""
    if code not in REASONS:
        return fallback
    return gettext(REASONS[code]) % (params or {})


def reason_json(code, **params):
    """The ``reason`` fields of a geocoding answer's JSON for ``code``."""
    return {
        "reason": REASONS[code] % params,
        "reason_code": code,
        "reason_params": params,
    }


def _why(result, code, **params):
    """Set ``result``'s reason (its English sentence, code and parameters)."""
    result.reason = REASONS[code] % params
    result.reason_code = code
    result.reason_params = params


@dataclass
class Place:
    id: int
    code: str
    name: str
    key: str
    compact: str
    district_code: str
    district_name: str
    lon: float | None
    lat: float | None
    location_source: str
    population: int = 0


@dataclass
class GeocodeResult:
    query: str
    level: str = "none"
    confidence: float = 0.0
    district: dict | None = None
    neighbourhood: dict | None = None
    street: dict | None = None
    door: str = ""
    block: str = ""
    floor: str = ""
    flat: str = ""
    building: str = ""
    lon: float | None = None
    lat: float | None = None
    location_source: str = LocationSource.NONE
    needs_pin: bool = True
    reason: str = ""
    reason_code: str = ""
    reason_params: dict = field(default_factory=dict)
    alternatives: list = field(default_factory=list)
    parsed: dict = field(default_factory=dict)

    def as_json(self):
        return {
            "query": self.query,
            "level": self.level,
            "confidence": round(self.confidence, 3),
            "needs_pin": self.needs_pin,
            "reason": self.reason,
            "reason_code": self.reason_code or None,
            "reason_params": self.reason_params,
            "district": self.district,
            "neighbourhood": self.neighbourhood,
            "street": self.street,
            "door": self.door or None,
            "block": self.block or None,
            "floor": self.floor or None,
            "flat": self.flat or None,
            "building": self.building or None,
            "location": (
                {"lon": self.lon, "lat": self.lat} if self.lon is not None else None
            ),
            "location_source": self.location_source,
            "alternatives": self.alternatives,
        }


class Gazetteer:
    """The names and points held in memory for matching (one per process)."""

    def __init__(self, districts, neighbourhoods, streets, settings):
        self.districts = districts  # [Place] with id 0
        self.neighbourhoods = neighbourhoods
        self.streets = streets  # nb id -> [(key, name, code, street id, has_geom)]
        self.settings = settings
        self.province_names = settings.get("province_names", [])
        self.threshold = float(settings.get("confidence_threshold", 0.8))
        own = {name_key(name) for name in self.province_names}
        self.other_provinces = {
            name_key(name): official
            for name, official in [
                *((p, p) for p in PROVINCES),
                *SHORT_NAMES.items(),
            ]
            if name_key(name) not in own and name_key(official) not in own
        }
        # Aksaray and Sakarya are also neighbourhoods of Hatay: a name the
        # jurisdiction uses for its own places is not taken for a province.
        local = set()
        for place in [*districts, *neighbourhoods]:
            local.update(place.key.split())
        for key in local & set(self.other_provinces):
            del self.other_provinces[key]
        self.by_district = {}
        for nb in neighbourhoods:
            self.by_district.setdefault(nb.district_code, []).append(nb)
        self.district_by_code = {d.code: d for d in districts}

    @classmethod
    def from_database(cls):
        jurisdiction = Jurisdiction.objects.order_by("id").first()
        settings = (jurisdiction.settings if jurisdiction else {}) or {}
        geo = settings.get("geocoding", {})
        district_layer = settings.get("district_layer", "districts")
        from geocoding.gazetteer import district_points

        points = district_points(district_layer, geo.get("place_point_layer", ""))
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT f.code, f.name FROM boundaries_feature f
                JOIN boundaries_generation g ON g.id = f.generation_id AND g.is_active
                JOIN boundaries_layer l ON l.id = g.layer_id AND l.code = %s
                ORDER BY f.code
                """,
                [district_layer],
            )
            districts = []
            for code, name in cursor.fetchall():
                key = name_key(name)
                lon, lat, _note = points.get(code, (None, None, ""))
                districts.append(
                    Place(
                        0,
                        code,
                        name,
                        key,
                        key.replace(" ", ""),
                        code,
                        name,
                        lon,
                        lat,
                        LocationSource.DISTRICT,
                    )
                )
            cursor.execute(
                """
                SELECT id, code, name, key, district_code, district_name,
                       ST_X(location), ST_Y(location), location_source,
                       coalesce(population, 0)
                FROM geocoding_neighbourhood ORDER BY id
                """
            )
            neighbourhoods = [
                Place(r[0], r[1], r[2], r[3], r[3].replace(" ", ""), *r[4:])
                for r in cursor.fetchall()
            ]
            cursor.execute(
                "SELECT neighbourhood_id, key, name, code, id, geometry IS NOT NULL "
                "FROM geocoding_street"
            )
            streets = {}
            for nb, key, name, code, street_id, has_geom in cursor.fetchall():
                streets.setdefault(nb, []).append(
                    (key, name, code, street_id, has_geom)
                )
        return cls(districts, neighbourhoods, streets, geo)


_cache = {"stamp": None, "gazetteer": None}
_lock = threading.Lock()


def _stamp():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT (SELECT count(*) || ':' || coalesce(max(id), 0)
                    FROM geocoding_neighbourhood),
                   (SELECT coalesce(max(id), 0) FROM geocoding_street),
                   (SELECT string_agg(id::text, ',' ORDER BY id)
                    FROM boundaries_generation WHERE is_active),
                   (SELECT md5(settings::text) FROM geopool_jurisdiction
                    ORDER BY id LIMIT 1)
            """
        )
        return cursor.fetchone()


def gazetteer():
    """The current gazetteer, reloaded when the database's copy changed."""
    stamp = _stamp()
    with _lock:
        if _cache["stamp"] != stamp:
            _cache["gazetteer"] = Gazetteer.from_database()
            _cache["stamp"] = stamp
        return _cache["gazetteer"]


def _score(query, place):
    compact = query.replace(" ", "")
    return max(fuzz.ratio(query, place.key), fuzz.ratio(compact, place.compact))


def _best(query, places, minimum):
    """Places scoring at least ``minimum`` for ``query``, best first."""
    if not query or not places:
        return []
    compact = query.replace(" ", "")
    found = process.extract(
        compact,
        [p.compact for p in places],
        scorer=fuzz.ratio,
        limit=6,
        score_cutoff=minimum - 10,
    )
    scored = [(_score(query, places[index]), places[index]) for _, _, index in found]
    scored = [(s, p) for s, p in scored if s >= minimum]
    scored.sort(key=lambda sp: (-sp[0], sp[1].district_code, sp[1].name))
    return scored


def _ngrams(words, longest=4):
    """Sub-phrases of ``words``, longest first, leading ones before others."""
    for size in range(min(longest, len(words)), 0, -1):
        for start in range(len(words) - size + 1):
            yield start, size, " ".join(words[start : start + size])


def _district_hits(gram, districts):
    """Districts named by ``gram``: exactly, or one slip in a long name."""
    compact = gram.replace(" ", "")
    hits = []
    for place in districts:
        edits = Levenshtein.distance(compact, place.compact, score_cutoff=1)
        if edits == 0 or (edits == 1 and len(place.compact) >= DISTRICT_SLIP_MIN):
            hits.append((100.0 if edits == 0 else _score(gram, place), place))
    hits.sort(key=lambda sp: -sp[0])
    return hits


def _district_of(gaz, phrases):
    """The best district among ``phrases``; return (place, score, phrase, rest)."""
    best = None
    for index, phrase in enumerate(phrases):
        words = name_key(phrase).split()
        for start, size, gram in _ngrams(words, 3):
            if gram.isdigit():
                continue
            for score, place in _district_hits(gram, gaz.districts)[:1]:
                if best is None or score > best[1]:
                    rest = " ".join(words[:start] + words[start + size :])
                    best = (place, score, index, rest)
    return best


def _place_json(place):
    return {"code": place.code, "name": place.name}


def geocode(text, gaz=None):
    """Geocode one address text; return a ``GeocodeResult``."""
    gaz = gaz or gazetteer()
    result = _geocode(text, gaz)
    other = _other_province(result.parsed.get("free") or [], gaz)
    if other and result.level != "none":
        result.confidence *= OTHER_PROVINCE_CERTAINTY
        _why(result, "other_province", province=other)
        _finish(result, gaz)
    return result


def _other_province(phrases, gaz):
    """The name of another province than the jurisdiction's in ``phrases``."""
    for phrase in phrases:
        for word in name_key(phrase).split():
            found = gaz.other_provinces.get(word)
            if found:
                return found
    return None


def _geocode(text, gaz):
    parsed = parse_address(text or "", gaz.province_names)
    result = GeocodeResult(query=text or "", parsed=parsed.as_dict())
    for part in ("door", "block", "floor", "flat"):
        setattr(result, part, getattr(parsed, part))
    result.building = parsed.building
    if not (text or "").strip():
        _why(result, "empty")
        return result

    # District: a name before "/<province>" or "İlçesi", or any free phrase.
    phrases = [parsed.district, *parsed.free]
    district = _district_of(gaz, [p for p in phrases if p])
    marked = name_key(parsed.neighbourhood)
    if marked:
        # "HATAY İSKENDERUN AŞKARBEYLİ MAH.": a district named before the name.
        words = marked.split()
        for size in (2, 1):
            if len(words) > size:
                lead = " ".join(words[:size])
                hits = _district_hits(lead, gaz.districts)
                if hits and (district is None or hits[0][1] is district[0]):
                    district = district or (hits[0][1], hits[0][0], None, "")
                    marked = " ".join(words[size:])
                    break
    free = []
    for index, phrase in enumerate(phrases):
        if not phrase:
            continue
        if district is not None and index == district[2]:
            if district[3]:
                free.append(district[3])
            continue
        free.append(name_key(phrase))

    d_place, d_score = (district[0], district[1]) if district else (None, 0)
    pool = gaz.by_district.get(d_place.code, []) if d_place else gaz.neighbourhoods

    # Neighbourhood: the marked name; otherwise a free phrase (whole, or a
    # part of it: less sure), or the first words of a street's name
    # ("ÇEKMECE 177. SK.": a neighbourhood written before its street).
    candidates, certainty, street_rest = [], 1.0, None
    if marked:
        candidates = _best(marked, pool, MARKED_MIN)
        if not candidates and d_place is not None:
            # The district came from the text too; a name that exists only
            # in another district is offered, never taken as sure.
            # The named district is trusted over a neighbourhood of that name
            # elsewhere ("HATAY, ANTAKYA, ATATÜRK MAH.": an old name inside
            # Antakya, not Samandağ's Atatürk): those are alternatives.
            elsewhere = _best(marked, gaz.neighbourhoods, FREE_MIN)
            if elsewhere:
                result.alternatives = [_alternative(sc, p) for sc, p in elsewhere[:5]]
                _why(
                    result,
                    "elsewhere",
                    name=parsed.neighbourhood,
                    district=d_place.name,
                )
    else:
        for phrase in free:
            words = phrase.split()
            for _start, size, gram in _ngrams(words, 4):
                if gram.isdigit() or len(gram) < 3:
                    continue
                hits = _best(gram, pool, FREE_MIN)
                if hits and (not candidates or hits[0][0] > candidates[0][0]):
                    candidates = hits
                    certainty = FREE_CERTAINTY if size == len(words) else PART_CERTAINTY
            if candidates:
                break
        street_words = name_key(parsed.street).split()
        if not candidates and len(street_words) > 1:
            for size in range(len(street_words) - 1, 0, -1):
                hits = _best(" ".join(street_words[:size]), pool, FREE_MIN)
                if hits:
                    candidates, certainty = hits, FREE_CERTAINTY
                    street_rest = " ".join(street_words[size:])
                    break
        if not candidates and street_words:
            # "KOÇÖREN CAD.", "HatayHamamı Meydanı": streets and squares are
            # often named after their neighbourhood; a hint, never sure.
            hits = _best(" ".join(street_words), pool, FREE_MIN)
            if hits:
                candidates, certainty = hits, PART_CERTAINTY

    if not candidates:
        if d_place is None:
            _why(result, "nothing")
            return result
        result.level = "district"
        result.district = _place_json(d_place)
        result.confidence = DISTRICT_ONLY_CERTAINTY * d_score / 100
        result.lon, result.lat = d_place.lon, d_place.lat
        result.location_source = LocationSource.DISTRICT
        if not result.reason_code:
            if marked:
                _why(
                    result,
                    "not_in_district",
                    name=parsed.neighbourhood,
                    district=d_place.name,
                )
            else:
                _why(result, "no_neighbourhood")
        return _finish(result, gaz)

    if street_rest is not None:
        parsed.street = street_rest
    score = candidates[0][0]
    tied = [(s, p) for s, p in candidates if s >= score - AMBIGUOUS_MARGIN]
    nb, by_street = _tie_break(gaz, tied, parsed)
    confidence = _certainty(score) * certainty
    if len({p.id for _s, p in tied}) > 1 and not by_street:
        confidence *= AMBIGUOUS_CERTAINTY
        ranked = sorted(candidates[:5], key=lambda sp: (-sp[0], -sp[1].population))
        result.alternatives = [_alternative(s, p) for s, p in ranked]
        if not result.reason_code:
            _why(result, "several")
    if d_place is not None and certainty == 1.0:
        confidence *= min(1.0, 0.5 + d_score / 200)
    result.level = "neighbourhood"
    result.neighbourhood = {**_place_json(nb), "id": nb.id}
    result.district = {"code": nb.district_code, "name": nb.district_name}
    result.lon, result.lat = nb.lon, nb.lat
    result.location_source = nb.location_source

    street = _street_of(gaz, nb, parsed)
    if street is not None:
        s_score, (_key, name, code, street_id, has_geom) = street
        result.street = {"code": code, "name": name, "type": parsed.street_type}
        result.level = "street"
        confidence *= s_score / 100
        if has_geom:
            point = _street_point(street_id, parsed.door)
            if point is not None:
                result.lon, result.lat, source = point
                result.location_source = source
                if source == "door":
                    result.level = "door"
    if parsed.street and not parsed.street.replace(" ", "").isdigit():
        # "Bekbele Mah. Çınarlı Cad.": Çınarlı is also a neighbourhood of the
        # district. A street named after a neighbourhood usually runs to it
        # or through it, so the place may lie in either, whether or not the
        # named neighbourhood has a street of that name: never sure.
        others = [
            (sc, p)
            for sc, p in _best(
                name_key(parsed.street),
                gaz.by_district.get(nb.district_code, []),
                FREE_MIN,
            )
            if p.id != nb.id
        ]
        if others:
            confidence *= STREET_NAMES_ANOTHER_CERTAINTY
            result.alternatives = [_alternative(sc, p) for sc, p in others[:5]]
            _why(
                result,
                "street_is_another" if street is not None else "no_street_another",
                neighbourhood=nb.name,
                street=result.street["name"] if street is not None else parsed.street,
                other=others[0][1].name,
            )
    result.confidence = confidence
    return _finish(result, gaz)


def _certainty(score):
    """A spelling score (0-100) as certainty: each point lost counts twice.

    ``Deizciler`` for ``Denizciler`` (95) stays sure (0.89); ``Yeditepe`` for
    ``Yeşiltepe`` (82), another name, does not (0.65).
    """
    return max(0.0, 1 - 2 * (100 - score) / 100)


def _tie_break(gaz, tied, parsed):
    """Among neighbourhoods matching alike, the one with the named street, else
    the most populous."""
    street = name_key(parsed.street)
    if street and len(tied) > 1:
        having = [
            (s, p)
            for s, p in tied
            if any(
                fuzz.ratio(street, k[0]) >= STREET_MIN
                for k in gaz.streets.get(p.id, [])
            )
        ]
        if len(having) == 1:
            return having[0][1], True
        tied = having or tied
    return max(tied, key=lambda sp: (sp[0], sp[1].population))[1], False


def _alternative(score, place):
    return {
        "district": {"code": place.district_code, "name": place.district_name},
        "neighbourhood": {"code": place.code, "name": place.name},
        "score": round(score / 100, 3),
        "location": (
            {"lon": place.lon, "lat": place.lat} if place.lon is not None else None
        ),
        "location_source": place.location_source,
    }


def _street_of(gaz, nb, parsed):
    query = name_key(parsed.street)
    streets = gaz.streets.get(nb.id, [])
    if not query or not streets:
        return None
    numeric = query.replace(" ", "").isdigit()
    if numeric:
        for street in streets:
            if street[0] == query:
                return 100.0, street
        return None
    found = process.extractOne(
        query, [s[0] for s in streets], scorer=fuzz.ratio, score_cutoff=STREET_MIN
    )
    if found is None:
        return None
    return found[1], streets[found[2]]


def _street_point(street_id, door):
    """The door's point if known, else the middle of the street's lines."""
    with connection.cursor() as cursor:
        if door:
            cursor.execute(
                "SELECT ST_X(location), ST_Y(location) FROM geocoding_door "
                "WHERE street_id = %s AND lower(number) = lower(%s) LIMIT 1",
                [street_id, door],
            )
            row = cursor.fetchone()
            if row:
                return row[0], row[1], "door"
        cursor.execute(
            """
            SELECT ST_X(p), ST_Y(p) FROM (
                SELECT ST_ClosestPoint(geometry, ST_Centroid(geometry)) AS p
                FROM geocoding_street WHERE id = %s AND geometry IS NOT NULL
            ) s
            """,
            [street_id],
        )
        row = cursor.fetchone()
    return (row[0], row[1], "street") if row else None


def _finish(result, gaz):
    placeable = result.location_source in PLACEABLE or result.location_source in (
        "street",
        "door",
    )
    result.needs_pin = (
        result.confidence < gaz.threshold or not placeable or result.lon is None
    )
    if result.needs_pin and not result.reason_code:
        low = result.confidence < gaz.threshold
        _why(result, "low_confidence" if low else "district_point")
    return result
