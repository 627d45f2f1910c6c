"""The category catalogue: what citizens can ask for (Open311 services)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

TURKISH = "tr-x-icu"


class Category(models.Model):
    code = models.SlugField(max_length=64, unique=True, verbose_name=_("Code"))
    name = models.CharField(
        max_length=200, db_collation=TURKISH, verbose_name=_("Name")
    )
    name_en = models.CharField(
        max_length=200, blank=True, verbose_name=_("Name (English)")
    )
    group = models.CharField(
        max_length=100, db_collation=TURKISH, verbose_name=_("Group")
    )
    group_en = models.CharField(
        max_length=100, blank=True, verbose_name=_("Group (English)")
    )
    description = models.TextField(blank=True, verbose_name=_("Description"))
    keywords = models.CharField(max_length=300, blank=True, verbose_name=_("Keywords"))
    # Emergencies (gas, fire, downed line) are flagged urgent and the citizen
    # is told which line to call.
    is_emergency = models.BooleanField(default=False, verbose_name=_("Emergency"))
    emergency_phone = models.CharField(
        max_length=20, blank=True, verbose_name=_("Emergency phone")
    )
    notice = models.CharField(max_length=300, blank=True, verbose_name=_("Notice"))
    # Personal data of closed requests is removed after this many days.
    retention_days = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("Retention (days)")
    )
    # Possible duplicates: an open request of the category within this many
    # metres (0: off) received within the window.
    duplicate_radius_m = models.PositiveIntegerField(
        default=0, db_default=0, verbose_name=_("Duplicate search radius (m)")
    )
    duplicate_window_hours = models.PositiveIntegerField(
        default=72, db_default=72, verbose_name=_("Duplicate search window (hours)")
    )
    sort_order = models.PositiveIntegerField(default=0, verbose_name=_("Sort order"))
    is_active = models.BooleanField(default=True, verbose_name=_("Active"))

    class Meta:
        verbose_name = _("Category")
        verbose_name_plural = _("Categories")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return f"{self.code} — {self.name}"
