"""The crew page's place box, answered by the geocoder.

``settings.GEOPOOL_PLACE_LOOKUP`` points here: the text a crew types
("Harbiye Mah. Ürgen Cad.", "kirikhan") is geocoded like any address, and
the answer and its located alternatives become places to pick from. A
point placed by a door number is exact enough to stand for the crew's
position; anything coarser (a street's middle, a neighbourhood's or a
district's point) is marked approximate. When the gazetteer knows nothing
of the text, the names of the active boundary layers are searched instead
(``geopool.services.places.boundary_places``).
"""

from django.utils.translation import pgettext

from geocoding.match import geocode
from geopool.services.places import Place, boundary_places

EXACT_SOURCES = {"door"}


def _kinds():
    return {
        "door": pgettext("place found", "Door"),
        "street": pgettext("place found", "Street"),
        "neighbourhood": pgettext("place found", "Neighbourhood"),
        "district": pgettext("place found", "District"),
    }


def _label(neighbourhood, district, street=None):
    names = [street["name"]] if street else []
    if neighbourhood:
        names.append(neighbourhood["name"])
    if district and (not neighbourhood or district["name"] != neighbourhood["name"]):
        names.append(district["name"])
    return ", ".join(names)


def geocoded_places(text, limit=8):
    """Places for ``text``: the geocoder's answer first, then its alternatives."""
    result = geocode(text)
    kinds = _kinds()
    places = []
    if result.lon is not None and result.lat is not None:
        places.append(
            Place(
                label=_label(result.neighbourhood, result.district, result.street),
                kind=kinds.get(result.level, result.level),
                lon=result.lon,
                lat=result.lat,
                approximate=result.location_source not in EXACT_SOURCES,
            )
        )
    for alternative in result.alternatives:
        location = alternative.get("location")
        if not location:
            continue
        places.append(
            Place(
                label=_label(alternative["neighbourhood"], alternative["district"]),
                kind=kinds["neighbourhood"],
                lon=location["lon"],
                lat=location["lat"],
            )
        )
    seen, unique = set(), []
    for place in places:
        if place.label not in seen:
            seen.add(place.label)
            unique.append(place)
    return unique[:limit] or boundary_places(text, limit)
