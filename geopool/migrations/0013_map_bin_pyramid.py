"""Request counts per heat-map bin at every second zoom level, kept by triggers.

The staff map of the whole province at a million requests would otherwise
count every request in view on each pan; with the counts kept per bin, it
reads a few hundred rows (``geopool.web.staffmap.pyramid``).

``geopool_mapbin_level`` lists the stored zoom levels and the side of their
bins in Web Mercator metres: ``2π · 6378137 / 256 / 2**level · 32``, exactly
what ``bins.Viewport.cell_m`` computes (a test compares them), so a stored
bin of level L rolls up into the bins of any zoom z ≤ L by an arithmetic
shift of its column and row by L - z.

``geopool_mapbin`` holds signed counts: a trigger adds one row per level
and bin for the requests a statement inserts (+n) or deletes (-n), and for
a request whose point moved (-1 at the old bin, +1 at the new one). No row
is ever updated, so writers never wait for each other on a busy bin. A
bin's count is the sum of its rows; ``run_due_jobs`` merges them
(``geopool_mapbin_compact``). TRUNCATE of the requests empties it.
Only requests the map can draw (``web_x`` stored, migration 0012) count.

The finest level is 14 (bins of 306 m): a map at zoom 15 or more shows a
few streets, and counting its requests is quick; the finer levels would
hold most of a row per request and slow every write.
"""

import math

from django.db import migrations

LEVELS = (6, 8, 10, 12, 14)
CELL_PX = 32
METRES_PER_PX_Z0 = 2 * math.pi * 6378137.0 / 256


def size_m(level):
    return METRES_PER_PX_Z0 / 2**level * CELL_PX


# float repr round-trips: PostgreSQL stores exactly Python's value.
LEVEL_ROWS = ", ".join(f"({level}, {size_m(level)!r})" for level in LEVELS)


def _add(rows, sign):
    """Count ``rows`` (+ or -) into every level: the finest level's bins
    first, each coarser one rolled up from them by a shift (exact: the
    finest bin of a point is ``floor(x / size)``, and a coarser one
    ``floor(x / (size * 2**k))``, which is that shifted by k)."""
    finest = LEVELS[-1]
    return f"""
        WITH fine AS (
            SELECT floor(r.web_x / {size_m(finest)!r})::bigint AS i,
                   floor(r.web_y / {size_m(finest)!r})::bigint AS j, count(*) AS n
            FROM {rows} r
            WHERE r.web_x IS NOT NULL
            GROUP BY 1, 2
        )
        INSERT INTO geopool_mapbin (level, i, j, n)
        SELECT l.level, f.i >> ({finest} - l.level), f.j >> ({finest} - l.level),
               {sign} sum(f.n)
        FROM fine f CROSS JOIN geopool_mapbin_level l
        GROUP BY 1, 2, 3;
    """


FORWARD = f"""
CREATE TABLE geopool_mapbin_level (
    level smallint PRIMARY KEY,
    size_m double precision NOT NULL
);
INSERT INTO geopool_mapbin_level (level, size_m) VALUES {LEVEL_ROWS};

CREATE TABLE geopool_mapbin (
    level smallint NOT NULL,
    i bigint NOT NULL,
    j bigint NOT NULL,
    n integer NOT NULL
);
CREATE INDEX geopool_mapbin_column ON geopool_mapbin (level, i, j) INCLUDE (n);
CREATE INDEX geopool_mapbin_row ON geopool_mapbin (level, j, i) INCLUDE (n);

CREATE FUNCTION geopool_mapbin_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {_add("new_rows", "")}
    RETURN NULL;
END $$;

CREATE FUNCTION geopool_mapbin_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {_add("old_rows", "-")}
    RETURN NULL;
END $$;

CREATE FUNCTION geopool_mapbin_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO geopool_mapbin (level, i, j, n)
    SELECT l.level, floor(p.x / l.size_m)::bigint, floor(p.y / l.size_m)::bigint,
           p.n
    FROM (VALUES (OLD.web_x, OLD.web_y, -1), (NEW.web_x, NEW.web_y, 1))
         AS p (x, y, n)
    CROSS JOIN geopool_mapbin_level l
    WHERE p.x IS NOT NULL;
    RETURN NULL;
END $$;

CREATE FUNCTION geopool_mapbin_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM geopool_mapbin;
    RETURN NULL;
END $$;

-- Counts the requests with ids lo … hi, for a writer that had the triggers
-- off (a large history import, which holds the table alone meanwhile).
CREATE FUNCTION geopool_mapbin_add_ids(lo bigint, hi bigint) RETURNS void
LANGUAGE sql AS $$
    {_add("(SELECT * FROM geopool_servicerequest WHERE id BETWEEN lo AND hi)", "")}
$$;

-- Merges each bin's rows into one; returns how many rows it removed.
CREATE FUNCTION geopool_mapbin_compact() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    before bigint;
    after bigint;
BEGIN
    WITH split AS (
        SELECT level, i, j FROM geopool_mapbin
        GROUP BY 1, 2, 3 HAVING count(*) > 1
    ), gone AS (
        DELETE FROM geopool_mapbin b USING split s
        WHERE b.level = s.level AND b.i = s.i AND b.j = s.j
        RETURNING b.level, b.i, b.j, b.n
    ), merged AS (
        INSERT INTO geopool_mapbin (level, i, j, n)
        SELECT level, i, j, sum(n) FROM gone
        GROUP BY 1, 2, 3 HAVING sum(n) <> 0
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM merged)
    INTO before, after;
    RETURN before - after;
END $$;

CREATE TRIGGER geopool_mapbin_inserted AFTER INSERT ON geopool_servicerequest
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION geopool_mapbin_inserted();
CREATE TRIGGER geopool_mapbin_deleted AFTER DELETE ON geopool_servicerequest
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION geopool_mapbin_deleted();
CREATE TRIGGER geopool_mapbin_moved AFTER UPDATE OF location
    ON geopool_servicerequest FOR EACH ROW
    WHEN (OLD.web_x IS DISTINCT FROM NEW.web_x OR OLD.web_y IS DISTINCT FROM NEW.web_y)
    EXECUTE FUNCTION geopool_mapbin_moved();
CREATE TRIGGER geopool_mapbin_truncated AFTER TRUNCATE ON geopool_servicerequest
    FOR EACH STATEMENT EXECUTE FUNCTION geopool_mapbin_truncated();

{_add("geopool_servicerequest", "")}
"""

BACKWARD = """
DROP TRIGGER geopool_mapbin_inserted ON geopool_servicerequest;
DROP TRIGGER geopool_mapbin_deleted ON geopool_servicerequest;
DROP TRIGGER geopool_mapbin_moved ON geopool_servicerequest;
DROP TRIGGER geopool_mapbin_truncated ON geopool_servicerequest;
DROP FUNCTION geopool_mapbin_inserted(), geopool_mapbin_deleted(),
    geopool_mapbin_moved(), geopool_mapbin_truncated(), geopool_mapbin_compact(),
    geopool_mapbin_add_ids(bigint, bigint);
DROP TABLE geopool_mapbin, geopool_mapbin_level;
"""


class Migration(migrations.Migration):
    dependencies = [("geopool", "0012_request_web_mercator")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
