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
    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200, db_collation=TURKISH)
    pack_version = models.CharField(max_length=50)
    # Validated pack settings: snap_tolerance_m, service_area_buffer_m,
    # district_layer, coordinator_body, coordinator_department, ...
    settings = models.JSONField(default=dict)
    loaded_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.name


class BodyKind(models.TextChoices):
    METROPOLITAN = "metropolitan", _("Metropolitan municipality")
    DISTRICT = "district", _("District municipality")
    AGENCY = "agency", _("Agency")


class Body(models.Model):
    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200, db_collation=TURKISH)
    short_name = models.CharField(max_length=100, blank=True, db_collation=TURKISH)
    kind = models.CharField(max_length=20, choices=BodyKind.choices)
    # Official code of the district feature this municipality serves.
    district_code = models.CharField(max_length=100, blank=True, db_index=True)
    phone = models.CharField(max_length=50, blank=True)
    population = models.PositiveIntegerField(null=True, blank=True)
    population_year = models.PositiveSmallIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "bodies"

    def __str__(self):
        return self.name


class Department(models.Model):
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="departments")
    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200, db_collation=TURKISH)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["body", "name"]

    def __str__(self):
        return f"{self.body.name} — {self.name}"


class StaffProfile(models.Model):
    """Links a staff user to the body (and department) they work for.

    Roles are Django groups: operator, body staff, planner, coordinator,
    administrator (see ``geopool.roles``).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff"
    )
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="staff")
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True
    )

    def __str__(self):
        return f"{self.user} @ {self.body.code}"
