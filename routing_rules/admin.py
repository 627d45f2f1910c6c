"""Rule sets and decisions in the admin: read-only.

A stored rule-set version never changes (decisions name it), and decisions
are append-only.
"""

from django.contrib import admin

from geopool.admin import ReadOnlyMixin
from routing_rules.models import Decision, Rule, RuleSet
from routing_rules.services.rule_sets import RULE_FIELDS


class RuleInline(ReadOnlyMixin, admin.TabularInline):
    model = Rule
    extra = 0
    readonly_fields = RULE_FIELDS


@admin.register(RuleSet)
class RuleSetAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["version", "name", "is_active", "activated_at"]
    inlines = [RuleInline]
    readonly_fields = ["version", "name", "is_active", "activated_at", "source"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["request", "owner_body", "rule_code", "is_current", "decided_at"]
    list_filter = ["is_current", "owner_body"]
