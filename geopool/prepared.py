"""Statements that hot paths run prepared, once per database connection.

Django binds parameters on the client, so PostgreSQL parses and plans every
statement it receives anew. For a statement sent on every call with only
its values changing (the API key check, the nearest open tickets), planning
costs as much as running it, or more. ``fetch`` prepares such a statement
once per connection under a name (``PREPARE``) and then sends only
``EXECUTE name (values)``, through Django's cursor and in the transaction
Django has open. A prepared statement outlives a rolled-back transaction;
a new connection starts with none.

Example: ``fetch("geopool_key_check", "SELECT id FROM geopool_apikey WHERE
prefix = $1", "text", ["1a2b3c4d"])`` returns the key's row, if any.
"""

import hashlib
import threading
import weakref

from django.db import connection

# psycopg connection -> names prepared on it. Django makes a new connection
# object when it reconnects, which has none.
_prepared_on = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def fetch(name, sql, types, values):
    """All rows of ``sql`` (placeholders ``$1`` …, of ``types``) for ``values``.

    ``name`` identifies the statement on the connection: one name, one
    statement text, for the life of the process.
    """
    connection.ensure_connection()
    raw = connection.connection
    with _lock:
        known = name in _prepared_on.get(raw, ())
    with connection.cursor() as cursor:
        if not known:
            cursor.execute(f"PREPARE {name} ({types}) AS {sql}")
            with _lock:
                _prepared_on.setdefault(raw, set()).add(name)
        placeholders = ", ".join(["%s"] * len(values))
        cursor.execute(f"EXECUTE {name} ({placeholders})", list(values))
        return cursor.fetchall()


def execute(sql, values):
    """Run ``sql`` (placeholders ``%s``) for ``values`` as a prepared statement.

    For a statement that a hot path writes with the same text every time
    and only the values changing (intake's one-statement write): it is
    prepared under a name derived from its text, with the parameters' types
    inferred by PostgreSQL from where they stand, and then only ``EXECUTE``
    is sent. Returns the cursor's rows.
    """
    if "%%" in sql or sql.count("%") != sql.count("%s"):
        raise ValueError("execute() takes only %s placeholders")
    name = "geopool_" + hashlib.md5(sql.encode()).hexdigest()[:16]
    connection.ensure_connection()
    raw = connection.connection
    with _lock:
        known = name in _prepared_on.get(raw, ())
    with connection.cursor() as cursor:
        if not known:
            parts = sql.split("%s")
            numbered = parts[0] + "".join(
                f"${i}{part}" for i, part in enumerate(parts[1:], start=1)
            )
            cursor.execute(f"PREPARE {name} AS {numbered}".replace("%", "%%"))
            with _lock:
                _prepared_on.setdefault(raw, set()).add(name)
        placeholders = ", ".join(["%s"] * len(values))
        cursor.execute(f"EXECUTE {name} ({placeholders})", list(values))
        return cursor.fetchall()
