"""Building a table's secondary indexes once after a large import.

Inserting a row into a table keeps every index up to date entry by entry;
building an index over rows already there sorts them once, which is many
times faster. When an import brings more rows than the table holds (a first
load of years of history), ``indexes_rebuilt`` drops the table's secondary
indexes inside the import's transaction and builds them again before it
commits, as database restore tools do.

The table's foreign keys are dropped with them and added again after the
builds, as database restore tools do too: adding one checks every row at
once with a join, where each row loaded would otherwise look up, and lock,
the row it refers to (a category, a body) while it is copied. A row
referring to nothing makes the import fail and roll back, as it would have
row by row.

With ``uniques=True`` the unique indexes and constraints go too (all but
the primary key and those a foreign key refers to), for an import that
checks the uniqueness of its own rows in memory (the history import holds
every tracking code and external id of the table and the file): building a
unique index checks every row at once, so a duplicate the import missed
still makes it fail and roll back. The other constraints are untouched.
The indexes, constraints and foreign keys made again are the ones read back
from the catalogue (``pg_get_indexdef``, ``pg_get_constraintdef``, as
database dumps do), so they come back as they were.

TODO(indexes): what is set on an index apart from its definition (a
comment, a tablespace, a column's statistics target, the CLUSTER mark) is
not carried over; geopool's migrations set none of them.

Dropping an index locks its table against reads and writes until the
transaction ends: while such an import runs, nothing else can read the
table; dropping a foreign key also locks the tables it refers to (the
categories, bodies, crews, departments, API keys and users) against writes,
so, for example, a log-in waits for the import to end. Because everything
happens in one transaction, an import that fails or is interrupted rolls
the drops back with the rows: the table keeps its previous rows, every
index and every foreign key.
"""

import logging
from contextlib import contextmanager
from time import perf_counter

from django.db import connection
from tqdm import tqdm

logger = logging.getLogger(__name__)

# Below this many rows keeping the indexes up to date costs little, and the
# table stays readable during the import.
REBUILD_MIN_ROWS = 10_000
# Memory for each index build (PostgreSQL's default is 64 MB): the sort of a
# million rows' keys fits, so it needs no temporary files.
BUILD_MEMORY = "512MB"

# The indexes that are neither the primary key nor unique, with their
# definitions, in the order PostgreSQL lists them.
_SECONDARY = """
    SELECT c.relname, pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND NOT i.indisunique
    ORDER BY c.relname
"""
# The unique indexes but the primary key and those a foreign key refers to,
# with their definitions, and the constraint each backs (or None).
_UNIQUE = """
    SELECT c.relname, pg_get_indexdef(i.indexrelid), k.conname,
           pg_get_constraintdef(k.oid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid
         AND k.conrelid = i.indrelid AND k.contype = 'u'
    WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND i.indisunique
      AND i.indexrelid NOT IN (
          SELECT conindid FROM pg_constraint WHERE contype = 'f')
    ORDER BY c.relname
"""
# The table's foreign keys, with their definitions.
_FOREIGN = """
    SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
    WHERE conrelid = %s::regclass AND contype = 'f'
    ORDER BY conname
"""
# How many rows the table holds, counted up to a limit.
_ROWS_UP_TO = "SELECT count(*) FROM (SELECT 1 FROM {} LIMIT %s) t"


def rebuild_wanted(cursor, table, incoming):
    """True when ``incoming`` rows outnumber the rows ``table`` holds."""
    if incoming < REBUILD_MIN_ROWS:
        return False
    cursor.execute(_ROWS_UP_TO.format(_quoted(table)), [incoming])
    return cursor.fetchone()[0] < incoming


@contextmanager
def indexes_rebuilt(cursor, table, seconds=None, uniques=False, progress=False):
    """Drop the secondary indexes and foreign keys of ``table`` (and its
    unique indexes with ``uniques``); make them again on exit.

    Must run inside a transaction. On an exception nothing is made again:
    the caller's rollback brings them back. ``seconds``, a dict, gets the
    time spent in ``drop``, ``build`` (the indexes) and ``foreign_keys``.
    ``progress``: a progress bar of the builds on stderr.
    """
    seconds = {} if seconds is None else seconds
    started = perf_counter()
    quoted = _quoted(table)
    cursor.execute(f"LOCK TABLE {quoted} IN ACCESS EXCLUSIVE MODE")
    cursor.execute(_SECONDARY, [table])
    indexes = cursor.fetchall()
    constraints = []
    if uniques:
        cursor.execute(_UNIQUE, [table])
        for name, definition, constraint, constraint_definition in cursor.fetchall():
            if constraint is None:
                indexes.append((name, definition))
            else:
                constraints.append((constraint, constraint_definition))
    cursor.execute(_FOREIGN, [table])
    foreign = cursor.fetchall()
    for name, _ in foreign + constraints:
        cursor.execute(f"ALTER TABLE {quoted} DROP CONSTRAINT {_quoted(name)}")
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {_quoted(name)}")
    seconds["drop"] = perf_counter() - started
    logger.debug(
        "dropped %d indexes, %d unique constraints and %d foreign keys of %s "
        "while rows are loaded",
        len(indexes),
        len(constraints),
        len(foreign),
        table,
    )

    yield

    started = perf_counter()
    # Until the transaction ends, which follows the builds.
    cursor.execute(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'")
    builds = [(name, definition) for name, definition in indexes] + [
        (name, f"ALTER TABLE {quoted} ADD CONSTRAINT {_quoted(name)} {definition}")
        for name, definition in constraints
    ]
    with tqdm(
        total=len(builds), desc="indexes", unit="index", disable=not progress
    ) as bar:
        for name, statement in builds:
            begun = perf_counter()
            cursor.execute(statement)
            logger.debug("built index %s in %.2f s", name, perf_counter() - begun)
            bar.update()
    seconds["build"] = perf_counter() - started
    started = perf_counter()
    for name, definition in foreign:
        cursor.execute(
            f"ALTER TABLE {quoted} ADD CONSTRAINT {_quoted(name)} {definition}"
        )
    seconds["foreign_keys"] = perf_counter() - started


def _quoted(name):
    return connection.ops.quote_name(name)
