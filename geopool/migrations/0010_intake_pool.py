"""The coordinator's decision beside a transfer; SLA targets in the routing state.

- ``Transfer.settled_by/settled_at/settled_to``: the pool coordinator's
  decision after a refusal or an escalation, kept beside the transfer's own
  outcome (which it no longer overwrites).
- SLA targets bump ``routing_rules_state.version`` when they change:
  ``geopool.services.pool_state`` keeps them beside the live routing
  context, which is rebuilt when that version changes; the same statement
  trigger as on the other tables the context reads (``routing_rules``
  migration ``0004_routing_state``) makes an edited target count from the
  next request on, in every process.
- ``geopool_shared_cache``: the table of the ``shared`` cache, one for every
  worker process (the public form's per-address limit).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

SLA_TRIGGER = """
CREATE TRIGGER routing_state_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON geopool_slatarget FOR EACH STATEMENT EXECUTE FUNCTION routing_state_bump();
"""
SLA_TRIGGER_DROP = "DROP TRIGGER routing_state_bump ON geopool_slatarget;"

# The table of the "shared" cache (settings.CACHES), as Django's
# createcachetable makes it for DatabaseCache.
CACHE_TABLE = """
CREATE TABLE geopool_shared_cache (
    cache_key varchar(255) NOT NULL PRIMARY KEY,
    value text NOT NULL,
    expires timestamp with time zone NOT NULL
);
CREATE INDEX geopool_shared_cache_expires ON geopool_shared_cache (expires);
"""
CACHE_TABLE_DROP = "DROP TABLE geopool_shared_cache;"


class Migration(migrations.Migration):
    dependencies = [
        ("geopool", "0009_geo_needs_location"),
        ("routing_rules", "0004_routing_state"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="transfer",
            name="settled_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="transfer",
            name="settled_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="transfer",
            name="settled_to",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="geopool.body",
            ),
        ),
        migrations.RunSQL(SLA_TRIGGER, SLA_TRIGGER_DROP),
        migrations.RunSQL(CACHE_TABLE, CACHE_TABLE_DROP),
    ]
