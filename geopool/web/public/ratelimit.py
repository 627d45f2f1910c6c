"""A simple per-address limit on the public request form, in Django's cache.

Each address may create ``GEOPOOL_PUBLIC_FORM_LIMIT`` requests (default
10) per window of ``GEOPOOL_PUBLIC_FORM_WINDOW`` seconds (default 600, ten
minutes), counted in fixed windows from the first request. Only requests
that were created count: a citizen correcting a refused form loses nothing.

Why these numbers: Turkish mobile operators put many phones behind one
address (carrier-grade NAT), and after a disaster a whole container city
may share one uplink, so the limit must let a crowd through while stopping
a script that files hundreds of requests. Ten in ten minutes from one
address is far above what a family files and far below a flood.

The counter lives in the ``shared`` cache (``settings.CACHES``): Django's
database cache, one table for every gunicorn worker and server, so the
limit holds for the deployment, not per process. Its increment is a read
and a write, not atomic: posts from one address that arrive at the same
instant may each count from the same value, so a burst can pass the limit
by as many posts as arrive together (a handful), never by a flood. A
deployment may point ``shared`` at Redis instead; nothing here changes.

The address is ``REMOTE_ADDR``. Behind a reverse proxy every citizen would
share the proxy's address, so set ``GEOPOOL_CLIENT_IP_HEADER`` to the
``request.META`` key the proxy fills (e.g. ``HTTP_X_REAL_IP``); it is read
only when set, because a header a client can send itself would let a
script pick a new address for every post.
"""

import hashlib
import logging

from django.conf import settings
from django.core.cache import caches

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


def is_limited(request):
    """True when this address has used up its requests for the window."""
    limit, _window = limits()
    return counters().get(_key(client_address(request)), 0) >= limit


def count_created(request):
    """Count one created request for this address."""
    limit, window = limits()
    key = _key(client_address(request))
    cache = counters()
    # add() starts the window only if no counter exists yet.
    cache.add(key, 0, timeout=window)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=window)
        used = 1
    if used == limit:
        logger.warning(
            "public form: an address reached %d requests in %d s", limit, window
        )
    return used
