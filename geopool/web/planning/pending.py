"""Uploaded files waiting for the planner's choices, and the choices so far.

Step 1 of the upload stores the file under
``MEDIA_ROOT/uploads-pending/<token>/<original name>`` and keeps the
planner's choices (target layer, source layer, SRID, encoding, field
mapping) in the session under the same token. The token (32 random hex
digits) is all that travels through the pages; it is looked up in the
session, never joined to a path as given, so a client can reach neither
another planner's upload nor any other file. Example: ``ilceler.zip``
uploaded by a planner waits as
``uploads-pending/3f2a…9c/ilceler.zip`` until the draft is saved.

The service keeps its own copy of a committed file (under its checksum), so
a pending folder is removed once its draft is stored; folders left by
abandoned uploads are removed after ``MAX_AGE``.
"""

import logging
import re
import secrets
import shutil
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

from django.conf import settings
from django.http import Http404

logger = logging.getLogger(__name__)

PENDING_DIR = "uploads-pending"
SESSION_KEY = "planning_uploads"
MAX_AGE_S = 24 * 3600
_TOKEN = re.compile(r"[0-9a-f]{32}")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


@dataclass
class Pending:
    token: str
    path: Path
    options: dict


def pending_root():
    return Path(settings.MEDIA_ROOT) / PENDING_DIR


def safe_name(name):
    """Return the base name of an uploaded file, safe to store.

    >>> safe_name("C:\\\\Users\\\\x\\\\İlçeler.zip"), safe_name("../../etc/passwd")
    ('İlçeler.zip', 'passwd')
    >>> safe_name(".."), safe_name(".hidden.geojson")
    ('upload', 'hidden.geojson')
    """
    base = PureWindowsPath(str(name).replace("/", "\\")).name
    base = _UNSAFE.sub("_", unicodedata.normalize("NFC", base)).strip().lstrip(".")
    return base[:200] or "upload"


def pending_create(request, uploaded, options):
    """Store ``uploaded`` (an UploadedFile) and ``options``; return a Pending."""
    pending_prune()
    token = secrets.token_hex(16)
    folder = pending_root() / token
    folder.mkdir(parents=True)
    path = folder / safe_name(uploaded.name)
    with path.open("wb") as handle:
        for chunk in uploaded.chunks():
            handle.write(chunk)
    uploads = request.session.get(SESSION_KEY, {})
    uploads[token] = {**options, "file_name": path.name}
    request.session[SESSION_KEY] = uploads
    logger.info("pending upload %s: %s (%d bytes)", token, path.name, uploaded.size)
    return Pending(token, path, uploads[token])


def pending_get(request, token):
    """Return the Pending of ``token`` in this session, or raise Http404."""
    options = request.session.get(SESSION_KEY, {}).get(token)
    if not _TOKEN.fullmatch(token or "") or options is None:
        raise Http404("no such upload in this session")
    path = pending_root() / token / options["file_name"]
    if path.parent.parent != pending_root() or not path.is_file():
        raise Http404("the uploaded file is gone; upload it again")
    return Pending(token, path, options)


def pending_update(request, pending, **changes):
    """Record the planner's further choices for ``pending``."""
    pending.options.update(changes)
    uploads = request.session.get(SESSION_KEY, {})
    uploads[pending.token] = pending.options
    request.session[SESSION_KEY] = uploads


def pending_remove(request, pending):
    """Forget ``pending`` and delete its folder."""
    uploads = request.session.get(SESSION_KEY, {})
    uploads.pop(pending.token, None)
    request.session[SESSION_KEY] = uploads
    shutil.rmtree(pending.path.parent, ignore_errors=True)


def pending_prune(max_age_s=MAX_AGE_S):
    """Delete pending folders older than ``max_age_s`` seconds."""
    root = pending_root()
    if not root.is_dir():
        return
    cutoff = time.time() - max_age_s
    for folder in root.iterdir():
        if _TOKEN.fullmatch(folder.name) and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            logger.info("removed abandoned upload %s", folder.name)
