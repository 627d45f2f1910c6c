"""The open requests' GiST index keyed by owner first, then location.

A body's nearest open tickets (``geopool.services.nearby``: an API key's,
a body's staff's, a field crew's) are found by a KNN scan. Over the index
of migration ``0008_crew_open_location_index`` (location only) the scan
steps over every other body's open tickets near the point and drops them
after reading their rows: a body owning a small share of the open requests
makes the walk long. With the owner as the index's first column
(``btree_gist`` lets a GiST index hold a plain integer column), the owner
is an index condition and the walk reads the body's own tickets only.

The same index serves "every open ticket" (coordinators, the request
page's neighbours) by location alone, a little slower than the index it
replaces, which is dropped so the requests table keeps one index for this
work. The predicate is the same text as ``geopool.services.nearby.OPEN_SQL``.

``btree_gist`` is a contrib extension shipped with Debian's PostgreSQL
server package; creating it needs the rights ``scripts/setup`` gives.
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

FORWARD = """
CREATE INDEX geopool_request_open_owner_location_gist
    ON geopool_servicerequest USING gist (owner_body_id, (location::geography))
    WHERE status NOT IN ('closed', 'duplicate', 'refused', 'resolved');
DROP INDEX geopool_request_open_location_geog_gist;
"""

BACKWARD = """
CREATE INDEX geopool_request_open_location_geog_gist
    ON geopool_servicerequest USING gist ((location::geography))
    WHERE status NOT IN ('closed', 'duplicate', 'refused', 'resolved');
DROP INDEX geopool_request_open_owner_location_gist;
"""


class Migration(migrations.Migration):
    dependencies = [("geopool", "0010_intake_pool")]
    operations = [BtreeGistExtension(), migrations.RunSQL(FORWARD, BACKWARD)]
