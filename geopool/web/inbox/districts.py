"""The district of a request, as inboxes, exports and statistics show it.

A request's district is read from its *location* against the active
generation of the jurisdiction's district layer, at the time of the query:
the covering district, and on an edge shared by two districts the one with
the lowest official code (then name) — the tie-break routing uses. A point
no district covers (just offshore, in a digitising gap) takes the district
its routing decision snapped it to, when the latest decision that placed it
(the newest with candidates) was flagged ``snapped``.

Why not the current decision's candidates alone: a transfer or a
coordinator's assignment stores a decision with no candidates, historic
imports keep an owner the rules did not choose, and a corrected boundary
layer moves requests to their true district at once. The location is the
one fact all of these share.

Example: a request at lon 36.1603, lat 36.2021 is in Antakya (code 2080)
whoever owns it, before and after a transfer to HATSU.
"""

from django.db import connection
from django.db.models import CharField
from django.db.models.expressions import RawSQL

from boundaries.models import Feature, Generation
from geopool.models import Jurisdiction

DEFAULT_LAYER = "districts"

# One request's district. ``{r}`` is the alias of geopool_servicerequest in
# the surrounding query; parameters: the active generation of the district
# layer. Cheap for a page of rows (one index probe each), too slow to filter
# a whole table with: ``IN_DISTRICT_SQL`` does that.
DISTRICT_SQL = """
    COALESCE(
        (SELECT f.code FROM boundaries_lookup p
           JOIN boundaries_feature f ON f.id = p.feature_id
          WHERE p.generation_id = %s AND ST_Covers(p.geometry, {r}.location)
          ORDER BY f.code, f.name
          LIMIT 1),
        (SELECT CASE WHEN 'snapped' = ANY(d.flags)
                     THEN d.candidates -> 0 ->> 'code' END
           FROM routing_rules_decision d
          WHERE d.request_id = {r}.id AND jsonb_array_length(d.candidates) > 0
          ORDER BY d.decided_at DESC, d.id DESC
          LIMIT 1)
    )
"""

# The ids of the requests whose ``DISTRICT_SQL`` is district ``code``, as
# sets: the district's parts drive the joins, so the GiST index on request
# locations serves them (one probe per part, not one per request). Points
# that a district with a lower code also covers (its shared edge, an
# overlap) are taken out, where the two districts' parts meet; then the
# points no district covers that routing snapped to this one are added.
# Parameters: generation and code twice, code, generation.
IN_DISTRICT_SQL = """
    (SELECT r.id FROM boundaries_lookup p
       JOIN boundaries_feature f ON f.id = p.feature_id
       JOIN geopool_servicerequest r ON ST_Covers(p.geometry, r.location)
      WHERE p.generation_id = %s AND f.code = %s
     EXCEPT
     SELECT r.id FROM boundaries_lookup p
       JOIN boundaries_feature f ON f.id = p.feature_id
       JOIN boundaries_lookup q
         ON q.generation_id = p.generation_id AND q.geometry && p.geometry
       JOIN boundaries_feature lower_f ON lower_f.id = q.feature_id
       JOIN geopool_servicerequest r
         ON r.location && ST_Intersection(ST_Envelope(p.geometry),
                                          ST_Envelope(q.geometry))
        AND ST_Covers(p.geometry, r.location)
        AND ST_Covers(q.geometry, r.location)
      WHERE p.generation_id = %s AND f.code = %s AND lower_f.code < f.code)
    UNION
    SELECT d.request_id FROM routing_rules_decision d
      JOIN geopool_servicerequest r ON r.id = d.request_id
     WHERE 'snapped' = ANY(d.flags) AND d.candidates -> 0 ->> 'code' = %s
       AND d.id = (SELECT latest.id FROM routing_rules_decision latest
                    WHERE latest.request_id = d.request_id
                      AND jsonb_array_length(latest.candidates) > 0
                    ORDER BY latest.decided_at DESC, latest.id DESC
                    LIMIT 1)
       AND NOT EXISTS (SELECT 1 FROM boundaries_lookup q
                        WHERE q.generation_id = %s
                          AND ST_Covers(q.geometry, r.location))
"""


def district_layer():
    """The code of the jurisdiction's district layer."""
    jurisdiction = Jurisdiction.objects.order_by("id").first()
    settings = jurisdiction.settings if jurisdiction else {}
    return settings.get("district_layer") or DEFAULT_LAYER


def district_generation():
    """The id of the district layer's active generation, or None."""
    return (
        Generation.objects.filter(layer__code=district_layer(), is_active=True)
        .values_list("id", flat=True)
        .first()
    )


def district_sql(alias="geopool_servicerequest"):
    """The SQL of a request's district code and its parameters."""
    sql = DISTRICT_SQL.format(r=connection.ops.quote_name(alias))
    return sql, [district_generation()]


def district_code_expression():
    """An ORM expression: the district code of each request (or NULL)."""
    sql, params = district_sql()
    return RawSQL(sql, params, output_field=CharField())


def in_district(code):
    """A subquery for ``id__in``: the requests in district ``code``."""
    generation = district_generation()
    params = [generation, code, generation, code, code, generation]
    return RawSQL(IN_DISTRICT_SQL, params)


def districts_active():
    """``[(code, name)]`` of the active districts, in Turkish order of name."""
    features = (
        Feature.objects.filter(
            generation__layer__code=district_layer(), generation__is_active=True
        )
        .exclude(code="")
        .order_by("name", "code")
        .values_list("code", "name")
    )
    return list(features)
