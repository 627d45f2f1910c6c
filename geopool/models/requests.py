"""Requests in the pool and the caller's contact data.

A request carries a short tracking code that is safe to read out on the
phone (never the database id). Its status is one of geopool's internal
states; ``Status.open311`` maps each to Open311's ``open`` / ``closed``.

The caller's contact data lives in ``Contact``, a separate table that no
public response reads.
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from geopool.models.apikeys import ApiKey
from geopool.models.bodies import Body, Department
from geopool.models.catalogue import Category
from geopool.spatial import STORAGE_SRID


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    WEB = "web", _("Web")
    MOBILE = "mobile", _("Mobile app")
    API = "api", _("API")
    CIMER = "cimer", _("CİMER")
    EMAIL = "email", _("E-mail")
    WALK_IN = "walk_in", _("In person")
    AGENCY = "agency", _("Other agency")
    # Loaded from another system's records (``manage.py import_requests``).
    HISTORY = "history", _("Historic import")


class LocationSource(models.TextChoices):
    GIVEN = "given", _("Given point")
    GEOCODED = "geocoded", _("Geocoded from the address")
    OPERATOR_PIN = "operator_pin", _("Operator pin")


class Status(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_INFO = "waiting_info", _("Waiting for information")
    REOPENED = "reopened", _("Reopened")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REFUSED = "refused", _("Refused")
    DUPLICATE = "duplicate", _("Duplicate")

    @classmethod
    def closed_values(cls):
        return {cls.RESOLVED, cls.CLOSED, cls.REFUSED, cls.DUPLICATE}

    @classmethod
    def open311(cls, value):
        """Open311 has two states; everything not finished is ``open``."""
        return "closed" if value in cls.closed_values() else "open"


class ServiceRequest(models.Model):
    tracking_code = models.CharField(
        max_length=12, unique=True, verbose_name=_("Tracking code")
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, verbose_name=_("Category")
    )
    description = models.TextField(blank=True, verbose_name=_("Description"))
    # Only staff-approved text is public (Open311 ``description``).
    public_description = models.TextField(
        blank=True, verbose_name=_("Public description")
    )
    channel = models.CharField(
        max_length=20, choices=Channel.choices, verbose_name=_("Channel")
    )
    # Indexes: see geopool.spatial (GiST on geometry and on geography).
    location = models.PointField(
        srid=STORAGE_SRID, null=True, blank=True, verbose_name=_("Location")
    )
    location_source = models.CharField(
        max_length=20,
        choices=LocationSource.choices,
        blank=True,
        verbose_name=_("Location source"),
    )
    address_string = models.CharField(
        max_length=500, blank=True, verbose_name=_("Address")
    )
    status = models.CharField(
        max_length=20,
        choices=Status.choices,
        default=Status.NEW,
        verbose_name=_("Status"),
    )
    # When it was (last) closed; empty while open, or when history lacks it.
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("Closed at"))
    is_urgent = models.BooleanField(default=False, verbose_name=_("Urgent"))
    # The current owner, copied from the current decision (or a transfer) so
    # inboxes and counts need no join through decisions.
    # Indexed with the status (Meta.indexes), which serves the owner alone.
    owner_body = models.ForeignKey(
        Body,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("Owner body"),
    )
    owner_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("Owner department"),
    )
    needs_triage = models.BooleanField(default=False, verbose_name=_("Needs triage"))
    # Came as an address the geocoder could not place surely: waits for an
    # operator's pin (the needs-location queue), never placed at a guess.
    needs_location = models.BooleanField(
        default=False, db_default=False, verbose_name=_("Waits for a pin")
    )
    # Work inside the owning body (geopool.services.workflow).
    priority = models.CharField(
        max_length=10, default="normal", db_default="normal", verbose_name=_("Priority")
    )
    assigned_crew = models.ForeignKey(
        "geopool.Crew",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests",
        db_index=False,
        verbose_name=_("Assigned crew"),
    )
    # Anonymous reports are worked but have no legal answer clock and no
    # notifications.
    is_anonymous = models.BooleanField(
        default=False, db_default=False, verbose_name=_("Anonymous")
    )
    # Two transfers back and forth (geopool.models.workflow.Transfer).
    is_disputed = models.BooleanField(
        default=False, db_default=False, verbose_name=_("Disputed")
    )
    # The SLA clock in working minutes (geopool.worktime): the target, the
    # minutes used while it was running before, and since when it runs now
    # (empty while paused: transfer pending, waiting for information, done).
    sla_minutes = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("SLA target (working minutes)")
    )
    sla_used_minutes = models.FloatField(
        default=0, db_default=0, verbose_name=_("SLA working minutes used")
    )
    sla_running_since = models.DateTimeField(
        null=True, blank=True, verbose_name=_("SLA clock running since")
    )
    sla_due_at = models.DateTimeField(
        null=True, blank=True, db_index=True, verbose_name=_("SLA due at")
    )
    # When the owner was warned that the SLA is near (once per running clock).
    sla_warned_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("SLA warning sent at")
    )
    # The legal answer deadline (30 days) and when the first answer went out.
    legal_due_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("Legal deadline")
    )
    answered_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("Answered at")
    )
    resolved_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("Resolved at")
    )
    # Historic imports: the owner's body code as the source system recorded
    # it. ``owner_body`` starts as the same body and may later move on; this
    # stays, so simulations compare what happened with what today's rules
    # say. A code, not a key, like the rules' owners: no index, no foreign
    # key check per row when millions of rows are copied in.
    recorded_owner = models.CharField(
        max_length=64, blank=True, verbose_name=_("Recorded owner")
    )
    api_key = models.ForeignKey(
        ApiKey,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("API key"),
    )
    external_id = models.CharField(
        max_length=100, blank=True, verbose_name=_("External ID")
    )
    is_sample = models.BooleanField(default=False, verbose_name=_("Sample"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("Created by"),
    )
    requested_at = models.DateTimeField(db_index=True, verbose_name=_("Received"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("Updated at"))

    class Meta:
        verbose_name = _("Service request")
        verbose_name_plural = _("Service requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            # Only requests that came with a key: a unique index holds no
            # two NULL keys equal anyway, so the others need no entry.
            models.UniqueConstraint(
                fields=["api_key", "external_id"],
                condition=~Q(external_id="") & Q(api_key__isnull=False),
                name="external_id_unique_per_api_client",
            ),
            # Re-running a history import skips what it already stored.
            models.UniqueConstraint(
                fields=["external_id"],
                condition=Q(channel="history") & ~Q(external_id=""),
                name="external_id_unique_in_history",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "requested_at"]),
            models.Index(fields=["owner_body", "status"]),
            # Most requests have no crew, department, API key or creating
            # user (history has none of them): only the rows that have one
            # are indexed, which is all a lookup by one of them reads.
            *(
                models.Index(
                    fields=[name],
                    condition=Q(**{f"{name}__isnull": False}),
                    name=f"gp_req_{name}_set",
                )
                for name in (
                    "assigned_crew",
                    "owner_department",
                    "api_key",
                    "created_by",
                )
            ),
        ]
        permissions = [
            ("enter_call", "Can enter phone requests (call centre)"),
            ("work_request", "Can work on the requests its body owns"),
            ("transfer_request", "Can propose and answer transfers"),
            ("assign_request", "Can assign requests within its body"),
            ("view_contact", "Can reveal callers' personal data"),
            ("export_requests", "Can export request lists"),
            ("coordinate_pool", "Can see every request and settle disputes"),
        ]

    def __str__(self):
        return self.tracking_code

    def pending_transfer_id(self):
        """The id of the transfer waiting for an answer, or None."""
        return (
            self.transfers.filter(state="pending").values_list("id", flat=True).first()
        )

    @property
    def open311_status(self):
        return Status.open311(self.status)


class Contact(models.Model):
    """Personal data of the caller: never in a public response."""

    request = models.OneToOneField(
        ServiceRequest, on_delete=models.CASCADE, related_name="contact"
    )
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    tc_kimlik_no = models.CharField(max_length=11, blank=True)
    device_id = models.CharField(max_length=200, blank=True)
    account_id = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("Contact")
        verbose_name_plural = _("Contacts")
