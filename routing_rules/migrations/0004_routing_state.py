"""One counter that changes whenever live routing must be rebuilt.

Statement-level triggers on every table live routing reads from (rule sets,
rules, delegations, generations, bodies, departments, categories, the
jurisdiction) bump ``routing_rules_state.version``; each process compares
it with the version its cached routing context was built from
(``routing_rules.context.live_context``): one indexed one-row read per
decision instead of re-reading those tables.
"""

from django.db import migrations

TABLES = [
    "routing_rules_ruleset",
    "routing_rules_rule",
    "routing_rules_delegation",
    "boundaries_generation",
    "geopool_body",
    "geopool_department",
    "geopool_category",
    "geopool_jurisdiction",
]

FORWARD = """
CREATE TABLE routing_rules_state (
    id smallint PRIMARY KEY CHECK (id = 1),
    version bigint NOT NULL
);
INSERT INTO routing_rules_state VALUES (1, 1);
CREATE FUNCTION routing_state_bump() RETURNS trigger AS $$
BEGIN
    UPDATE routing_rules_state SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
""" + "".join(
    f"""
CREATE TRIGGER routing_state_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON {table} FOR EACH STATEMENT EXECUTE FUNCTION routing_state_bump();
"""
    for table in TABLES
)

BACKWARD = (
    "".join(f"DROP TRIGGER routing_state_bump ON {table};\n" for table in TABLES)
    + "DROP FUNCTION routing_state_bump();\nDROP TABLE routing_rules_state;\n"
)


class Migration(migrations.Migration):
    dependencies = [
        ("routing_rules", "0003_rules_as_data"),
        ("geopool", "0006_pool_workflow"),
        ("boundaries", "0008_feature_index_generation_code"),
    ]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
