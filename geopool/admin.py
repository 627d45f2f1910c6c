"""Administration pages (Django admin) for reference data and the pool.

Requests, decisions and events are read-only here: requests change through
the pool's own actions, decisions and events are append-only.
"""

from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.utils.translation import gettext_lazy as _

from geopool.models import (
    ApiKey,
    Body,
    Category,
    Department,
    Event,
    Jurisdiction,
    ServiceRequest,
    StaffProfile,
)

admin.site.site_header = "geopool"
admin.site.site_title = "geopool"


class ReadOnlyMixin:
    """Shown, never added, changed or deleted through the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass


@admin.register(Jurisdiction)
class JurisdictionAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "pack_version", "loaded_at"]


@admin.register(Body)
class BodyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "district_code", "phone", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "body", "is_active"]
    list_filter = ["body"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "group", "is_emergency", "emergency_phone"]
    list_filter = ["group", "is_emergency", "is_active"]


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "body", "department"]
    list_filter = ["body"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "body", "channel", "created_at", "revoked_at"]
    readonly_fields = ["prefix", "secret_hash", "created_at", "last_used_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        # Keys are issued by `manage.py create_api_key`, which shows the
        # secret once; the admin could not show it.
        return False

    @admin.action(description=_("Revoke selected keys"))
    def revoke(self, request, queryset):
        for key in queryset.filter(revoked_at__isnull=True):
            key.revoke()


@admin.register(ServiceRequest)
class ServiceRequestAdmin(ReadOnlyAdmin, GISModelAdmin):
    list_display = [
        "tracking_code",
        "category",
        "owner_body",
        "status",
        "channel",
        "requested_at",
        "is_sample",
    ]
    list_filter = ["status", "channel", "is_sample", "needs_triage", "category"]
    search_fields = ["tracking_code"]
    exclude = []


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "object_type", "object_id", "actor_label"]
    list_filter = ["action", "object_type"]
