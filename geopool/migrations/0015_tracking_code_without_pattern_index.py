"""Drop the tracking code's second index, the one for LIKE patterns.

Django gives a unique ``CharField`` on PostgreSQL a second index with
``varchar_pattern_ops`` for ``LIKE 'abc%'`` lookups. geopool looks tracking
codes up only whole (``=``, ``IN``), which the unique index serves, so every
request written kept an entry in an index nothing reads. The index is found
by its definition, whatever name it was given.
"""

from django.db import migrations

FORWARD = """
DO $$
DECLARE
    name text;
BEGIN
    FOR name IN
        SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = 'geopool_servicerequest'::regclass
          AND NOT i.indisunique
          AND pg_get_indexdef(i.indexrelid) LIKE '%(tracking_code varchar_pattern_ops)'
    LOOP
        EXECUTE format('DROP INDEX %I', name);
    END LOOP;
END $$;
"""

BACKWARD = """
CREATE INDEX geopool_servicerequest_tracking_code_55903353_like
    ON geopool_servicerequest (tracking_code varchar_pattern_ops);
"""


class Migration(migrations.Migration):
    dependencies = [("geopool", "0014_request_partial_foreign_key_indexes")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
