"""Who can own requests: bodies, their departments, and the staff in them.

A *body* is an organisation that can own requests: the metropolitan
municipality, a district municipality or another public agency. Bodies have
stable codes (``HBB``, ``ANTAKYA``, ``HATSU``) that rules and APIs use;
display names may change. A district municipality is linked to its district
feature by the feature's official code (``district_code``), not by name.

The jurisdiction row holds the settings of the pack the deployment runs on
(tolerances, service-area buffer, the pool coordinator).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

TURKISH = "tr-x-icu"


class Jurisdiction(models.Model):
    code = models.SlugField(max_length=64, unique=True, verbose_name=_("Code"))
    name = models.CharField(
        max_length=200, db_collation=TURKISH, verbose_name=_("Name")
    )
    pack_version = models.CharField(max_length=50, verbose_name=_("Pack version"))
    # Validated pack settings: snap_tolerance_m, service_area_buffer_m,
    # district_layer, coordinator_body, coordinator_department, ...
    settings = models.JSONField(default=dict, verbose_name=_("Settings"))
    loaded_at = models.DateTimeField(auto_now=True, verbose_name=_("Loaded at"))

    class Meta:
        verbose_name = _("Jurisdiction")
        verbose_name_plural = _("Jurisdictions")

    def __str__(self):
        return self.name


class BodyKind(models.TextChoices):
    METROPOLITAN = "metropolitan", _("Metropolitan municipality")
    DISTRICT = "district", _("District municipality")
    AGENCY = "agency", _("Agency")


class Body(models.Model):
    code = models.SlugField(max_length=64, unique=True, verbose_name=_("Code"))
    name = models.CharField(
        max_length=200, db_collation=TURKISH, verbose_name=_("Name")
    )
    short_name = models.CharField(
        max_length=100, blank=True, db_collation=TURKISH, verbose_name=_("Short name")
    )
    kind = models.CharField(
        max_length=20, choices=BodyKind.choices, verbose_name=_("Kind")
    )
    # Official code of the district feature this municipality serves.
    district_code = models.CharField(
        max_length=100, blank=True, db_index=True, verbose_name=_("District code")
    )
    phone = models.CharField(max_length=50, blank=True, verbose_name=_("Phone"))
    population = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("Population")
    )
    population_year = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("Population year")
    )
    is_active = models.BooleanField(default=True, verbose_name=_("Active"))

    class Meta:
        verbose_name = _("Body")
        verbose_name_plural = _("Bodies")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Department(models.Model):
    body = models.ForeignKey(
        Body,
        on_delete=models.PROTECT,
        related_name="departments",
        verbose_name=_("Body"),
    )
    code = models.SlugField(max_length=64, unique=True, verbose_name=_("Code"))
    name = models.CharField(
        max_length=200, db_collation=TURKISH, verbose_name=_("Name")
    )
    is_active = models.BooleanField(default=True, verbose_name=_("Active"))

    class Meta:
        verbose_name = _("Department")
        verbose_name_plural = _("Departments")
        ordering = ["body", "name"]

    def __str__(self):
        return f"{self.body.name} — {self.name}"


class StaffProfile(models.Model):
    """Links a staff user to the body (and department) they work for.

    Roles are Django groups: operator, body staff, planner, coordinator,
    administrator (see ``geopool.roles``).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff",
        verbose_name=_("User"),
    )
    body = models.ForeignKey(
        Body, on_delete=models.PROTECT, related_name="staff", verbose_name=_("Body")
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("Department"),
    )

    class Meta:
        verbose_name = _("Staff profile")
        verbose_name_plural = _("Staff profiles")

    def __str__(self):
        return f"{self.user} @ {self.body.code}"
