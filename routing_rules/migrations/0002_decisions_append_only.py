"""Decisions are append-only.

INSERT is free; DELETE is refused; UPDATE is allowed only to retire the
current decision (``is_current`` true → false) with every other column
unchanged. Re-routing therefore always adds a row beside the old one.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION routing_decision_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'routing_rules_decision is append-only: DELETE refused';
    END IF;
    IF OLD.is_current AND NOT NEW.is_current
       AND (to_jsonb(OLD) - 'is_current') = (to_jsonb(NEW) - 'is_current') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'routing_rules_decision is append-only: only retiring the '
        'current decision is allowed';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER routing_decision_append_only
    BEFORE UPDATE OR DELETE ON routing_rules_decision
    FOR EACH ROW EXECUTE FUNCTION routing_decision_guard();
"""

BACKWARD = """
DROP TRIGGER routing_decision_append_only ON routing_rules_decision;
DROP FUNCTION routing_decision_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("routing_rules", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
