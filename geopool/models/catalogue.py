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
    sort_order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name_plural = "categories"

    def __str__(self):
        return f"{self.code} — {self.name}"
