"""The gazetteer: official neighbourhood and street names, with locations.

Built from the pack (``manage.py load_gazetteer``): the neighbourhood list
and the streets per neighbourhood are tables without geometry; where the
municipality has loaded address layers (neighbourhood polygons, street
lines, door points) their geometry is attached. A neighbourhood without a
polygon gets a representative point derived from what is known inside it,
and ``location_source`` says how, so no derived point is ever presented as
surveyed.
"""

from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from geopool.spatial import STORAGE_SRID

TURKISH = "tr-x-icu"


class LocationSource(models.TextChoices):
    POLYGON = "polygon", _("Neighbourhood boundary (polygon)")
    STREETS = "streets", _("Middle of its street lines")
    PLACE_POINT = "place_point", _("Known place point (label)")
    DISTRICT = "district", _("District only (approximate location)")
    NONE = "none", _("No location")


# Sources that place an answer inside its neighbourhood (not only at the
# district's point): such an answer needs no pin to be shown on a map.
PLACEABLE = {LocationSource.POLYGON, LocationSource.STREETS, LocationSource.PLACE_POINT}
# Points that stand for the place itself (a street's line, a door), not for
# a whole neighbourhood: only these place a request with no one looking.
# A neighbourhood's point can be hundreds of metres from the pothole, and
# rules that look at parks or roads would be judged on it.
PRECISE = {"street", "door"}


class Neighbourhood(models.Model):
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200, db_collation=TURKISH)
    district_name = models.CharField(max_length=200, db_collation=TURKISH)
    # The official code of the district feature it lies in (districts layer).
    district_code = models.CharField(max_length=40, blank=True, db_index=True)
    population = models.PositiveIntegerField(null=True, blank=True)
    key = models.CharField(max_length=200, db_index=True)
    location = models.PointField(srid=STORAGE_SRID, null=True, blank=True)
    location_source = models.CharField(
        max_length=20, choices=LocationSource.choices, default=LocationSource.NONE
    )
    # Which feature or points the location comes from, for the record.
    location_note = models.CharField(max_length=300, blank=True)
    # The polygon of the neighbourhoods layer, when there is one.
    feature = models.ForeignKey(
        "boundaries.Feature",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["district_name", "name"]

    def __str__(self):
        return f"{self.name} ({self.district_name})"


class Street(models.Model):
    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.CASCADE, related_name="streets"
    )
    code = models.CharField(max_length=40, blank=True)
    name = models.CharField(max_length=300, db_collation=TURKISH)
    key = models.CharField(max_length=300)
    # Street lines of the street layer matched by name in the neighbourhood.
    geometry = models.MultiLineStringField(srid=STORAGE_SRID, null=True, blank=True)

    class Meta:
        ordering = ["neighbourhood", "name"]
        indexes = [models.Index(fields=["neighbourhood", "key"])]

    def __str__(self):
        return self.name


class Door(models.Model):
    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="doors")
    number = models.CharField(max_length=20)
    location = models.PointField(srid=STORAGE_SRID)

    class Meta:
        indexes = [models.Index(fields=["street", "number"])]
