"""The written form of a rule's spatial condition, and its parsed form.

A condition is one or more *terms* joined by ``and``; each term may start
with ``not``:

``anywhere``
    always holds (inside the service area).
``inside LAYER[FILTER] + N m``
    the point is covered by a feature of the polygon layer ``LAYER`` (that
    passes the filter), or lies within N metres of its edge; ``+ N m`` is
    optional.
``within N m of LAYER[FILTER]``
    the point is within N metres on the ground of a feature of ``LAYER``
    (usually lines or points: roads, stormwater assets).

A filter lists ``attribute=value`` pairs separated by commas; ``|`` separates
alternatives and ``!=`` negates: ``roads[owner=KGM]``,
``roads[class=motorway|state_highway]``, ``parks[maintainer!=HBB]``.

Examples from the Hatay pack::

    within 25 m of roads[owner=KGM]
    inside parks + 5 m
    within 100 m of coastline and not inside ports

``parse_condition`` turns the text into a list of term dicts (stored as JSON
beside the text); ``format_condition`` writes them back in the canonical
form. Layer and attribute names are checked against the layers by
``routing_rules.validation``, not here.
"""

import re

from django.utils.translation import gettext_noop

from routing_rules.errors import Problem, RuleError

ANYWHERE = "anywhere"
INSIDE = "inside"
WITHIN = "within"

_NAME = r"[a-z][a-z0-9_-]*"
_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
_FILTER = r"(?:\[(?P<filter>[^\]]*)\])?"
_INSIDE = re.compile(
    rf"^inside\s+(?P<layer>{_NAME})\s*{_FILTER}"
    rf"(?:\s*\+\s*(?P<buffer>{_NUMBER})\s*m)?$"
)
_WITHIN = re.compile(
    rf"^within\s+(?P<distance>{_NUMBER})\s*m\s+of\s+(?P<layer>{_NAME})\s*{_FILTER}$"
)
# Larger distances are typing mistakes: a province is ~100 km across.
MAX_DISTANCE_M = 50_000
MAX_BUFFER_M = 1_000

_PAIR = re.compile(rf"^(?P<name>{_NAME})\s*(?P<op>!=|=)\s*(?P<values>.+)$")

# What the parser refuses, in English with named values (``Problem``).
EXPECTED = gettext_noop(
    "expected 'anywhere', 'inside LAYER[attr=value] + N m' or "
    "'within N m of LAYER[attr=value]', joined by 'and', each optionally "
    "preceded by 'not'"
)
FILTER_NOT_A_PAIR = gettext_noop(
    "filter %(pair)r in %(term)r is not attribute=value "
    "(e.g. roads[owner=KGM] or roads[class=motorway|state_highway])"
)
FILTER_WITHOUT_VALUE = gettext_noop("filter %(pair)r in %(term)r has no value")
NOT_ANYWHERE = gettext_noop("'not anywhere' can never hold; remove the rule instead")
BUFFER_TOO_WIDE = gettext_noop(
    "%(term)r: an edge buffer of more than %(max)s m is not a polygon rule; "
    "use 'within N m of LAYER'"
)
DISTANCE_OUT_OF_RANGE = gettext_noop(
    "%(term)r: the distance must be more than 0 m and at most %(max)s m"
)
TERM_UNREADABLE = gettext_noop("cannot read the condition term %(term)r; %(expected)s")
CONDITION_EMPTY = gettext_noop("the condition is empty; %(expected)s")


def _filter(text, term):
    if text is None:
        return {}
    result = {}
    for pair in (p.strip() for p in text.split(",")):
        match = _PAIR.match(pair)
        if not match:
            raise RuleError(Problem(FILTER_NOT_A_PAIR, pair=pair, term=term))
        values = [v.strip() for v in match["values"].split("|") if v.strip()]
        if not values:
            raise RuleError(Problem(FILTER_WITHOUT_VALUE, pair=pair, term=term))
        result[match["name"]] = {"values": values, "negate": match["op"] == "!="}
    return result


def _term(text):
    negate = False
    body = text
    if body.startswith("not "):
        negate, body = True, body[4:].strip()
    if body == ANYWHERE:
        if negate:
            raise RuleError(Problem(NOT_ANYWHERE))
        return {"op": ANYWHERE}
    match = _INSIDE.match(body)
    if match:
        if float(match["buffer"] or 0) > MAX_BUFFER_M:
            raise RuleError(Problem(BUFFER_TOO_WIDE, term=text, max=MAX_BUFFER_M))
        return {
            "op": INSIDE,
            "layer": match["layer"],
            "filter": _filter(match["filter"], text),
            "buffer_m": float(match["buffer"] or 0),
            "negate": negate,
        }
    match = _WITHIN.match(body)
    if match:
        distance = float(match["distance"])
        if not 0 < distance <= MAX_DISTANCE_M:
            raise RuleError(
                Problem(DISTANCE_OUT_OF_RANGE, term=text, max=MAX_DISTANCE_M)
            )
        return {
            "op": WITHIN,
            "layer": match["layer"],
            "filter": _filter(match["filter"], text),
            "distance_m": distance,
            "negate": negate,
        }
    raise RuleError(Problem(TERM_UNREADABLE, term=text, expected=Problem(EXPECTED)))


def parse_condition(text):
    """Parse a written condition into a list of terms.

    >>> parse_condition("inside parks + 5 m")[0]["buffer_m"]
    5.0
    """
    text = " ".join((text or "").split())
    if not text:
        raise RuleError(Problem(CONDITION_EMPTY, expected=Problem(EXPECTED)))
    terms = [_term(part.strip()) for part in re.split(r"\s+and\s+", text)]
    if len(terms) > 1 and any(t["op"] == ANYWHERE for t in terms):
        terms = [t for t in terms if t["op"] != ANYWHERE]
    return terms


def _format_filter(filters):
    if not filters:
        return ""
    pairs = [
        f"{name}{'!=' if spec['negate'] else '='}{'|'.join(spec['values'])}"
        for name, spec in filters.items()
    ]
    return f"[{','.join(pairs)}]"


def _number(value):
    return f"{value:g}"


def format_term(term):
    if term["op"] == ANYWHERE:
        return ANYWHERE
    prefix = "not " if term.get("negate") else ""
    layer = term["layer"] + _format_filter(term.get("filter"))
    if term["op"] == INSIDE:
        buffer = term.get("buffer_m") or 0
        suffix = f" + {_number(buffer)} m" if buffer else ""
        return f"{prefix}inside {layer}{suffix}"
    return f"{prefix}within {_number(term['distance_m'])} m of {layer}"


def format_condition(terms):
    return " and ".join(format_term(t) for t in terms)


def primary_term(terms):
    """The first positive spatial term: its feature names the owner and is shown."""
    for term in terms:
        if term["op"] != ANYWHERE and not term.get("negate"):
            return term
    return None


def term_layers(terms):
    return [t["layer"] for t in terms if t["op"] != ANYWHERE]
