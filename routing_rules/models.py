"""Rule sets, rules and the decisions made with them.

A *rule set* is a versioned list of rules; exactly one is active. A rule says:
for these categories, where this spatial condition holds, the owner is this.
Rules are grouped in *stages* evaluated in order (emergency, exclusive asset
polygons, network proximity, category default, district fallback); the first
stage with a match decides. Rules refer to bodies, layers and categories by
their stable codes.

Example from the Hatay pack: ``SU-DEFAULT`` (stage ``category_default``,
categories ``SU``, condition ``anywhere``, owner body ``HATSU``) sends every
water fault in the service area to HATSU, and ``DISTRICT-FALLBACK`` (stage
``district_fallback``, all categories, owner ``district``) sends what nothing
else claimed to the district municipality whose boundary covers the point.

A *decision* is append-only: re-routing stores a new one and marks the old
one as no longer current (``is_current``); nothing else ever changes.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from geopool.models import Body, Department, ServiceRequest


class Stage(models.IntegerChoices):
    EMERGENCY = 10, "emergency"
    EXCLUSIVE_ASSET = 20, "exclusive_asset"
    NETWORK_PROXIMITY = 30, "network_proximity"
    CATEGORY_DEFAULT = 40, "category_default"
    DISTRICT_FALLBACK = 50, "district_fallback"


class ConditionKind(models.TextChoices):
    ANYWHERE = "anywhere", "anywhere in the service area"


class OwnerKind(models.TextChoices):
    BODY = "body", "a fixed body (or department)"
    DISTRICT = "district", "the district municipality covering the point"


class RuleSet(models.Model):
    version = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=False)
    source = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="one_active_rule_set",
            )
        ]

    def __str__(self):
        return f"v{self.version} {self.name}"


class Rule(models.Model):
    rule_set = models.ForeignKey(
        RuleSet, on_delete=models.CASCADE, related_name="rules"
    )
    code = models.SlugField(max_length=100)
    stage = models.PositiveSmallIntegerField(choices=Stage.choices)
    priority = models.PositiveIntegerField(default=100)
    # Category codes; empty means every category.
    categories = ArrayField(models.SlugField(max_length=64), default=list, blank=True)
    condition = models.CharField(max_length=20, choices=ConditionKind.choices)
    owner_kind = models.CharField(max_length=20, choices=OwnerKind.choices)
    owner_body_code = models.SlugField(max_length=64, blank=True)
    owner_department_code = models.SlugField(max_length=64, blank=True)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["rule_set", "stage", "priority", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule_set", "code"], name="rule_code_unique_in_set"
            )
        ]

    def __str__(self):
        return self.code

    def applies_to(self, category_code):
        return not self.categories or category_code in self.categories


class Decision(models.Model):
    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="decisions"
    )
    decided_at = models.DateTimeField(auto_now_add=True)
    owner_body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="+")
    owner_department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rule = models.ForeignKey(
        Rule, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rule_code = models.CharField(max_length=100, blank=True)
    rule_set_version = models.PositiveIntegerField(null=True, blank=True)
    # {layer code: generation number} for every layer consulted.
    generations = models.JSONField(default=dict)
    # [{"body": code, "feature": name, "code": code, "distance_m": 12.3}, ...]
    candidates = models.JSONField(default=list)
    flags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    explanation_tr = models.TextField()
    explanation_en = models.TextField()
    is_current = models.BooleanField(default=True)

    class Meta:
        ordering = ["request", "-decided_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(is_current=True),
                name="one_current_decision_per_request",
            )
        ]

    def __str__(self):
        return f"{self.request} → {self.owner_body.code}"
