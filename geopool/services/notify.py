"""Telling citizens what happened to their request: SMS and e-mail.

``citizen_notify(request, kind)`` writes the message (Turkish, with the
tracking code and the public tracking page's address), records a
``Notification`` and hands it to the sender named by the setting
``GEOPOOL_NOTIFY_SENDER`` (default ``geopool.services.notify.ConsoleSender``,
which logs the message: nothing leaves the machine). A real gateway is a
class with ``send(channel, address, text)`` raising on failure.

Anonymous requests, and requests whose citizen left no phone or e-mail, get
no message; the tracking page still shows every move.
"""

import logging

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from geopool.models import Contact
from geopool.models.workflow import Notification

logger = logging.getLogger(__name__)

MESSAGES = {
    "transfer": "{code} numaralı başvurunuz {owner} kurumuna devredildi.",
    "triage": "{code} numaralı başvurunuz havuz koordinatörüne iletildi.",
    "status": "{code} numaralı başvurunuzun durumu: {status}.",
    "answer": "{code} numaralı başvurunuz yanıtlandı.",
}
TRACKING = " Ayrıntı: {url}"


class ConsoleSender:
    """Logs messages instead of sending them (development, demo, tests)."""

    def send(self, channel, address, text):
        logger.info("%s to %s: %s", channel, _mask_address(address), text)


def _mask_address(address):
    return address[:3] + "***" if address else ""


def _sender():
    return import_string(
        getattr(
            settings, "GEOPOOL_NOTIFY_SENDER", "geopool.services.notify.ConsoleSender"
        )
    )()


def tracking_url(request):
    base = getattr(settings, "GEOPOOL_PUBLIC_URL", "").rstrip("/")
    return f"{base}/t/{request.tracking_code}"


def citizen_notify(request, kind):
    """Send the ``kind`` message about ``request``; return the Notifications."""
    if getattr(request, "is_anonymous", False):
        return []
    contact = Contact.objects.filter(request=request).first()
    if contact is None or not (contact.phone or contact.email):
        return []
    text = MESSAGES[kind].format(
        code=request.tracking_code,
        owner=request.owner_body.name if request.owner_body_id else "",
        status=request.get_status_display(),
    ) + TRACKING.format(url=tracking_url(request))
    sent = []
    sender = _sender()
    for channel, address in (
        (Notification.Channel.SMS, contact.phone),
        (Notification.Channel.EMAIL, contact.email),
    ):
        if not address:
            continue
        note = Notification.objects.create(request=request, channel=channel, text=text)
        try:
            sender.send(channel, address, text)
        except Exception as exc:  # a gateway failure must not undo the move
            logger.warning("notification %s failed: %s", note.pk, exc)
            note.error = str(exc)[:500]
            note.save(update_fields=["error"])
        else:
            note.sent_at = timezone.now()
            note.save(update_fields=["sent_at"])
        sent.append(note)
    return sent
