"""``GET /api/nearby``: open tickets nearest first, in metres on the ground."""

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from geopool.models import ApiKey, Body, Category, Crew, ServiceRequest, Status
from geopool.services.nearby import NearbyScope, tickets_nearby
from tests.web.console.helpers import point_from
from tests.web.helpers import ANTAKYA, request_at


def _key(body):
    return ApiKey.issue("crew tablets", Body.objects.get(code=body))[1]


def _get(client, key, **params):
    return client.get("/api/nearby", params, headers={"Authorization": f"Bearer {key}"})


def _here(**params):
    return {"lon": str(ANTAKYA["lon"]), "lat": str(ANTAKYA["lat"]), **params}


def _at(category, metres, bearing):
    return request_at(category, **point_from(ANTAKYA, metres, bearing))


@pytest.fixture
def tickets(hatay):
    """Antakya's open COP/TEMIZLIK tickets around central Antakya, and others."""
    made = {
        "east_40": _at("COP", 40, 90),
        "north_120": _at("TEMIZLIK", 120, 0),
        "south_300": _at("COP", 300, 180),
        "west_800": _at("COP", 800, 270),
        # Never listed for Antakya: closed, or another body's.
        "closed_10": _at("COP", 10, 45),
        "water_20": _at("SU", 20, 135),
    }
    closed = made["closed_10"]
    closed.status = Status.RESOLVED
    closed.save(update_fields=["status"])
    assert made["water_20"].owner_body.code == "HATSU"
    assert {made[k].owner_body.code for k in made if k != "water_20"} == {"ANTAKYA"}
    return made


def test_lists_the_bodys_open_tickets_nearest_first_in_metres(client, tickets):
    response = _get(client, _key("ANTAKYA"), **_here())
    assert response.status_code == 200
    body = response.json()
    assert [(r["tracking_code"], r["distance_m"]) for r in body["requests"]] == [
        (tickets["east_40"].tracking_code, 40.0),
        (tickets["north_120"].tracking_code, 120.0),
        (tickets["south_300"].tracking_code, 300.0),
        (tickets["west_800"].tracking_code, 800.0),
    ]
    first = body["requests"][0]
    assert first["category"] == {"code": "COP", "name": "Çöp toplama ve konteyner"}
    assert first["owner"] == "ANTAKYA"
    assert first["status"] == "new"
    assert first["lon"] == pytest.approx(tickets["east_40"].location.x, abs=1e-9)
    assert first["url"] == f"/requests/{tickets['east_40'].tracking_code}/"
    assert body["radius_m"] == 5000
    assert b'"radius_m":5000.0,' in response.content  # as when it is given
    assert body["limit"] == 20
    assert body["scope"] == "body"
    # No text that may carry personal data.
    assert "description" not in first and "address" not in first


def test_radius_limit_and_category_filter(client, tickets):
    key = _key("ANTAKYA")

    def distances(**params):
        found = _get(client, key, **_here(**params)).json()["requests"]
        return [r["distance_m"] for r in found]

    assert distances(radius_m="300") == [40.0, 120.0, 300.0]
    assert distances(radius_m="299.5") == [40.0, 120.0]
    assert distances(limit="2") == [40.0, 120.0]
    assert distances(category="TEMIZLIK") == [120.0]
    assert distances(category="TEMIZLIK,COP", radius_m="150") == [40.0, 120.0]


@pytest.mark.parametrize(
    "typed",
    [
        "cop",  # small letters
        "Cop",  # mixed
        " cop , temizlik ",  # spaces, two codes
        "cop,COP",  # the same code twice
    ],
)
def test_category_codes_are_read_in_any_case(client, tickets, typed):
    expected = ["COP", "TEMIZLIK"] if "temizlik" in typed else ["COP"]

    response = _get(client, _key("ANTAKYA"), **_here(category=typed))

    assert response.status_code == 200
    assert response.json()["category"] == expected


@pytest.mark.parametrize(
    ("typed", "refused"),
    [
        ("nope", "'nope'"),  # no such code in any case
        ("cop,çöp", "'çöp'"),  # Turkish letters are no code's
    ],
)
def test_unknown_category_codes_are_refused_in_any_case(
    client, tickets, typed, refused
):
    response = _get(client, _key("ANTAKYA"), **_here(category=typed))

    assert response.status_code == 400
    assert response.json()["error"] == (
        f"category: unknown category {refused}; use the service_code values of "
        "GET /open311/v2/services.json"
    )


def test_another_bodys_key_never_gets_antakyas_tickets(client, tickets):
    found = _get(client, _key("HATSU"), **_here()).json()["requests"]
    assert [(r["tracking_code"], r["distance_m"]) for r in found] == [
        (tickets["water_20"].tracking_code, 20.0)
    ]
    assert _get(client, _key("DEFNE"), **_here()).json()["requests"] == []


def test_staff_sessions_get_their_scope(client, tickets, make_staff):
    client.force_login(make_staff("body_staff", body="DEFNE"))
    assert client.get("/api/nearby", _here()).json()["requests"] == []
    client.force_login(make_staff("coordinator", body="HBB"))
    everything = client.get("/api/nearby", _here()).json()
    assert everything["scope"] == "all"
    assert [r["distance_m"] for r in everything["requests"]] == [
        20.0,
        40.0,
        120.0,
        300.0,
        800.0,
    ]


def test_a_field_crew_gets_its_crews_and_the_unassigned_tickets(
    client, tickets, make_staff
):
    member = make_staff("field_crew", body="ANTAKYA")
    antakya = Body.objects.get(code="ANTAKYA")
    ours = Crew.objects.create(body=antakya, name="Kuzey ekibi")
    ours.members.add(member)
    theirs = Crew.objects.create(body=antakya, name="Güney ekibi")
    ServiceRequest.objects.filter(pk=tickets["north_120"].pk).update(assigned_crew=ours)
    ServiceRequest.objects.filter(pk=tickets["south_300"].pk).update(
        assigned_crew=theirs
    )
    client.force_login(member)
    found = client.get("/api/nearby", _here()).json()
    assert found["scope"] == "crew"
    assert [(r["distance_m"], r["crew"]) for r in found["requests"]] == [
        (40.0, None),
        (120.0, "Kuzey ekibi"),
        (800.0, None),
    ]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"lat": "36.2021"}, "lon", "lon is required (decimal degrees, WGS 84)"),
        (
            {"lon": "36,1603", "lat": "36.2021"},
            "lon",
            "lon='36,1603' uses a decimal comma; write decimal degrees with a "
            "point, e.g. 36.1603",
        ),
        (
            {"lon": "36.1603", "lat": "96"},
            "lat",
            "lat='96' is out of range; expected -90 to 90",
        ),
        (
            _here(radius_m="0"),
            "radius_m",
            "radius_m='0' is out of range; expected a number from 1 to 100000",
        ),
        (
            _here(radius_m="5 km"),
            "radius_m",
            "radius_m='5 km' is not a number; expected a number from 1 to 100000",
        ),
        (
            _here(radius_m="2,5"),
            "radius_m",
            "radius_m='2,5' uses a decimal comma; write it with a point, e.g. 2.5",
        ),
        (
            _here(limit="2.5"),
            "limit",
            "limit='2.5' is not a whole number; expected a whole number from 1 to 200",
        ),
        (
            _here(limit="1000"),
            "limit",
            "limit='1000' is out of range; expected a whole number from 1 to 200",
        ),
        (
            _here(limit="9" * 5000),
            "limit",
            f"limit='{'9' * 40}…' is not a whole number; expected a whole number "
            "from 1 to 200",
        ),
        (
            _here(category="COP,CÖP"),
            "category",
            "category: unknown category 'CÖP'; use the service_code values of GET "
            "/open311/v2/services.json",
        ),
        (
            _here(category="\x00"),
            "category",
            "category contains the control character U+0000, which text cannot "
            "hold; send it again as plain text.",
        ),
    ],
)
def test_bad_parameters_are_400_naming_the_field(client, hatay, params, field, message):
    response = _get(client, _key("ANTAKYA"), **params)
    assert response.status_code == 400
    assert response.json() == {"error": message, "field": field}


def test_a_repeated_parameter_is_refused(client, hatay):
    response = client.get(
        "/api/nearby?lon=36.16&lon=36.17&lat=36.2",
        headers={"Authorization": f"Bearer {_key('ANTAKYA')}"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "lon is given 2 times; give it once"


def test_without_a_key_or_session_it_is_a_401(client, hatay):
    response = client.get("/api/nearby", _here())
    assert response.status_code == 401
    assert "Authorization: Bearer KEY" in response.json()["error"]


REFUSED = {
    "error": "the API key is unknown or revoked; ask the pool coordinator for a new one"
}


def test_a_key_is_checked_in_the_same_statement_as_the_tickets(client, tickets):
    key = _key("ANTAKYA")
    _get(client, key, **_here())  # the key is read and its use recorded
    with CaptureQueriesContext(connection) as queries:
        response = _get(client, key, **_here(radius_m="100"))
    assert response.status_code == 200
    assert [r["distance_m"] for r in response.json()["requests"]] == [40.0]
    assert len(queries.captured_queries) == 1
    # A key whose body has nothing in reach: its own row comes back alone.
    empty = _get(client, key, **_here(radius_m="10")).json()
    assert (empty["count"], empty["requests"], empty["scope"]) == (0, [], "body")


def test_a_revoked_unknown_or_wrong_key_is_refused_and_gets_no_ticket(client, tickets):
    key = _key("ANTAKYA")
    prefix, secret = ApiKey.parse(key)
    wrong = f"gp_{prefix}_{'x' * len(secret)}"
    unknown = f"gp_00000000_{secret}"
    for presented in (wrong, unknown, "not-a-key"):
        response = _get(client, presented, **_here())
        assert (response.status_code, response.json()) == (403, REFUSED), presented
    ApiKey.objects.get(prefix=prefix).revoke()
    response = _get(client, key, **_here())
    assert (response.status_code, response.json()) == (403, REFUSED)


def test_the_key_is_refused_before_the_question(client, hatay):
    key = _key("ANTAKYA")
    prefix, secret = ApiKey.parse(key)
    wrong = f"gp_{prefix}_{'x' * len(secret)}"
    assert _get(client, wrong, lon="500", lat="36").status_code == 403
    response = _get(client, key, lon="500", lat="36")
    assert response.status_code == 400
    assert response.json()["field"] == "lon"


def _bulk(points, body, category="COP", status=Status.NEW):
    start = ServiceRequest.objects.count()
    category = Category.objects.get(code=category)
    ServiceRequest.objects.bulk_create(
        ServiceRequest(
            tracking_code=f"B-{start + i:06d}",
            category=category,
            channel="api",
            location=f"SRID=4326;POINT({lon} {lat})",
            owner_body=body,
            status=status,
            requested_at="2026-12-01T10:00:00+03:00",
        )
        for i, (lon, lat) in enumerate(points)
    )


# Every row measured, no index: what "nearest" means.
_TRUE_ORDER = """
    SELECT code, round(metres::numeric, 1) FROM (
        SELECT r.tracking_code AS code, r.id,
               ST_Distance(r.location::geography,
                   ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography)
                   AS metres
        FROM geopool_servicerequest r
        WHERE r.owner_body_id = %(body)s AND r.status = 'new'
    ) measured
    WHERE metres <= %(radius)s
    ORDER BY metres, id
    LIMIT %(limit)s
"""


def _true_order(lon, lat, body, radius, limit):
    """[(tracking code, metres)] as ``_TRUE_ORDER`` gives them."""
    with connection.cursor() as cursor:
        cursor.execute(
            _TRUE_ORDER,
            {"lon": lon, "lat": lat, "body": body, "radius": radius, "limit": limit},
        )
        return [(code, float(metres)) for code, metres in cursor.fetchall()]


def test_order_equals_true_ground_distance_for_random_points(hatay):
    rng = random.Random(6)
    antakya = Body.objects.get(code="ANTAKYA")
    defne = Body.objects.get(code="DEFNE")
    # Points 0–3 km from central Antakya; DEFNE's and closed ones in between.
    spread = [
        (
            ANTAKYA["lon"] + rng.uniform(-0.03, 0.03),
            ANTAKYA["lat"] + rng.uniform(-0.025, 0.025),
        )
        for _ in range(600)
    ]
    _bulk(spread[:300], antakya)
    _bulk(spread[300:450], defne)
    _bulk(spread[450:], antakya, category="TEMIZLIK", status=Status.CLOSED)
    scope = NearbyScope(body_id=antakya.pk)
    for _ in range(15):
        lon = ANTAKYA["lon"] + rng.uniform(-0.02, 0.02)
        lat = ANTAKYA["lat"] + rng.uniform(-0.02, 0.02)
        found = tickets_nearby(lon, lat, scope, radius_m=2500, limit=25)
        truth = _true_order(lon, lat, antakya.pk, 2500, 25)
        assert [(t.request.tracking_code, t.distance_m) for t in found] == truth


def _statements_run(lon, lat, scope, limit):
    """How many of nearby's statements ``tickets_nearby`` ran (1 or 2)."""
    with CaptureQueriesContext(connection) as queries:
        tickets_nearby(lon, lat, scope, radius_m=2500, limit=limit)
    return sum("<->" in query["sql"] for query in queries.captured_queries)


def _second_pass_ran(lon, lat, scope, limit):
    """Whether the one-statement answer (the second try, ``_nearest_sql``)
    read the tickets within a bound a second time."""
    from geopool import prepared
    from geopool.services import nearby

    sql = nearby._numbered(nearby._NEAREST[1], limit, nearby._PARAMS)
    params = nearby._params(lon, lat, scope, 2500, limit, None)
    nearby._fetch(nearby._NEAREST[1], params)  # prepared, if it was not
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM pg_prepared_statements WHERE statement = %s",
            [prepared._text(sql, nearby._TYPES)],
        )
        (name,) = cursor.fetchone()
        cursor.execute(
            f"EXPLAIN (ANALYZE, COSTS OFF) EXECUTE {name}"
            " (%s, %s, 2500, %s, NULL, NULL)",
            [lon, lat, scope.body_id],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # The first pass's rows are then not what the answer reads.
    return "CTE Scan on knn (never executed)" in plan


def test_tickets_at_almost_one_distance_are_settled_by_a_second_pass(hatay):
    """40 tickets 1,000 m away at every bearing (the sphere orders them
    differently from the ground) and one 2,000 m away: the nearest 20 on the
    ground, exactly, in either case.

    From the ring's centre the KNN's rows cannot settle the answer, so a
    second statement gives it; from the far ticket they can. The second
    statement, run alone, makes the same choice in SQL."""
    antakya = Body.objects.get(code="ANTAKYA")
    ring = [point_from(ANTAKYA, 1000 + 0.0137 * k, 9 * k) for k in range(40)]
    _bulk([(p["lon"], p["lat"]) for p in ring], antakya)
    far = point_from(ANTAKYA, 2000, 0)
    scope = NearbyScope(body_id=antakya.pk)
    for (lon, lat), settled_alone in (
        ((ANTAKYA["lon"], ANTAKYA["lat"]), False),
        ((far["lon"], far["lat"]), True),
    ):
        found = tickets_nearby(lon, lat, scope, radius_m=2500, limit=20)
        truth = _true_order(lon, lat, antakya.pk, 2500, 20)
        assert [(t.request.tracking_code, t.distance_m) for t in found] == truth
        assert len(truth) == 20
        assert _statements_run(lon, lat, scope, 20) == (1 if settled_alone else 2)
        assert _second_pass_ran(lon, lat, scope, 20) is not settled_alone


def test_a_keys_caller_gets_the_exact_nearest_when_the_knn_cannot_settle(client, hatay):
    """The ring of the test above through the API with a key: the key's
    statement, then the second one (the key is not checked again), and the
    nearest 20 on the ground with their distances."""
    antakya = Body.objects.get(code="ANTAKYA")
    ring = [point_from(ANTAKYA, 1000 + 0.0137 * k, 9 * k) for k in range(40)]
    _bulk([(p["lon"], p["lat"]) for p in ring], antakya)
    key = _key("ANTAKYA")
    _get(client, key, **_here())  # the key's use recorded
    with CaptureQueriesContext(connection) as queries:
        response = _get(client, key, **_here(radius_m="2500"))
    truth = _true_order(ANTAKYA["lon"], ANTAKYA["lat"], antakya.pk, 2500, 20)
    listed = response.json()["requests"]
    assert [(r["tracking_code"], r["distance_m"]) for r in listed] == truth
    assert len(truth) == 20
    statements = [query["sql"] for query in queries.captured_queries]
    assert len(statements) == 2
    assert "geopool_apikey" in statements[0]
    assert "geopool_apikey" not in statements[1]


def test_a_ticket_exactly_at_the_radius_is_listed_and_one_beyond_is_not(hatay):
    """30 tickets at one point (the second pass runs): the radius their
    ST_Distance gives lists them; the float just below lists none."""
    import math

    antakya = Body.objects.get(code="ANTAKYA")
    _bulk([(ANTAKYA["lon"], ANTAKYA["lat"])] * 30, antakya)
    lon, lat = ANTAKYA["lon"] + 0.0014, ANTAKYA["lat"] + 0.0006
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_Distance(ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography,"
            " ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography)",
            [lon, lat, ANTAKYA["lon"], ANTAKYA["lat"]],
        )
        (metres,) = cursor.fetchone()
    scope = NearbyScope(body_id=antakya.pk)

    at = tickets_nearby(lon, lat, scope, radius_m=metres, limit=20)
    below = tickets_nearby(
        lon, lat, scope, radius_m=math.nextafter(metres, 0), limit=20
    )

    assert [t.distance_m for t in at] == [round(metres, 1)] * 20
    assert below == []


@pytest.mark.parametrize("attempt", [0, 1])
@pytest.mark.parametrize("by_body", [True, False])
def test_the_knn_query_uses_the_open_requests_index(hatay, by_body, attempt):
    """Years of closed history around the point: the KNN scan reads open ones.

    The plan is the one the prepared statement runs with (planned once, for
    any values), for the first try and for the second. With a body in the
    scope the owner is an index condition, so the scan never reads another
    body's tickets.
    """
    from geopool import prepared
    from geopool.services import nearby

    rng = random.Random(8)
    antakya = Body.objects.get(code="ANTAKYA")
    defne = Body.objects.get(code="DEFNE")
    around = [
        (
            ANTAKYA["lon"] + rng.uniform(-0.05, 0.05),
            ANTAKYA["lat"] + rng.uniform(-0.05, 0.05),
        )
        for _ in range(5000)
    ]
    _bulk(around[:3000], antakya, status=Status.CLOSED)
    _bulk(around[3000:3500], antakya)
    _bulk(around[3500:], defne)
    scope = NearbyScope(body_id=antakya.pk) if by_body else NearbyScope()
    sql = (nearby._NEAREST if by_body else nearby._NEAREST_ALL)[attempt]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE geopool_servicerequest")
        # The test's rows are not committed, so the statistics stay those of
        # a small table, where a sequential scan looks cheaper.
        cursor.execute("SET LOCAL enable_seqscan = off")
        found = nearby.tickets_nearby(ANTAKYA["lon"], ANTAKYA["lat"], scope)
        params = nearby._params(ANTAKYA["lon"], ANTAKYA["lat"], scope, 5000, 20, None)
        nearby._fetch(sql, params)
        # The statement prepared for this shape and limit.
        cursor.execute(
            "SELECT name FROM pg_prepared_statements WHERE statement = %s",
            [prepared._text(nearby._numbered(sql, 20, nearby._PARAMS), nearby._TYPES)],
        )
        (name,) = cursor.fetchone()
        cursor.execute(
            f"EXPLAIN EXECUTE {name} (%s, %s, 5000, %s, NULL, NULL)",
            [ANTAKYA["lon"], ANTAKYA["lat"], scope.body_id],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert len(found) == 20
    assert {t.request.owner_body_id for t in found} == (
        {antakya.pk} if by_body else {antakya.pk, defne.pk}
    )
    knn = plan.split("InitPlan")[0]
    assert "Index Scan using geopool_request_open_owner_location_gist" in knn, plan
    assert "Order By: ((location)::geography <->" in knn, plan
    # A generic plan: the values are parameters.
    assert "st_makepoint($1, $2)" in knn, plan
    if by_body:
        assert "Index Cond: (owner_body_id = ($4)::bigint)" in knn, plan


@pytest.mark.parametrize(
    "code",
    [
        "K7M-4TXR",  # a tracking code: unreserved characters only
        "x~y.z_1",
        "A B",  # quoted as reverse() quotes a path
        "Çöp",
        "a%b",
    ],
)
def test_a_rows_url_is_the_one_reverse_gives(code):
    from django.urls import reverse

    from geopool.api.nearby import _path_segment

    page = reverse("requestpages:detail", args=["__code__"])
    assert page.replace("__code__", _path_segment(code)) == reverse(
        "requestpages:detail", args=[code]
    )
