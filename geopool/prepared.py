"""Statements that hot paths run prepared, once per database connection.

Django binds parameters on the client, so PostgreSQL parses and plans every
statement it receives anew. For a statement sent on every call with only
its values changing (the API key check, the nearest open tickets), planning
costs as much as running it, or more. ``fetch`` has psycopg prepare such a
statement once per connection (the protocol's Parse; PostgreSQL's own
``$1`` placeholders) and then send only its values (Bind and Execute), in
binary both ways, on Django's connection and in the transaction Django has
open. A prepared statement outlives a
rolled-back transaction; a new connection starts with none.

Each statement is planned once, at its first execution on a connection
(``plan_cache_mode = force_generic_plan``, set for geopool's connections in
``geopool.settings``): by default PostgreSQL plans a prepared statement
again for its values on every call whenever a plan for those values looks
cheaper, which for the nearest open tickets it always did, so planning was
still paid on every call. A statement given to ``fetch`` must therefore
have a plan that suits every value it is run with: its shape (which
columns are filtered, the ``LIMIT``) belongs in the text, and only values
a plan need not know in the parameters.

The statements go past Django's cursor, to save its cost per call, but not
past what watches it: ``connection.execute_wrapper`` wrappers see them, they
are logged in ``connection.queries`` while queries are logged (tests'
``CaptureQueriesContext``, ``DEBUG``), and errors are Django's.

Example: ``fetch("SELECT id FROM geopool_apikey WHERE prefix = $1", "text",
["1a2b3c4d"])`` returns the key's row, if any.
"""

import functools
import re
import time

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections

_PLACEHOLDER = re.compile(r"\$(\d+)\b")

# Django switches psycopg's preparing off (``prepare_threshold`` None); with
# a threshold psycopg prepares what is executed with ``prepare=True`` at
# once, and by count only on cursors that bind on the server, which Django's
# never do: this module's are the only ones.
_BY_COUNT_NEVER = 2**31 - 1


@functools.lru_cache(maxsize=64)
def _text(sql, types):
    """``sql`` with each placeholder ``$1`` … cast to its type.

    ``types``: the parameters' types, comma-separated (simple type names).
    The values' own types (psycopg's choice: a small int is an ``int2``) do
    not change the statement's plan, nor make it another statement.
    """
    kinds = [kind.strip() for kind in types.split(",")] if types else []

    def placeholder(match):
        return f"{match.group(0)}::{kinds[int(match.group(1)) - 1]}"

    return _PLACEHOLDER.sub(placeholder, sql)


def _execute(sql, params, many, context):
    context["cursor"].execute(sql, params, prepare=True, binary=True)


def fetch(sql, types, values):
    """All rows of ``sql`` (placeholders ``$1`` …, of ``types``) for ``values``.

    The statement is prepared on the connection the first time its text is
    run there, and executed prepared from then on.
    """
    return _run(_text(sql, types), list(values), _execute)


def _run(text, params, execute):
    """Rows of ``text`` run by ``execute`` on a raw cursor, as Django would.

    Django's ``execute_wrapper`` hooks see the statement, Django's query log
    records it while queries are logged, and errors are Django's. The
    thread's connection is looked up once: each attribute read through
    ``django.db.connection`` looks it up again.
    """
    db = connections[DEFAULT_DB_ALIAS]
    raw = db.connection
    if raw is None:
        db.ensure_connection()
        raw = db.connection
    if raw.prepare_threshold is None:
        raw.prepare_threshold = _BY_COUNT_NEVER
    executor = execute
    for wrapper in reversed(db.execute_wrappers):
        executor = functools.partial(wrapper, executor)
    logged = db.queries_logged
    started = time.monotonic() if logged else 0.0
    with db.wrap_database_errors, psycopg.RawCursor(raw) as cursor:
        executor(text, params, False, {"connection": db, "cursor": cursor})
        rows = cursor.fetchall()
    if logged:
        db.queries_log.append(
            {"sql": f"{text} -- {params}", "time": f"{time.monotonic() - started:.3f}"}
        )
    return rows


def execute(sql, values):
    """Run ``sql`` (placeholders ``%s``) for ``values`` prepared; return its rows.

    For a statement that a hot path writes with the same text every time
    and only the values changing (intake's one-statement write), with
    Django's values (its geometry and JSON adapters): psycopg prepares it on
    the connection the first time and sends only the values from then on,
    the parameters' types inferred by PostgreSQL from where they stand.
    """
    if "%%" in sql or sql.count("%") != sql.count("%s"):
        raise ValueError("execute() takes only %s placeholders")
    parts = sql.split("%s")
    text = parts[0] + "".join(
        f"${i}{part}" for i, part in enumerate(parts[1:], start=1)
    )
    return _run(text, list(values), _execute_text)


def _execute_text(sql, params, many, context):
    context["cursor"].execute(sql, params, prepare=True)
