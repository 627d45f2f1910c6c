"""A simple per-address limit on the public request form, in Django's cache.

Each address may create ``GEOPOOL_PUBLIC_FORM_LIMIT`` requests (default
10) per window of ``GEOPOOL_PUBLIC_FORM_WINDOW`` seconds (default 600, ten
minutes), counted in fixed windows from the first request. Only requests
that were created count: a citizen correcting a refused form loses nothing.
A valid form takes its place in the count before the request is created
(``reserve``) and gives it back if the request is not created
(``release``).

Why these numbers: Turkish mobile operators put many phones behind one
address (carrier-grade NAT), and after a disaster a whole container city
may share one uplink, so the limit must let a crowd through while stopping
a script that files hundreds of requests. Ten in ten minutes from one
address is far above what a family files and far below a flood.

The counter (the window's start and the count) lives in the ``shared``
cache (``settings.CACHES``): Django's database cache, one table for every
gunicorn worker and server, so the limit holds for the deployment, not per
process. A cache's read-then-write is not atomic, so each change of an
address's counter holds a PostgreSQL advisory lock for that address until
its transaction ends: posts from one address that arrive at the same
instant take their places one after the other, and a burst gets exactly
the limit through. A deployment may point ``shared`` at Redis instead;
the lock is still PostgreSQL's.

The address is ``REMOTE_ADDR``. Behind a reverse proxy every citizen would
share the proxy's address, so set ``GEOPOOL_CLIENT_IP_HEADER`` to the
``request.META`` key the proxy fills (e.g. ``HTTP_X_REAL_IP``); it is read
only when set, because a header a client can send itself would let a
script pick a new address for every post.
"""

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import caches
from django.db import transaction

from geopool import locks

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 10
DEFAULT_WINDOW_SECONDS = 600
KEY_PREFIX = "geopool:public-form:"
CACHE_ALIAS = "shared"


def counters():
    """The cache the counters live in (shared by every worker process)."""
    return caches[CACHE_ALIAS]


def limits():
    """``(limit, window in seconds)`` from the settings."""
    return (
        int(getattr(settings, "GEOPOOL_PUBLIC_FORM_LIMIT", DEFAULT_LIMIT)),
        int(getattr(settings, "GEOPOOL_PUBLIC_FORM_WINDOW", DEFAULT_WINDOW_SECONDS)),
    )


def client_address(request):
    header = getattr(settings, "GEOPOOL_CLIENT_IP_HEADER", "")
    value = request.META.get(header, "") if header else ""
    # A proxy may append: "client, proxy1"; the first is the client.
    value = value.split(",")[0].strip() or request.META.get("REMOTE_ADDR", "")
    return value or "unknown"


def _key(address):
    # The cache holds a digest, not the address (personal data under KVKK).
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    return KEY_PREFIX + digest


def _counter(key, window, now):
    """``(window start, count)`` of ``key`` now; a new window when expired."""
    stored = counters().get(key)
    if not isinstance(stored, (list, tuple)) or len(stored) != 2:
        return now, 0
    started, used = stored
    if now - started >= window:
        return now, 0
    return started, used


def _locked(key):
    """Hold the advisory lock of ``key`` until the transaction ends."""
    locks.hold(int.from_bytes(bytes.fromhex(key[-16:]), "big", signed=True))


def is_limited(request):
    """True when this address has used up its requests for the window."""
    limit, window = limits()
    _started, used = _counter(_key(client_address(request)), window, time.time())
    return used >= limit


def _change(request, step):
    """Change this address's count by ``step`` (+1, -1) under its lock.

    Returns the count after the change, or None when a place was asked for
    and none is left (the count stays). A count never goes below 0.
    """
    limit, window = limits()
    key = _key(client_address(request))
    with transaction.atomic():
        _locked(key)
        now = time.time()
        started, used = _counter(key, window, now)
        if step > 0 and used >= limit:
            return None
        used = max(0, used + step)
        counters().set(key, (started, used), timeout=max(1, started + window - now))
    return used


def reserve(request):
    """Take a place for one request of this address; False when none is left."""
    used = _change(request, +1)
    limit, window = limits()
    if used == limit:
        logger.warning(
            "public form: an address reached %d requests in %d s", limit, window
        )
    return used is not None


def release(request):
    """Give back the place ``reserve`` took (the request was not created)."""
    _change(request, -1)
