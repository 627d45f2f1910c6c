"""Fair and equal service: the districts compared on the map's filters.

For each district of the active district layer, over the filtered requests
whose point it covers (on a shared edge, the district with the lowest
official code, as routing decides):

- ``requests`` and ``per_1000``: requests per 1,000 residents, with the
  population of the district municipality (``Body.population`` from the
  pack's ``bodies.csv``, its year in ``population_year``);
- ``median_resolve_h``: the median time from receipt to resolution, in
  calendar hours, over the requests resolved (``resolved_at`` set);
- ``sla_share``: of the resolved requests that had an SLA target, the share
  resolved within it (working minutes used ≤ the target);
- ``backlog``: requests not finished (every status but resolved, closed,
  refused, duplicate);
- ``transfers``: transfer proposals made for these requests, whatever the
  answer.

Example: Antakya (298,620 residents) with 3 requests, resolved after 2 h and
6 h, one of them within its target, has 0.0100 per 1,000, a median of 4 h
and an SLA share of 0.5.

Requests no district covers are counted apart (``outside``), as are those
without a (mappable) location (``geopool.web.staffmap.bins``).
"""

from dataclasses import dataclass

from django.db import connection

from geopool.models import Body, BodyKind, Status
from geopool.web.inbox.districts import district_generation

CLOSED = tuple(sorted(Status.closed_values()))


@dataclass(frozen=True)
class DistrictFigures:
    code: str
    name: str
    population: int | None
    population_year: int | None
    requests: int
    median_resolve_h: float | None
    resolved_with_target: int
    resolved_within_target: int
    backlog: int
    transfers: int

    @property
    def per_1000(self):
        if not self.population:
            return None
        return self.requests * 1000 / self.population

    @property
    def sla_share(self):
        if not self.resolved_with_target:
            return None
        return self.resolved_within_target / self.resolved_with_target


# Hand-written SQL: the district parts drive the spatial join (so the GiST
# index on request locations serves each part's probe) and DISTINCT ON
# keeps one district per request on shared edges, which the ORM cannot say.
# ``{inner}`` selects the filtered requests' columns; parameters: the
# generation, the finished statuses, then the inner query's parameters.
_FIGURES = """
    WITH placed AS (
        SELECT DISTINCT ON (r.id)
               r.id, r.status, r.requested_at, r.resolved_at,
               r.sla_minutes, r.sla_used_minutes, f.code AS district
        FROM boundaries_lookup p
        JOIN boundaries_feature f ON f.id = p.feature_id
        JOIN ({inner}) r ON ST_Covers(p.geometry, r.location)
        WHERE p.generation_id = %s
        ORDER BY r.id, f.code, f.name
    ),
    moved AS (
        SELECT t.request_id, count(*) AS n
        FROM geopool_transfer t JOIN placed ON placed.id = t.request_id
        GROUP BY t.request_id
    )
    SELECT placed.district,
           count(*),
           percentile_cont(0.5) WITHIN GROUP (
               ORDER BY extract(epoch FROM resolved_at - requested_at) / 3600.0
           ) FILTER (WHERE resolved_at IS NOT NULL),
           count(*) FILTER (WHERE resolved_at IS NOT NULL
                              AND sla_minutes IS NOT NULL),
           count(*) FILTER (WHERE resolved_at IS NOT NULL
                              AND sla_minutes IS NOT NULL
                              AND sla_used_minutes <= sla_minutes),
           count(*) FILTER (WHERE NOT status = ANY(%s)),
           coalesce(sum(moved.n), 0)
    FROM placed LEFT JOIN moved ON moved.request_id = placed.id
    GROUP BY placed.district
"""


def district_figures(requests):
    """``[DistrictFigures]`` of every active district over ``requests``.

    ``requests`` is a queryset (the map's filtered requests); districts with
    none of them have zeros. Turkish order of name.
    """
    generation = district_generation()
    if generation is None:
        return []
    inner, params = (
        requests.filter(location__isnull=False)
        .values(
            "id",
            "location",
            "status",
            "requested_at",
            "resolved_at",
            "sla_minutes",
            "sla_used_minutes",
        )
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            _FIGURES.format(inner=inner), [*params, generation, list(CLOSED)]
        )
        rows = {row[0]: row[1:] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT code, name FROM boundaries_feature"
            " WHERE generation_id = %s AND code <> '' ORDER BY name, code",
            [generation],
        )
        districts = cursor.fetchall()
    people = {
        b.district_code: b
        for b in Body.objects.filter(kind=BodyKind.DISTRICT).exclude(district_code="")
    }
    figures = []
    for code, name in districts:
        n, median, with_target, within, backlog, moved = rows.get(
            code, (0, None, 0, 0, 0, 0)
        )
        body = people.get(code)
        figures.append(
            DistrictFigures(
                code=code,
                name=name,
                population=body.population if body else None,
                population_year=body.population_year if body else None,
                requests=n,
                median_resolve_h=median,
                resolved_with_target=with_target,
                resolved_within_target=within,
                backlog=backlog,
                transfers=int(moved),
            )
        )
    return figures
