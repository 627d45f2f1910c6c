from django.contrib import admin

from boundaries.models import Generation, Layer


@admin.register(Layer)
class LayerAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "geometry_kind"]


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request):
        return False
