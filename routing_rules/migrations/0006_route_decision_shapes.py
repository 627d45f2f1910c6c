"""Decision shapes: what many decisions share, stored once.

The generations consulted, the trace and both explanation sentences move
from every decision row into ``routing_rules_decisionshape``, one row per
distinct content (named by the md5 of it), and each decision references its
shape. Shapes are append-only like decisions. Existing decisions are moved
with the append-only guard paused for the one statement that sets their
shape.
"""

import django.db.models.deletion
from django.db import migrations, models

DIGEST = (
    "md5(jsonb_build_array({p}generations, {p}trace, {p}explanation_tr, "
    "{p}explanation_en)::text)::uuid"
)

FORWARD = f"""
INSERT INTO routing_rules_decisionshape
    (digest, generations, trace, explanation_tr, explanation_en)
SELECT DISTINCT ON (digest) digest, generations, trace, explanation_tr,
       explanation_en
  FROM (SELECT {DIGEST.format(p="")} AS digest, generations, trace,
               explanation_tr, explanation_en
          FROM routing_rules_decision) AS existing
 ORDER BY digest;
ALTER TABLE routing_rules_decision DISABLE TRIGGER routing_decision_append_only;
UPDATE routing_rules_decision d SET shape_id = s.id
  FROM routing_rules_decisionshape s WHERE s.digest = {DIGEST.format(p="d.")};
ALTER TABLE routing_rules_decision ENABLE TRIGGER routing_decision_append_only;

CREATE FUNCTION routing_shape_guard() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'routing_rules_decisionshape is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER routing_shape_append_only
    BEFORE UPDATE OR DELETE ON routing_rules_decisionshape
    FOR EACH ROW EXECUTE FUNCTION routing_shape_guard();
"""

BACKWARD = """
DROP TRIGGER routing_shape_append_only ON routing_rules_decisionshape;
DROP FUNCTION routing_shape_guard();
ALTER TABLE routing_rules_decision DISABLE TRIGGER routing_decision_append_only;
UPDATE routing_rules_decision d
   SET generations = s.generations, trace = s.trace,
       explanation_tr = s.explanation_tr, explanation_en = s.explanation_en
  FROM routing_rules_decisionshape s WHERE s.id = d.shape_id;
ALTER TABLE routing_rules_decision ENABLE TRIGGER routing_decision_append_only;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("geopool", "0006_pool_workflow"),
        ("routing_rules", "0005_decision_keys_unchecked"),
    ]

    operations = [
        migrations.CreateModel(
            name="DecisionShape",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("digest", models.UUIDField(editable=False, unique=True)),
                ("generations", models.JSONField(default=dict)),
                ("trace", models.JSONField(default=list)),
                ("explanation_tr", models.TextField()),
                ("explanation_en", models.TextField()),
            ],
        ),
        migrations.AddField(
            model_name="decision",
            name="shape",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="routing_rules.decisionshape",
            ),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
        # Undone, the sentence columns come back filled from the shapes.
        migrations.AlterField(
            model_name="decision",
            name="explanation_tr",
            field=models.TextField(default=""),
        ),
        migrations.AlterField(
            model_name="decision",
            name="explanation_en",
            field=models.TextField(default=""),
        ),
        migrations.RemoveField(model_name="decision", name="generations"),
        migrations.RemoveField(model_name="decision", name="trace"),
        migrations.RemoveField(model_name="decision", name="explanation_tr"),
        migrations.RemoveField(model_name="decision", name="explanation_en"),
        migrations.AlterField(
            model_name="decision",
            name="request",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="decisions",
                to="geopool.servicerequest",
            ),
        ),
        migrations.AlterField(
            model_name="decision",
            name="shape",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="routing_rules.decisionshape",
            ),
        ),
    ]
