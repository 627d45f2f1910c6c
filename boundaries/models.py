"""Layers, their generations and features.

A *layer* is a named set of features of one kind (``districts``, ``roads``,
``parks``...). Every import of a layer creates a new *generation*: one
immutable version with its source file, checksum and source CRS. Exactly one
generation of a layer is active at a time, and routing only ever reads the
active one. Example: the ``districts`` layer gets generation 1 from the OSM
export of 2025-04-19; a planner later imports a corrected file as generation
2 and activates it; generation 1 stays stored, so a decision made on it can
still be explained and a rollback is one step.

A feature with more than ``SUBDIVIDE_MAX_VERTICES`` vertices is also stored
subdivided (``FeaturePart``) because point-in-polygon and distance queries
against a detailed coastline are much faster on small parts. Lookups read the
view ``boundaries_lookup``: the small features as they are plus the parts of
the large ones, so a layer of 100,000 short road segments is not stored
twice.
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from geopool.spatial import STORAGE_SRID

TURKISH = "tr-x-icu"


class GeometryKind(models.TextChoices):
    POLYGON = "polygon", _("Polygon")
    LINE = "line", _("Line")
    POINT = "point", _("Point")


class Layer(models.Model):
    """A named set of features of one kind; defined by the pack or a planner."""

    code = models.SlugField(max_length=64, unique=True, verbose_name=_("Code"))
    title = models.CharField(
        max_length=200, db_collation=TURKISH, verbose_name=_("Title")
    )
    geometry_kind = models.CharField(
        max_length=10, choices=GeometryKind.choices, verbose_name=_("Geometry type")
    )
    # Boundary layers (districts, neighbourhoods) get the tiling checks:
    # overlaps, gaps, slivers.
    is_boundary = models.BooleanField(default=False, verbose_name=_("Boundary layer"))
    # Drawn for the demo, not surveyed: shown as such on every map.
    is_illustrative = models.BooleanField(default=False, verbose_name=_("Illustrative"))
    # What a feature carries besides name and code (e.g. class, ref, owner).
    attribute_names = models.JSONField(
        default=list, blank=True, verbose_name=_("Attribute names")
    )
    # The field mapping of the last committed import: {"name": F, "code": F,
    # "attributes": {attr: F}}; the next import of the layer starts from it.
    field_mapping = models.JSONField(
        default=dict, blank=True, verbose_name=_("Field mapping")
    )
    attribution = models.CharField(
        max_length=300, blank=True, verbose_name=_("Attribution")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("Created at"))

    class Meta:
        verbose_name = _("Layer")
        verbose_name_plural = _("Layers")
        ordering = ["code"]

    def __str__(self):
        return self.code

    @property
    def active_generation(self):
        return self.generations.filter(is_active=True).first()


class GenerationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    PREVIOUS = "previous", _("Previous")
    DISCARDED = "discarded", _("Discarded")


class Generation(models.Model):
    """One imported version of a layer.

    A commit stores a *draft*: nothing routes on it until a planner activates
    it (after its checks). Activating makes the former active generation
    *previous*, which is what a rollback returns to; a planner may discard a
    draft instead.
    """

    layer = models.ForeignKey(
        Layer,
        on_delete=models.PROTECT,
        related_name="generations",
        verbose_name=_("Layer"),
    )
    number = models.PositiveIntegerField(verbose_name=_("Number"))
    is_active = models.BooleanField(default=False, verbose_name=_("Active"))
    source_file = models.CharField(
        max_length=500, help_text=_("name as uploaded"), verbose_name=_("Source file")
    )
    # The uploaded file as kept by geopool (MEDIA_ROOT-relative).
    stored_file = models.CharField(
        max_length=500, blank=True, verbose_name=_("Stored file")
    )
    source_checksum = models.CharField(
        max_length=64, help_text=_("SHA-256, hex"), verbose_name=_("Source checksum")
    )
    source_layer = models.CharField(
        max_length=200, blank=True, verbose_name=_("Source layer")
    )
    source_crs = models.CharField(
        max_length=200, help_text=_("e.g. EPSG:4326"), verbose_name=_("Source CRS")
    )
    source_encoding = models.CharField(
        max_length=50, blank=True, verbose_name=_("Source encoding")
    )
    field_mapping = models.JSONField(
        default=dict, blank=True, verbose_name=_("Field mapping")
    )
    feature_count = models.PositiveIntegerField(
        default=0, verbose_name=_("Feature count")
    )
    imported_at = models.DateTimeField(auto_now_add=True, verbose_name=_("Imported at"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Imported by"),
    )
    activated_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("Activated at")
    )
    # The generation this one replaced when it was (first) activated: what a
    # rollback returns to. Rollbacks walk this chain back through history.
    replaced = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Replaced generation"),
    )
    discarded_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("Discarded at")
    )
    # Repaired and skipped features, warnings, the checks and the impact
    # preview, as shown to the planner.
    report = models.JSONField(default=dict, blank=True, verbose_name=_("Report"))

    def get_state_display(self):
        return GenerationState(self.state).label

    @property
    def state(self):
        if self.is_active:
            return GenerationState.ACTIVE
        if self.discarded_at:
            return GenerationState.DISCARDED
        if self.activated_at:
            return GenerationState.PREVIOUS
        return GenerationState.DRAFT

    class Meta:
        verbose_name = _("Generation")
        verbose_name_plural = _("Generations")
        ordering = ["layer", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["layer", "number"], name="generation_number_unique"
            ),
            models.UniqueConstraint(
                fields=["layer"],
                condition=Q(is_active=True),
                name="one_active_generation_per_layer",
            ),
        ]

    def __str__(self):
        return f"{self.layer.code}#{self.number}"


class Feature(models.Model):
    # Indexed with the code (Meta.indexes): one b-tree serves "the features
    # of a generation" and "this code in that generation"; every import
    # writes each index once per feature, so there are no others.
    generation = models.ForeignKey(
        Generation, on_delete=models.CASCADE, related_name="features", db_index=False
    )
    name = models.CharField(max_length=300, db_collation=TURKISH)
    # Official codes are text in one normal form ("1131", never "1131.0").
    code = models.CharField(max_length=100, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    # Any geometry kind, as the layer says; polygons are stored as
    # MultiPolygons. Indexes: see geopool.spatial.
    geometry = models.GeometryField(srid=STORAGE_SRID)
    # More vertices than SUBDIVIDE_MAX_VERTICES: lookups read its parts.
    is_subdivided = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("Feature")
        verbose_name_plural = _("Features")
        ordering = ["generation", "name"]
        indexes = [
            models.Index(fields=["generation", "code"], name="feature_generation_code")
        ]

    def __str__(self):
        return f"{self.name} ({self.code})" if self.code else self.name


class FeaturePart(models.Model):
    """One piece of a large feature after ``ST_Subdivide``; used for lookups."""

    feature = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="parts")
    generation = models.ForeignKey(Generation, on_delete=models.CASCADE)
    geometry = models.GeometryField(srid=STORAGE_SRID)

    class Meta:
        verbose_name = _("Feature part")
        verbose_name_plural = _("Feature parts")
