"""A GiST index on ``location::geography`` over open requests only.

The nearest open tickets (``geopool.services.nearby``) are found by a KNN
scan; over the whole table it would step over every closed request near
the point (years of history), over this index it reads open ones only.
The predicate is the same text as ``geopool.services.nearby.OPEN_SQL``.
"""

from django.db import migrations

FORWARD = """
CREATE INDEX geopool_request_open_location_geog_gist
    ON geopool_servicerequest USING gist ((location::geography))
    WHERE status NOT IN ('closed', 'duplicate', 'refused', 'resolved');
"""

BACKWARD = "DROP INDEX geopool_request_open_location_geog_gist;"


class Migration(migrations.Migration):
    dependencies = [("geopool", "0006_pool_workflow")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
