"""Photos of requests: checked, re-encoded without EXIF, stored.

Citizens' phones put the place and time, sometimes the owner's name, in a
photo's EXIF. ``photo_store`` accepts JPEG, PNG and WebP up to
``MAX_BYTES`` and ``MAX_PIXELS``, turns the image upright (EXIF
orientation), writes a fresh file with no metadata at all, and records a
``Photo``. Anything else is refused with a ``PhotoRefused`` that says what
was wrong and what is accepted.
"""

import io
import logging
import uuid

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from geopool.errors import GeopoolError
from geopool.models import Photo
from geopool.services.events import event_record

logger = logging.getLogger(__name__)

MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000
# Longest side kept: larger photos are scaled down (a phone's 12 MP is plenty
# at 2560 px for a pothole).
MAX_SIDE = 2560
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class PhotoRefused(GeopoolError):
    fields = ("media",)


def _read(upload):
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise PhotoRefused(
            _("The photo is larger than %(limit)s MB; send a smaller one.")
            % {"limit": MAX_BYTES // (1024 * 1024)}
        )
    if not data:
        raise PhotoRefused(_("The photo file is empty."))
    return data


def clean_image(data):
    """Return (bytes without metadata, content type, width, height)."""
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise PhotoRefused(
            _("The file is not a photo geopool can read; send a JPEG, PNG or WebP.")
        ) from None
    if kind not in FORMATS:
        raise PhotoRefused(
            _("Photos in %(kind)s format are not accepted; send a JPEG, PNG or WebP.")
            % {"kind": kind or "?"}
        )
    image = ImageOps.exif_transpose(image)
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    if kind == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    # A new image built from the pixels alone carries no EXIF, XMP or text.
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    if image.mode == "P":
        clean.putpalette(image.getpalette())
    out = io.BytesIO()
    clean.save(out, format=kind, **({"quality": 88} if kind == "JPEG" else {}))
    return out.getvalue(), FORMATS[kind], clean.width, clean.height


def photo_store(request, upload, *, actor=None, is_public=False):
    """Check, clean and store ``upload`` (a file-like object) for ``request``."""
    data, content_type, width, height = clean_image(_read(upload))
    extension = content_type.split("/")[1].replace("jpeg", "jpg")
    photo = Photo(
        request=request,
        content_type=content_type,
        size=len(data),
        width=width,
        height=height,
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        is_public=is_public,
    )
    photo.image.save(f"{uuid.uuid4().hex}.{extension}", ContentFile(data), save=False)
    photo.save()
    event_record(
        "request.photo",
        request,
        actor=actor,
        after={"photo": photo.pk, "bytes": len(data), "type": content_type},
    )
    logger.info("photo %s stored for %s", photo.pk, request.tracking_code)
    return photo
