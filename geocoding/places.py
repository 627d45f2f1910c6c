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
from geocoding.models import PLACEABLE, LocationSource
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


def _placed_at(result):
    """How fine the answer's point is: "district", "neighbourhood", or the
    level matched ("street", "door") when the point comes from the street.

    A street the gazetteer knows without its line is placed at its
    neighbourhood's point: the place then names the neighbourhood, not the
    street, so that a crew does not take the point for the street.
    """
    if result.location_source == LocationSource.DISTRICT:
        return "district"
    if result.location_source in PLACEABLE:
        return "neighbourhood"
    return result.level


def geocoded_places(text, limit=8):
    """Places for ``text``: the geocoder's answer first, then its alternatives."""
    result = geocode(text)
    kinds = _kinds()
    places = []
    if result.lon is not None and result.lat is not None:
        placed = _placed_at(result)
        places.append(
            Place(
                label=_label(
                    result.neighbourhood if placed != "district" else None,
                    result.district,
                    result.street if placed in ("street", "door") else None,
                ),
                kind=kinds.get(placed, placed),
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
