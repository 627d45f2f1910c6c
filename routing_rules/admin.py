from django.contrib import admin

from routing_rules.models import Decision, Rule, RuleSet


class RuleInline(admin.TabularInline):
    model = Rule
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    readonly_fields = [
        "code",
        "stage",
        "priority",
        "categories",
        "condition",
        "owner_kind",
        "owner_body_code",
        "owner_department_code",
        "description",
    ]


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    """Rule sets are read-only: a stored version never changes."""

    list_display = ["version", "name", "is_active", "activated_at"]
    inlines = [RuleInline]
    readonly_fields = ["version", "name", "is_active", "activated_at", "source"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ["request", "owner_body", "rule_code", "is_current", "decided_at"]
    list_filter = ["is_current", "owner_body"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
