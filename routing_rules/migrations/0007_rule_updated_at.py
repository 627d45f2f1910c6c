"""When each rule was last saved: the rule form's check for stale edits."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("routing_rules", "0006_route_decision_shapes")]

    operations = [
        migrations.AddField(
            model_name="rule",
            name="updated_at",
            field=models.DateTimeField(
                auto_now=True, default=django.utils.timezone.now
            ),
            preserve_default=False,
        ),
    ]
