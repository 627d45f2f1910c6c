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

What many decisions share — the generations consulted, the trace of the
rules looked at and both explanation sentences — is a *decision shape*,
stored once and named by the digest of its content. A decision reads them
through its shape (``decision.trace``, ``decision.explanation_tr`` ... are
the shape's), so a million historic requests routed to the district
municipality by the same rule hold one copy of the sentence, not a million.
"""

import orjson
from django.contrib.postgres.fields import ArrayField
from django.db import connection, models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from geopool.models import Body, Department, ServiceRequest


class Stage(models.IntegerChoices):
    EMERGENCY = 10, "emergency"
    EXCLUSIVE_ASSET = 20, "exclusive_asset"
    NETWORK_PROXIMITY = 30, "network_proximity"
    CATEGORY_DEFAULT = 40, "category_default"
    DISTRICT_FALLBACK = 50, "district_fallback"


class OwnerKind(models.TextChoices):
    BODY = "body", "a fixed body (or department)"
    ATTRIBUTE = "attribute", "the body named by an attribute of the matched feature"
    DISTRICT = "district", "the district municipality covering the point"
    GROUP = "group", "the owner another rule group decides"


class RuleSet(models.Model):
    version = models.PositiveIntegerField(unique=True, verbose_name=_("Version"))
    name = models.CharField(max_length=200, verbose_name=_("Name"))
    is_active = models.BooleanField(default=False, verbose_name=_("Active"))
    source = models.CharField(max_length=300, blank=True, verbose_name=_("Source"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("Created at"))
    activated_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("Activated at")
    )
    based_on = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Based on"),
    )
    notes = models.TextField(blank=True, verbose_name=_("Notes"))

    class Meta:
        verbose_name = _("Rule set")
        verbose_name_plural = _("Rule sets")
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

    @property
    def is_draft(self):
        """A rule set that never went live; only drafts may be edited."""
        return not self.is_active and self.activated_at is None


class Rule(models.Model):
    rule_set = models.ForeignKey(
        RuleSet,
        on_delete=models.CASCADE,
        related_name="rules",
        verbose_name=_("Rule set"),
    )
    code = models.SlugField(max_length=100, verbose_name=_("Code"))
    stage = models.PositiveSmallIntegerField(
        choices=Stage.choices, verbose_name=_("Stage")
    )
    priority = models.PositiveIntegerField(default=100, verbose_name=_("Priority"))
    # Category codes; empty means every category.
    categories = ArrayField(
        models.SlugField(max_length=64),
        default=list,
        blank=True,
        verbose_name=_("Categories"),
    )
    # Rules with a group are consulted only by a rule whose owner is
    # "group:NAME"; the others form the main sequence.
    group = models.SlugField(max_length=64, blank=True, verbose_name=_("Group"))
    # The written condition (routing_rules.conditions) and its parsed terms.
    condition = models.CharField(max_length=300, verbose_name=_("Condition"))
    terms = models.JSONField(default=list, verbose_name=_("Terms"))
    owner_kind = models.CharField(
        max_length=20, choices=OwnerKind.choices, verbose_name=_("Owner kind")
    )
    owner_body_code = models.SlugField(
        max_length=64, blank=True, verbose_name=_("Owner body")
    )
    owner_department_code = models.SlugField(
        max_length=64, blank=True, verbose_name=_("Owner department")
    )
    owner_attribute = models.SlugField(
        max_length=64, blank=True, verbose_name=_("Owner attribute")
    )
    owner_group = models.SlugField(
        max_length=64, blank=True, verbose_name=_("Owner group")
    )
    valid_from = models.DateField(null=True, blank=True, verbose_name=_("Valid from"))
    valid_to = models.DateField(
        null=True,
        blank=True,
        help_text=_("last day, inclusive"),
        verbose_name=_("Valid to (last day)"),
    )
    description = models.CharField(
        max_length=300, blank=True, verbose_name=_("Description")
    )
    # The rule form carries it as read; a save of an older one is refused.
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("Updated"))

    class Meta:
        verbose_name = _("Rule")
        verbose_name_plural = _("Rules")
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

    @property
    def owner_text(self):
        """The owner as written in packs and forms: ``body:HBB/HBB-YOL`` etc."""
        if self.owner_kind == OwnerKind.BODY:
            department = self.owner_department_code
            return f"body:{self.owner_body_code}" + (
                f"/{department}" if department else ""
            )
        if self.owner_kind == OwnerKind.ATTRIBUTE:
            return f"attribute:{self.owner_attribute}"
        if self.owner_kind == OwnerKind.GROUP:
            return f"group:{self.owner_group}"
        return "district"


class Delegation(models.Model):
    """A duty handed by one body to another by council decision, with dates.

    Example: HBB hands cemetery maintenance (``MEZARLIK``) in Antakya
    (district code 1131) to Antakya Belediyesi from 2027-01-01, by council
    decision 2026/412: a ``MEZARLIK`` request that the rules give to HBB is
    owned by Antakya Belediyesi instead while the delegation is valid.
    ``to_body_code`` empty means "the district municipality of the point".
    """

    rule_set = models.ForeignKey(
        RuleSet, on_delete=models.CASCADE, related_name="delegations"
    )
    code = models.SlugField(max_length=100)
    from_body_code = models.SlugField(max_length=64)
    to_body_code = models.SlugField(max_length=64, blank=True)
    categories = ArrayField(models.SlugField(max_length=64), default=list)
    # Official district codes; empty means every district.
    district_codes = ArrayField(models.CharField(max_length=20), default=list)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text="last day, inclusive")
    decision_ref = models.CharField(max_length=200, help_text="council decision")
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("Delegation")
        verbose_name_plural = _("Delegations")
        ordering = ["rule_set", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule_set", "code"], name="delegation_code_unique_in_set"
            )
        ]

    def __str__(self):
        return self.code


# The digest of a shape's content, computed by the database from the stored
# values (so every writer names the same content the same way). Parameters:
# generations and trace as JSON text, then both sentences.
SHAPE_DIGEST_SQL = "md5(jsonb_build_array({g}, {t}, {tr}, {en})::text)::uuid"

_SHAPE_DIGEST = SHAPE_DIGEST_SQL.format(g="g", t="t", tr="tr", en="en")
# Finding or storing a shape, as CTEs for a statement of their own
# (``DecisionShape.id_for``) or inside a larger one (intake's one-statement
# write); their parameters are ``DecisionShape.sql_params(...)`` and
# ``SHAPE_ID`` is the id they give.
SHAPE_CTES = f"""
    shape_in AS (SELECT %s::jsonb AS g, %s::jsonb AS t, %s::text AS tr,
                        %s::text AS en),
    shape_d AS (SELECT {_SHAPE_DIGEST} AS digest, g, t, tr, en FROM shape_in),
    shape_new AS (
        INSERT INTO routing_rules_decisionshape
            (digest, generations, trace, explanation_tr, explanation_en)
        SELECT digest, g, t, tr, en FROM shape_d
        ON CONFLICT (digest) DO NOTHING
        RETURNING id
    )
"""
SHAPE_ID = (
    "COALESCE((SELECT id FROM shape_new), (SELECT s.id FROM "
    "routing_rules_decisionshape s JOIN shape_d d ON s.digest = d.digest))"
)
_SHAPE_ID_SQL = f"WITH {SHAPE_CTES} SELECT {SHAPE_ID}"


class DecisionShape(models.Model):
    """The generations, trace and sentences that decisions share; never changed.

    ``digest`` is the md5 of the content as the database prints it
    (``SHAPE_DIGEST_SQL``): storing the same content again finds the row
    already there.
    """

    digest = models.UUIDField(unique=True, editable=False)
    # {layer code: generation number} for every layer consulted.
    generations = models.JSONField(default=dict)
    # Every rule looked at, in order, with what happened (matched, no match,
    # dormant, out of its dates, ...) and the delegation applied, if any.
    trace = models.JSONField(default=list)
    explanation_tr = models.TextField()
    explanation_en = models.TextField()

    class Meta:
        verbose_name = _("Decision detail")
        verbose_name_plural = _("Decision details")

    def __str__(self):
        return self.explanation_en

    @staticmethod
    def sql_params(generations, trace, explanation_tr, explanation_en):
        """The parameters of ``SHAPE_CTES`` for a shape of this content."""
        return [
            orjson.dumps(generations).decode(),
            orjson.dumps(trace).decode(),
            explanation_tr,
            explanation_en,
        ]

    @classmethod
    def id_for(cls, generations, trace, explanation_tr, explanation_en):
        """The id of the shape with this content, stored now if it is new."""
        with connection.cursor() as cursor:
            cursor.execute(
                _SHAPE_ID_SQL,
                cls.sql_params(generations, trace, explanation_tr, explanation_en),
            )
            return cursor.fetchone()[0]


class DecisionManager(models.Manager):
    # A decision's sentences and trace live in its shape: read them together.
    def get_queryset(self):
        return super().get_queryset().select_related("shape")


def _shape_part(name, empty):
    def read(self):
        pending = self.__dict__.get("_shape_values")
        if pending is not None and name in pending:
            return pending[name]
        if self.shape_id is None:
            return empty()
        return getattr(self.shape, name)

    def write(self, value):
        pending = self.__dict__.setdefault("_shape_values", {})
        if not pending and self.shape_id is not None:
            # Changing one part keeps the others of the current shape.
            for part in DECISION_SHAPE_PARTS:
                pending[part] = getattr(self.shape, part)
        pending[name] = value

    return property(read, write, doc=f"The decision's {name} (from its shape).")


DECISION_SHAPE_PARTS = ("generations", "trace", "explanation_tr", "explanation_en")


class Decision(models.Model):
    # Decisions are append-only, so a request that has one can never be
    # deleted, and decisions are written only by geopool from the request
    # ids it has just read: no database constraint checks each row again
    # (a million per-row checks, each locking its request row, were a fifth
    # of bulk routing's time). The index serves a request's decisions.
    request = models.ForeignKey(
        ServiceRequest,
        on_delete=models.CASCADE,
        related_name="decisions",
        db_constraint=False,
        verbose_name=_("Request"),
    )
    decided_at = models.DateTimeField(auto_now_add=True, verbose_name=_("Decided at"))
    # Owner, department and rule are written only by geopool's own routing
    # from ids it has just read, and bodies and live rules are never deleted
    # (PROTECT, enforced by Django): no database constraint or index checks
    # them again, which keeps bulk routing of millions of rows fast. The
    # request keeps both.
    owner_body = models.ForeignKey(
        Body,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
        verbose_name=_("Owner body"),
    )
    owner_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
        verbose_name=_("Owner department"),
    )
    rule = models.ForeignKey(
        Rule,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
        verbose_name=_("Rule"),
    )
    rule_code = models.CharField(
        max_length=100, blank=True, verbose_name=_("Rule code")
    )
    rule_set_version = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("Rule set version")
    )
    # [{"body": code, "feature": name, "code": code, "distance_m": 12.3}, ...]
    candidates = models.JSONField(default=list, verbose_name=_("Candidates"))
    flags = ArrayField(
        models.CharField(max_length=40),
        default=list,
        blank=True,
        verbose_name=_("Flags"),
    )
    # Generations, trace and both sentences (``DecisionShape``); shapes are
    # never deleted, so no database constraint checks the reference again.
    shape = models.ForeignKey(
        DecisionShape,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
        verbose_name=_("Decision detail"),
    )
    is_current = models.BooleanField(default=True, verbose_name=_("Current"))

    generations = _shape_part("generations", dict)
    trace = _shape_part("trace", list)
    explanation_tr = _shape_part("explanation_tr", str)
    explanation_en = _shape_part("explanation_en", str)

    objects = DecisionManager()

    class Meta:
        verbose_name = _("Decision")
        verbose_name_plural = _("Decisions")
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

    def save(self, *args, **kwargs):
        pending = self.__dict__.pop("_shape_values", None)
        if pending is not None or self.shape_id is None:
            values = {part: getattr(self, part) for part in DECISION_SHAPE_PARTS}
            values.update(pending or {})
            self.shape_id = DecisionShape.id_for(**values)
            # Drop a cached shape of other content; the next read loads it.
            self._state.fields_cache.pop("shape", None)
        super().save(*args, **kwargs)
