"""What of a request the public sees: the approved text and public photos.

The citizen's own description and photos are never public as they came in
(the citizen's form promises so): they often name people, a door number, a
phone. Staff who may work the request write the text the public reads
(``public_description``, shown by the tracking page ``/t/<code>`` and by
Open311 as ``description``) and choose which photos are shown
(``Photo.is_public``). Each change locks the request row, as the workflow
services do, and is an ``Event`` with who, when, before and after.

Two staff editing the public text at once must not overwrite each other
unseen: the page sends back the digest of the text it showed
(``public_text_digest``), and a text changed meanwhile is refused with what
it reads now. Publishing or withdrawing a photo names the state wanted, so
the second of two identical clicks changes nothing and says so.
"""

import hashlib

from django.db import transaction
from django.utils.translation import gettext as _

from geopool.models import Photo
from geopool.services.events import event_record
from geopool.services.workflow import (
    FIELD_NAMES,
    WorkflowError,
    WorkflowInputError,
    locked_request,
    require_owner_staff,
    text_check,
)
from geopool.text import hidden_format_character


def public_text_clean(text):
    """The text as stored: line ends as ``\\n``, no blank edges."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def public_text_digest(text):
    """A short fingerprint of a stored public text (the page sends it back)."""
    return hashlib.sha256(public_text_clean(text).encode()).hexdigest()[:16]


def public_text_set(request, text, *, actor, shown=None):
    """Set (or, with an empty ``text``, clear) the public text of ``request``.

    ``shown`` is ``public_text_digest`` of the text the user saw; when the
    text has changed since, nothing is stored and a ``WorkflowError`` says
    what it reads now. Returns ``(request, changed)``.
    """
    text = public_text_clean(text)
    text_check(public_description=text)
    hidden = hidden_format_character(text)
    if hidden:
        raise WorkflowInputError(
            _(
                "%(field)s: it holds an invisible character (U+%(code)04X) that "
                "changes how the text reads; delete it and save again."
            )
            % {"field": FIELD_NAMES["public_description"], "code": ord(hidden)},
            "public_description",
        )
    with transaction.atomic():
        locked = locked_request(request.pk)
        require_owner_staff(actor, locked)
        before = locked.public_description
        if shown is not None and shown != public_text_digest(before):
            raise WorkflowError(
                _(
                    "Another user changed the public text meanwhile; it now "
                    "reads: “%(text)s”. Check it and save yours again if it "
                    "should replace it."
                )
                % {"text": before or _("(none)")}
            )
        if text == before:
            return locked, False
        locked.public_description = text
        locked.save(update_fields=["public_description", "updated_at"])
        event_record(
            "request.public_text",
            locked,
            actor=actor,
            before={"public_text": before or None},
            after={"public_text": text or None},
        )
    return locked, True


def photo_publish(photo, public, *, actor):
    """Show ``photo`` publicly (``public=True``) or withdraw it.

    Returns ``(photo, changed)``: a photo already in the state asked for is
    left as it is.
    """
    with transaction.atomic():
        locked = locked_request(photo.request_id)
        require_owner_staff(actor, locked)
        current = Photo.objects.select_for_update().get(pk=photo.pk)
        if current.is_public == public:
            return current, False
        current.is_public = public
        current.save(update_fields=["is_public"])
        locked.save(update_fields=["updated_at"])
        event_record(
            "request.photo_publish" if public else "request.photo_withdraw",
            locked,
            actor=actor,
            before={"public": not public},
            after={"photo": current.pk, "public": public},
        )
    return current, True
