"""Statements that hot paths run prepared, once per database connection.

Django binds parameters on the client, so PostgreSQL parses and plans every
statement it receives anew. For a statement sent on every call with only
its values changing (the API key check, the nearest open tickets), planning
costs as much as running it, or more. ``fetch`` prepares such a statement
once per connection under a name (``PREPARE``) and then sends only
``EXECUTE name (values)``, through Django's cursor and in the transaction
Django has open. A prepared statement outlives a rolled-back transaction;
a new connection starts with none.

Each statement is planned once, at its first ``EXECUTE`` on a connection
(``plan_cache_mode = force_generic_plan``, set for geopool's connections in
``geopool.settings``): by default PostgreSQL plans a prepared statement
again for its values on every call whenever a plan for those values looks
cheaper, which for the nearest open tickets it always did, so planning was
still paid on every call. A statement given to ``fetch`` must therefore
have a plan that suits every value it is run with: its shape (which
columns are filtered, the ``LIMIT``) belongs in the text and the name, and
only values a plan need not know in the parameters.

Example: ``fetch("geopool_key_check", "SELECT id FROM geopool_apikey WHERE
prefix = $1", "text", ["1a2b3c4d"])`` returns the key's row, if any.
"""

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
