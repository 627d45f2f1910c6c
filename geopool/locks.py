"""Work that runs one at a time across processes: PostgreSQL advisory locks.

``hold(key)`` takes a transaction-level advisory lock, waiting for whoever
holds it; ``try_hold(key)`` takes it only when it is free. Either is let go
when the transaction ends (commit or rollback), so a caller needs no clean
up. ``key_of(name)`` gives a named lock its 64-bit key.
"""

import hashlib

from django.db import connection


def key_of(name):
    """A stable signed 64-bit key for the lock called ``name``."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def hold(key):
    """Take the advisory lock ``key`` until the transaction ends (waiting)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def try_hold(key):
    """Take the advisory lock ``key`` if it is free; whether it was taken."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [key])
        return cursor.fetchone()[0]
