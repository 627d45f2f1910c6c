"""Working on requests: transfers, notes, photos, crews, incidents, SLA targets,
messages to citizens and personal-data reads.

The state machine itself (which status may follow which) lives in
``geopool.services.workflow``; these are the records it keeps. Every change
is also an ``Event`` (append-only); these tables hold what pages list.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from geopool.models.bodies import Body, Department
from geopool.models.catalogue import Category
from geopool.models.requests import ServiceRequest


class Priority(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class SlaTarget(models.Model):
    """How long a body may take, in working minutes, per category and priority."""

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="sla_targets"
    )
    priority = models.CharField(max_length=10, choices=Priority.choices)
    working_minutes = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "priority"], name="one_sla_per_category_priority"
            )
        ]

    def __str__(self):
        return f"{self.category.code}/{self.priority}: {self.working_minutes} min"


class Crew(models.Model):
    """A field crew of a body (or of one of its departments)."""

    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="crews")
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True
    )
    name = models.CharField(max_length=200)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="crews"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("Crew")
        verbose_name_plural = _("Crews")
        ordering = ["body", "name"]
        constraints = [
            models.UniqueConstraint(fields=["body", "name"], name="crew_name_per_body")
        ]

    def __str__(self):
        return f"{self.body.code}: {self.name}"


class TransferReason(models.TextChoices):
    NOT_OUR_DUTY = "not_our_duty", _("Not our duty")
    WRONG_LOCATION = "wrong_location", _("Wrong location")
    AGENCY = "agency", _("Belongs to another agency")
    DELEGATED = "delegated", _("Duty delegated to another body")
    OTHER = "other", _("Other")


class TransferState(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Refused; the coordinator decides")
    ESCALATED = "escalated", _("Unanswered; the coordinator decides")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    SETTLED = "settled", _("Settled by the coordinator")


class Transfer(models.Model):
    """One body proposing that another take a request."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="transfers"
    )
    from_body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="+")
    to_body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, choices=TransferReason.choices)
    note = models.TextField(blank=True)
    state = models.CharField(
        max_length=10, choices=TransferState.choices, default=TransferState.PENDING
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField()
    # When an unanswered proposal escalates to the coordinator.
    answer_due_at = models.DateTimeField()
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_note = models.TextField(blank=True)
    # The pool coordinator's decision after a refusal or an escalation (or
    # instead of an answer): kept beside the transfer's own outcome.
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_to = models.ForeignKey(
        Body, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Second move of the same request back the way it came.
    is_dispute = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("Transfer")
        verbose_name_plural = _("Transfers")
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(state="pending"),
                name="one_pending_transfer_per_request",
            )
        ]

    def __str__(self):
        return f"{self.request} {self.from_body.code}→{self.to_body.code}"


class Note(models.Model):
    """Internal note on a request: staff only, never shown to the citizen."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="notes"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Note")
        verbose_name_plural = _("Notes")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.request}: {self.text[:40]}"


class Photo(models.Model):
    """A photo of a request (citizen's or crew's), stored without EXIF."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="photos"
    )
    image = models.ImageField(upload_to="photos/%Y/%m/")
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_public = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Photo")
        verbose_name_plural = _("Photos")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.request}: {self.image.name}"


class Answer(models.Model):
    """A citizen-facing answer (the reasoned answer the law asks for)."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="answers"
    )
    text = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey(
        "Incident", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Answer")
        verbose_name_plural = _("Answers")
        ordering = ["sent_at", "id"]

    def __str__(self):
        return f"{self.request}: {self.text[:40]}"


class Incident(models.Model):
    """Several requests about one problem, answered once."""

    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="incidents")
    title = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    requests = models.ManyToManyField(ServiceRequest, related_name="incidents")

    class Meta:
        verbose_name = _("Incident")
        verbose_name_plural = _("Incidents")
        ordering = ["-created_at"]

    def __str__(self):
        return self.title


class Notification(models.Model):
    """A message sent to a citizen (SMS or e-mail) about their request."""

    class Channel(models.TextChoices):
        SMS = "sms", "SMS"
        EMAIL = "email", _("E-mail")

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="notifications"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # The address is not kept here (personal data lives in Contact).
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("Notification")
        verbose_name_plural = _("Notifications")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.request} {self.channel}"
