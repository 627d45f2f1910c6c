"""Hand-written SQL the ORM cannot express.

- An expression GiST index on ``location::geography`` so that metre-based
  queries (``ST_DWithin`` on geography, KNN ``<->``) use an index.
- A trigger that makes the audit trail append-only: UPDATE and DELETE on
  ``geopool_event`` raise, whoever issues them.
"""

from django.db import migrations

FORWARD = """
CREATE INDEX geopool_request_location_geog_gist
    ON geopool_servicerequest USING gist ((location::geography));

CREATE FUNCTION geopool_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER geopool_event_append_only
    BEFORE UPDATE OR DELETE ON geopool_event
    FOR EACH ROW EXECUTE FUNCTION geopool_refuse_change();
"""

BACKWARD = """
DROP TRIGGER geopool_event_append_only ON geopool_event;
DROP FUNCTION geopool_refuse_change();
DROP INDEX geopool_request_location_geog_gist;
"""


class Migration(migrations.Migration):
    dependencies = [("geopool", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
