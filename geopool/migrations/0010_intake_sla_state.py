"""SLA targets bump the routing state's version when they change.

``geopool.services.pool_state`` keeps the SLA targets beside the live
routing context, which is rebuilt when ``routing_rules_state.version``
changes; the same statement trigger as on the other tables that context
reads (``routing_rules`` migration ``0004_routing_state``) makes an edited
target count from the next request on, in every process.
"""

from django.db import migrations

FORWARD = """
CREATE TRIGGER routing_state_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON geopool_slatarget FOR EACH STATEMENT EXECUTE FUNCTION routing_state_bump();
"""
BACKWARD = "DROP TRIGGER routing_state_bump ON geopool_slatarget;"


class Migration(migrations.Migration):
    dependencies = [
        ("geopool", "0006_pool_workflow"),
        ("routing_rules", "0004_routing_state"),
    ]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
