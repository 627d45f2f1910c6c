"""Personal data (caller name, phone, e-mail, T.C. kimlik no): masked by default.

Contact data lives in ``Contact``, apart from the request. Pages show it
masked (``mask_phone("05321234517") == "0532 *** ** 17"``); the owning
body's staff and pool coordinators may reveal it with an explicit action,
which is logged as a ``contact.view`` event (who, when, which request).
Exports, the public pages and Open311 never carry it. ``contacts_purge``
removes it once a closed request is older than its category's retention
period (``Category.retention_days``; run by ``manage.py run_due_jobs``).
"""

import datetime as dt
import logging
import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geopool.errors import GeopoolError
from geopool.models import Contact, ServiceRequest, Status
from geopool.roles import ADMINISTRATOR, COORDINATOR, can, has_role
from geopool.services.events import event_record

logger = logging.getLogger(__name__)

FIELDS = ("first_name", "last_name", "phone", "email", "tc_kimlik_no")


class PersonalDataRefused(GeopoolError):
    """The user may not see this request's personal data."""


def _digits(text):
    return re.sub(r"\D", "", text or "")


def mask_phone(phone):
    """``05321234517`` → ``0532 *** ** 17``; other lengths keep the last two."""
    digits = _digits(phone)
    if digits.startswith("90") and len(digits) == 12:
        digits = "0" + digits[2:]
    if len(digits) == 11 and digits.startswith("0"):
        return f"{digits[:4]} *** ** {digits[-2:]}"
    if len(digits) < 4:
        return "***" if digits else ""
    return "*" * (len(digits) - 2) + digits[-2:]


def mask_name(name):
    """``Ayşe Yılmaz`` → ``A*** Y***``."""
    return " ".join(part[0] + "***" for part in (name or "").split())


def mask_email(email):
    """``ayse.yilmaz@example.com`` → ``a***@example.com``."""
    local, _, domain = (email or "").partition("@")
    if not domain:
        return "***" if email else ""
    return f"{local[:1]}***@{domain}"


def mask_tc(number):
    """``12345678901`` → ``*********01``."""
    digits = _digits(number)
    return "*" * (len(digits) - 2) + digits[-2:] if len(digits) > 2 else ""


def masked(contact):
    """The masked contact as a dict (what pages show by default)."""
    if contact is None:
        return {}
    name = f"{contact.first_name} {contact.last_name}".strip()
    return {
        "name": mask_name(name),
        "phone": mask_phone(contact.phone),
        "email": mask_email(contact.email),
        "tc_kimlik_no": mask_tc(contact.tc_kimlik_no),
    }


def may_reveal(user, request):
    """``user`` holds ``view_contact`` and is a coordinator or the owner's staff."""
    if not can(user, "view_contact"):
        return False
    if has_role(user, COORDINATOR, ADMINISTRATOR):
        return True
    profile = getattr(user, "staff", None)
    return bool(profile and profile.body_id == request.owner_body_id)


def contact_reveal(request, user, reason=""):
    """Return the full contact of ``request`` and log who saw it."""
    if not may_reveal(user, request):
        raise PersonalDataRefused(
            _(
                "Only the owning body's staff and pool coordinators may see the "
                "caller's details."
            )
        )
    contact = Contact.objects.filter(request=request).first()
    event_record(
        "contact.view",
        request,
        actor=user,
        after={"reason": reason or None, "fields": list(FIELDS) if contact else []},
    )
    logger.info(
        "personal data of %s shown to %s", request.tracking_code, user.get_username()
    )
    return contact


def requests_by_phone(phone, user):
    """Staff search by caller phone: a personal-data read, logged once."""
    digits = _digits(phone)
    if len(digits) < 7:
        raise PersonalDataRefused(
            _("Give at least 7 digits of the phone number to search by phone.")
        )
    matches = ServiceRequest.objects.filter(contact__phone__contains=digits[-10:])
    event_record(
        "contact.search",
        user,
        actor=user,
        after={"phone_ending": digits[-2:], "found": matches.count()},
    )
    return matches


def contacts_purge(now=None):
    """Remove contact data of closed requests past their category's retention."""
    now = now or timezone.now()
    count = 0
    closed = Status.closed_values()
    candidates = (
        Contact.objects.filter(
            request__status__in=closed,
            request__category__retention_days__isnull=False,
            request__closed_at__isnull=False,
        )
        .select_related("request__category")
        .order_by("id")
    )
    for contact in candidates.iterator():
        request = contact.request
        limit = request.closed_at + dt.timedelta(days=request.category.retention_days)
        if limit > now:
            continue
        with transaction.atomic():
            contact.delete()
            event_record(
                "contact.purge",
                request,
                actor_label="run_due_jobs",
                after={"retention_days": request.category.retention_days},
            )
        count += 1
    if count:
        logger.info("personal data of %d closed requests removed (retention)", count)
    return count
