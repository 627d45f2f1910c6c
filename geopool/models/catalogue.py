"""The category catalogue: what citizens can ask for (Open311 services)."""

from django.db import models

TURKISH = "tr-x-icu"


class Category(models.Model):
    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200, db_collation=TURKISH)
    name_en = models.CharField(max_length=200, blank=True)
    group = models.CharField(max_length=100, db_collation=TURKISH)
    group_en = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    keywords = models.CharField(max_length=300, blank=True)
    # Emergencies (gas, fire, downed line) are flagged urgent and the citizen
    # is told which line to call.
    is_emergency = models.BooleanField(default=False)
    emergency_phone = models.CharField(max_length=20, blank=True)
    notice = models.CharField(max_length=300, blank=True)
    # Personal data of closed requests is removed after this many days.
    retention_days = models.PositiveIntegerField(null=True, blank=True)
    # Possible duplicates: an open request of the category within this many
    # metres (0: off) received within the window.
    duplicate_radius_m = models.PositiveIntegerField(default=0, db_default=0)
    duplicate_window_hours = models.PositiveIntegerField(default=72, db_default=72)
    sort_order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name_plural = "categories"

    def __str__(self):
        return f"{self.code} — {self.name}"
