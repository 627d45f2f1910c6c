"""The audit trail: who did what to which object, when, before and after.

Rows are append-only: a database trigger (migration ``0002``) refuses every
UPDATE and DELETE, so the trail cannot be edited through the app or the ORM.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("At"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("Actor"),
    )
    # Who acted when there is no user: an API key, a command, the system.
    actor_label = models.CharField(
        max_length=200, blank=True, verbose_name=_("Actor label")
    )
    action = models.CharField(max_length=64, verbose_name=_("Action"))
    object_type = models.CharField(max_length=100, verbose_name=_("Object type"))
    object_id = models.CharField(max_length=64, verbose_name=_("Object ID"))
    before = models.JSONField(null=True, blank=True, verbose_name=_("Before"))
    after = models.JSONField(null=True, blank=True, verbose_name=_("After"))

    class Meta:
        verbose_name = _("Event")
        verbose_name_plural = _("Events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_id}"
