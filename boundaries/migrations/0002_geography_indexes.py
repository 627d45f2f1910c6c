"""Expression GiST indexes on ``geometry::geography`` (metre-based queries).

The plain GiST indexes on the geometry columns serve ``ST_Covers``; these
serve ``ST_DWithin(geometry::geography, point::geography, metres)``, e.g.
snapping a point in a digitising gap to the nearest district within 25 m.
"""

from django.db import migrations

FORWARD = """
CREATE INDEX boundaries_feature_geog_gist
    ON boundaries_feature USING gist ((geometry::geography));
CREATE INDEX boundaries_featurepart_geog_gist
    ON boundaries_featurepart USING gist ((geometry::geography));
"""

BACKWARD = """
DROP INDEX boundaries_featurepart_geog_gist;
DROP INDEX boundaries_feature_geog_gist;
"""


class Migration(migrations.Migration):
    dependencies = [("boundaries", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
