from django.contrib import admin

from boundaries.models import Generation, Layer
from geopool.admin import ReadOnlyMixin


@admin.register(Layer)
class LayerAdmin(admin.ModelAdmin):
    """Layers are defined by the pack; their data changes only by import."""

    list_display = ["code", "title", "geometry_kind", "is_boundary", "is_illustrative"]
    readonly_fields = ["code", "geometry_kind", "field_mapping", "created_at"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Generation)
class GenerationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "layer",
        "number",
        "is_active",
        "feature_count",
        "source_crs",
        "imported_at",
    ]
    list_filter = ["layer", "is_active"]
    readonly_fields = [f.name for f in Generation._meta.fields]

    # (Read-only: generations are kept so that every decision stays
    # explainable; they change state only through the planners' import,
    # activate and rollback.)
