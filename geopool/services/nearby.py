"""The open tickets nearest to a point, in metres on the ground.

Field crews ask "what is the nearest work for us?" from a phone; other
systems ask ``GET /api/nearby``. The crew page and the request pages go
through ``tickets_nearby``; the API reads plain rows (``rows_nearby``), and
for an API key checks the key in the same statement
(``rows_nearby_for_key``).

Whose tickets (``NearbyScope``):

- a body's staff and managers, and an API key: the open tickets their body
  owns now (tickets it owned before belong to someone else's work now);
- a field crew member: the open tickets of their body assigned to one of
  their crews, and the body's tickets no crew has taken yet (the ones they
  may take); tickets of the body's other crews are not listed;
- pool coordinators, operators, planners and administrators (who see every
  request, ``geopool.visibility.SEE_ALL``): every open ticket.

Each scope is a subset of what ``geopool.visibility`` lets the user see.

How it is measured: a KNN scan (``<->`` on ``location::geography``) finds
the ``limit`` nearest candidates by distance on the sphere, with their
exact distances (``ST_Distance`` on the WGS 84 spheroid). Usually they
settle the answer: nothing the scan left out can be nearer on the ground
(``_settled``). Otherwise a second statement runs the scan again and, from
the largest exact distance it read, bounds an index-served ``ST_DWithin``
search that orders the rows within that bound by exact distance. Either
way the answer is exactly the ``limit`` nearest on the spheroid, even where
sphere and spheroid disagree on the order. Both searches go through the
partial GiST index of open requests on ``(owner_body_id,
location::geography)`` (migration ``0011_open_owner_location_index``):
with a body in the scope the owner is an index condition, so both read
about ``limit`` rows whatever the size of the pool and whatever the body's
share of it; the crew and category filters are checked on the rows the
scan reads.
TODO(perf): a category filter that keeps few of a body's open tickets makes
the walk long again (a GiST index cannot take ``= ANY`` as a condition);
measure crews' category lists before giving them an index of their own.

The first statement alone answers almost every question: one round trip
for the whole answer (the API key's check included), and a plan without the
second search's steps, which cost a fifth of the statement even when they
read nothing. The statements run prepared (``geopool.prepared``) and
planned once: planning took about as long as running them, and crews'
phones and other systems ask the same question again and again with only
the point changed. A plan made once cannot depend on the values, so each shape of
the question has its own statement: with or without a body, and with the
``limit`` written into the text (a generic plan guesses a tenth of the
rows for a ``LIMIT $n`` and would read and sort every open request).
"""

import functools
from dataclasses import dataclass, field

from geopool import prepared
from geopool.models import (
    ApiKey,
    Category,
    Crew,
    ServiceRequest,
    StaffProfile,
    Status,
)
from geopool.roles import FIELD_CREW, has_role
from geopool.spatial import STORAGE_SRID
from geopool.visibility import SEE_ALL

DEFAULT_RADIUS_M = 5_000
MAX_RADIUS_M = 100_000
DEFAULT_LIMIT = 20
MAX_LIMIT = 200

# The predicate of the partial index: its text must match for the planner
# to use it, so it is written out, not passed as a parameter.
OPEN_SQL = "r.status NOT IN ({})".format(
    ", ".join(f"'{status.value}'" for status in sorted(Status.closed_values()))
)


def _scope_sql(owner):
    """The ``WHERE`` of a scope; ``owner``: SQL naming the body, or None.

    Without an owner the body is none (every statement takes every
    parameter).
    """
    owner = f"r.owner_body_id = {owner}" if owner else "%(body)s::bigint IS NULL"
    return f"""
    r.location IS NOT NULL AND {OPEN_SQL} AND {owner}
    AND (%(crews)s::bigint[] IS NULL OR r.assigned_crew_id IS NULL
         OR r.assigned_crew_id = ANY(%(crews)s::bigint[]))
    AND (%(categories)s::bigint[] IS NULL
         OR r.category_id = ANY(%(categories)s::bigint[]))
"""


# The point is written out (not joined from a CTE) so that it is a constant
# the KNN index scan can order by.
_HERE = f"ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), {STORAGE_SRID})::geography"


# Rows the KNN reads beyond the limit, so that it usually settles the answer
# alone (``_nearest_sql``).
KNN_EXTRA = 5
# On the ground, a distance is at least this share of the distance on the
# sphere that ``<->`` measures for geography (radius 6,371,008.8 m): WGS 84's
# smallest radius of curvature, 6,335,439 m (meridional, at the equator),
# over that radius is 0.9944; 0.99 leaves room for rounding.
SPHERE_TO_GROUND = 0.99


# What the API lists of a ticket from its own row, read where the ticket is
# found (the index scan reads the row anyway): (expression, name).
_ROW_COLUMNS = (
    ("r.tracking_code", "tracking_code"),
    ("ST_X(r.location)", "lon"),
    ("ST_Y(r.location)", "lat"),
    ("r.category_id", "category_id"),
    ("r.status", "status"),
    ("r.owner_body_id", "owner_body_id"),
    ("r.assigned_crew_id", "assigned_crew_id"),
    ("r.is_urgent", "is_urgent"),
    ("r.requested_at", "requested_at"),
    ("r.sla_due_at", "sla_due_at"),
)


def _knn_sql(owner, columns=()):
    """The ``limit`` + ``KNN_EXTRA`` nearest open tickets of a scope on the
    sphere, by the index alone: ``id``, ``sphere`` (the distance ``<->``
    ordered them by), ``metres`` (exact, on the spheroid) and the
    ``columns`` of ``_ROW_COLUMNS`` given, by their names.

    No radius here: a radius condition makes the planner read the whole
    circle and sort it.
    """
    read = "".join(f", {expression} AS {name}" for expression, name in columns)
    return f"""
        SELECT r.id, r.location::geography <-> {_HERE} AS sphere,
               ST_Distance(r.location::geography, {_HERE}) AS metres{read}
        FROM geopool_servicerequest r
        WHERE {_scope_sql(owner)}
        ORDER BY r.location::geography <-> {_HERE}
        LIMIT %(fetch)s
"""


def _first_sql(owner, columns=()):
    """``_knn_sql``'s rows by exact distance: ``sphere``, ``id``, ``metres``
    and the ``columns``, for ``_settled`` to answer from (the first try).
    """
    named = "".join(f", {name}" for _, name in columns)
    return f"""
    SELECT sphere, id, metres{named} FROM ({_knn_sql(owner, columns)}) knn
    ORDER BY metres, id
"""


def _nearest_sql(owner, columns=()):
    """The ids and exact distances of the nearest open tickets of a scope
    (and the ``columns`` of ``_ROW_COLUMNS`` given, by their names), in one
    statement whatever the tickets' distances (the second try).

    knn: ``_knn_sql``'s rows.

    settled: whether knn holds the answer, as ``_settled`` decides it.

    Otherwise (rare: tickets at almost the same distance around the
    ``limit``-th) a second pass reads every ticket within a bound on the
    ground: knn's largest exact distance (``limit`` tickets at most that
    far exist), or the radius when fewer are in scope at all, or when the
    bound exceeds it.
    """
    scope = _scope_sql(owner)
    read = "".join(f", {expression} AS {name}" for expression, name in columns)
    named = "".join(f", {name}" for _, name in columns)
    return f"""
    WITH knn AS MATERIALIZED ({_knn_sql(owner, columns)}),
    settled AS MATERIALIZED (
        SELECT n < %(fetch)s OR beyond > %(radius)s::float8
               OR coalesce(nth < beyond, false) AS yes,
               CASE WHEN n < %(limit)s THEN %(radius)s::float8
                    ELSE least(farthest + 0.001, %(radius)s::float8) END AS bound
        FROM (
            SELECT count(*) AS n, max(sphere) * {SPHERE_TO_GROUND} AS beyond,
                   max(metres) AS farthest,
                   (SELECT metres FROM knn WHERE metres <= %(radius)s::float8
                    ORDER BY metres OFFSET %(nth)s LIMIT 1) AS nth
            FROM knn
        ) s
    )
    SELECT id, metres{named} FROM (
        SELECT id, metres{named} FROM knn WHERE (SELECT yes FROM settled)
        UNION ALL
        SELECT r.id, ST_Distance(r.location::geography, {_HERE}) AS metres{read}
        FROM geopool_servicerequest r
        WHERE NOT (SELECT yes FROM settled) AND {scope}
          AND ST_DWithin(
              r.location::geography, {_HERE}, (SELECT bound FROM settled) + 0.001)
    ) found
    -- ST_Distance is what the answer says; ST_DWithin compares a distance
    -- before ST_Distance rounds it (to 1e-8 m), so it only finds the rows.
    WHERE metres <= %(radius)s::float8
    ORDER BY metres, id
    LIMIT %(limit)s
"""


def _settled(rows, limit, radius, at):
    """The answer ``_first_sql``'s rows hold, or None when they may not hold it.

    ``rows``: ``sphere`` first, then the answer's columns, the exact
    distance at ``at``, ordered by exact distance and id.

    A ticket the KNN left out is at least as far on the sphere as its
    farthest, so at least ``SPHERE_TO_GROUND`` times that on the ground; if
    that is beyond the radius, or beyond the ``limit``-th exact distance
    read, no ticket left out belongs in the answer. Also when the KNN read
    every ticket in scope (fewer rows than it asked for). The same test, in
    the same floating point, as ``_nearest_sql``'s.
    """
    within = [row for row in rows if row[at] <= radius]
    if len(rows) == limit + KNN_EXTRA:
        beyond = max(row[0] for row in rows) * SPHERE_TO_GROUND
        if not (
            beyond > radius or (len(within) >= limit and within[limit - 1][at] < beyond)
        ):
            return None
    return [row[1:] for row in within[:limit]]


# A body's tickets (API keys, body staff, field crews), and every open one:
# the first try (``_first_sql``: sphere, id, metres) and the second
# (``_nearest_sql``: id, metres).
_NEAREST = (_first_sql("%(body)s"), _nearest_sql("%(body)s"))
_NEAREST_ALL = (_first_sql(None), _nearest_sql(None))


def _rows_of_near(first):
    """What the API lists of each row of ``near`` (``_first_sql`` or
    ``_nearest_sql`` with every column of ``_ROW_COLUMNS``), with ``near``'s
    ``sphere`` first for a first try.
    """
    sphere = "near.sphere, " if first else ""
    return f"""
    SELECT {sphere}near.metres, near.tracking_code, near.lon, near.lat,
           c.code, c.name, near.status, b.code, w.name, near.is_urgent,
           near.requested_at, near.sla_due_at, near.id
    FROM near
    JOIN geopool_category c ON c.id = near.category_id
    LEFT JOIN geopool_body b ON b.id = near.owner_body_id
    LEFT JOIN geopool_crew w ON w.id = near.assigned_crew_id
"""


def _rows_sql(owner, first):
    """The nearest tickets with what the API lists of each, in one statement."""
    near = (_first_sql if first else _nearest_sql)(owner, _ROW_COLUMNS)
    return f"""
    WITH near AS ({near})
    {_rows_of_near(first)}
    ORDER BY near.metres, near.id
"""


_NEAREST_ROWS = (_rows_sql("%(body)s", True), _rows_sql("%(body)s", False))
_NEAREST_ROWS_ALL = (_rows_sql(None, True), _rows_sql(None, False))

# An API key's tickets and the key check in one statement (a first try):
# the key's row (``ApiKey.CHECK_COLUMNS``) on every row, once with no ticket
# when there is none, and no row at all for an unknown key. A revoked key's
# body is none, so it gets no ticket; the secret is checked on the key's row
# before any ticket is used (``rows_nearby_for_key``).
_KEY_BODY = "(SELECT body_id FROM api_key WHERE revoked_at IS NULL)"
_FIRST_ROWS_FOR_KEY = f"""
    WITH api_key AS (
        SELECT {ApiKey.CHECK_COLUMNS} FROM geopool_apikey WHERE prefix = %(key)s
    ),
    near AS ({_first_sql(owner=_KEY_BODY, columns=_ROW_COLUMNS)})
    SELECT k.*, t.*
    FROM api_key k
    LEFT JOIN ({_rows_of_near(first=True)}) t ON true
    ORDER BY t.metres, t.id
"""
# The fields of each row ``rows_nearby`` and ``rows_nearby_for_key`` return,
# in order: the exact distance in metres (not rounded), the ticket's fields,
# and its id (the tie-breaker of the order).
ROW_FIELDS = (
    "distance_m",
    "tracking_code",
    "lon",
    "lat",
    "category_code",
    "category_name",
    "status",
    "owner",
    "crew",
    "urgent",
    "requested_at",
    "sla_due_at",
    "id",
)


@dataclass(frozen=True)
class NearbyScope:
    """Whose open tickets a caller gets: None means no restriction."""

    body_id: int | None = None
    crew_ids: tuple = ()
    # A field crew's list: their crews' tickets and the unassigned ones.
    crews_only: bool = False
    label: str = field(default="", compare=False)

    @classmethod
    def of_user(cls, user):
        if has_role(user, *SEE_ALL):
            return cls(label="all")
        profile = StaffProfile.objects.filter(user=user).only("body_id").first()
        body_id = profile.body_id if profile else -1
        crews = tuple(crews_of(user).values_list("pk", flat=True))
        if has_role(user, FIELD_CREW):
            return cls(body_id=body_id, crew_ids=crews, crews_only=True, label="crew")
        return cls(body_id=body_id, crew_ids=crews, label="body")

    @classmethod
    def of_api_key(cls, key):
        return cls(body_id=key.body_id, label="body")


def crews_of(user, body_id=None):
    """The active crews ``user`` belongs to (of their body), by name."""
    crews = Crew.objects.filter(members=user, is_active=True)
    if body_id is None:
        profile = StaffProfile.objects.filter(user=user).only("body_id").first()
        body_id = profile.body_id if profile else -1
    return crews.filter(body_id=body_id).order_by("name", "id")


@dataclass
class NearbyTicket:
    request: ServiceRequest
    distance_m: float


def tickets_nearby(
    lon,
    lat,
    scope,
    *,
    radius_m=DEFAULT_RADIUS_M,
    limit=DEFAULT_LIMIT,
    categories=None,
):
    """The open tickets of ``scope`` within ``radius_m`` of the point.

    Nearest first by exact ground distance (ties by id); at most ``limit``.
    ``categories``: category codes to keep (None: all).
    """
    rows = _nearest(
        (_NEAREST, _NEAREST_ALL),
        _params(lon, lat, scope, radius_m, limit, categories),
        at=2,
    )
    found = ServiceRequest.objects.select_related(
        "category", "owner_body", "assigned_crew"
    ).in_bulk([row[0] for row in rows])
    return [NearbyTicket(found[pk], round(metres, 1)) for pk, metres in rows]


def _params(lon, lat, scope, radius_m, limit, categories):
    limit = int(limit)
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be 1 to {MAX_LIMIT}, not {limit}")
    if categories:
        categories = list(
            Category.objects.filter(code__in=categories).values_list("pk", flat=True)
        ) or [-1]
    return {
        "lon": lon,
        "lat": lat,
        "radius": float(radius_m),
        "limit": limit,
        "body": scope.body_id,
        "crews": list(scope.crew_ids) if scope.crews_only else None,
        "categories": categories or None,
    }


# The statements' parameters in the order they are prepared with; the
# limit is written into the text. The key's statement takes the key's
# prefix instead of a body.
_PARAMS = ("lon", "lat", "radius", "body", "crews", "categories")
_TYPES = "float8, float8, float8, bigint, bigint[], bigint[]"
_KEY_PARAMS = ("lon", "lat", "radius", "crews", "categories", "key")
_KEY_TYPES = "float8, float8, float8, bigint[], bigint[], text"


def _nearest(statements, params, at):
    """The answer of one of this module's questions, run prepared.

    ``statements``: the first and the second try with a body in the scope,
    and the two without; ``at``: where the first try's rows hold the exact
    distance (``_settled``). The second try runs only when the first cannot
    settle the answer; each answers from its own snapshot of the pool.
    """
    first, second = statements[0 if params["body"] is not None else 1]
    found = _settled(_fetch(first, params), params["limit"], params["radius"], at)
    return _fetch(second, params) if found is None else found


def _fetch(text, params):
    """The rows of one of this module's statements (not the key's), prepared."""
    text = _numbered(text, params["limit"], _PARAMS)
    return prepared.fetch(text, _TYPES, [params[key] for key in _PARAMS])


@functools.lru_cache(maxsize=64)
def _numbered(sql, limit, order):
    """The statement documented above as ``geopool.prepared`` runs it.

    Its ``%(name)s`` placeholders become ``$1`` … in ``order``, and
    ``%(limit)s``, ``%(fetch)s`` and ``%(nth)s`` the limit, the rows the KNN
    reads and the offset of the limit-th row, as numbers.
    """
    return sql % {
        **{key: f"${n}" for n, key in enumerate(order, 1)},
        "limit": str(limit),
        "fetch": str(limit + KNN_EXTRA),
        "nth": str(limit - 1),
    }


def rows_nearby(
    lon,
    lat,
    scope,
    *,
    radius_m=DEFAULT_RADIUS_M,
    limit=DEFAULT_LIMIT,
    categories=None,
):
    """As ``tickets_nearby``, as plain rows read in one statement (the API).

    Each row holds ``ROW_FIELDS``: tuples, not dicts or models, because a
    crew's device asks again and again and the API formats each row once.
    """
    return _nearest(
        (_NEAREST_ROWS, _NEAREST_ROWS_ALL),
        _params(lon, lat, scope, radius_m, limit, categories),
        at=1,
    )


def rows_nearby_for_key(
    presented,
    lon,
    lat,
    *,
    radius_m=DEFAULT_RADIUS_M,
    limit=DEFAULT_LIMIT,
    categories=None,
):
    """``(api_key, rows)``: the key checked and its body's tickets, one statement.

    ``presented``: ``(prefix, secret)`` of the key the caller sent
    (``ApiKey.parse``). As ``ApiKey.authenticate`` then ``rows_nearby``
    with ``NearbyScope.of_api_key``, in one round trip to the database:
    ``(None, [])`` for an unknown, revoked or wrong key. The rows are as
    ``rows_nearby`` returns them.
    """
    params = _params(lon, lat, NearbyScope(), radius_m, limit, categories)
    params["key"] = presented[0]
    text = _numbered(_FIRST_ROWS_FOR_KEY, params["limit"], _KEY_PARAMS)
    rows = prepared.fetch(text, _KEY_TYPES, [params[key] for key in _KEY_PARAMS])
    width = len(ApiKey.CHECK_COLUMNS.split(","))
    key = ApiKey.checked(presented, rows[0][:width] if rows else None)
    if key is None:
        return None, []
    # The key's row comes with no ticket when its body has none in reach.
    first = [row[width:] for row in rows if row[width] is not None]
    found = _settled(first, params["limit"], params["radius"], at=1)
    if found is None:
        params["body"] = key.body_id
        found = _fetch(_NEAREST_ROWS[1], params)
    return key, found
