"""A large history import builds the request table's indexes once, at the end.

``geopool.services.history.indexes``: when a file has more lines than the
request table has rows, the secondary indexes are dropped inside the
import's transaction and built again before it ends. These tests lower the
size from which that happens (``REBUILD_MIN_ROWS``, normally 10,000) so
small files take that path, and compare the table's indexes with those
read before the import.

PostgreSQL writes a rebuilt partial index's condition in its own words
(``status <> ALL (ARRAY['closed'::text, ...])`` for ``status NOT IN
('closed', ...)``), as it does after a dump and restore; so indexes are
compared by method, columns, operator classes, expressions and whether they
have a condition, and the one partial index is checked by the query that
needs it.
"""

import pytest
from django.db import IntegrityError, connection, transaction

from geopool.models import Body, ServiceRequest
from geopool.services import nearby
from geopool.services.history import BadRow, history_import, indexes
from routing_rules.models import Decision
from tests.geopool.test_import_requests import ERZIN_POINT, row, write_csv

TABLE = ServiceRequest._meta.db_table
# The nearest open requests to Antakya (as tests/api/test_nearby_api.py).
NEAREST = {
    "lon": 36.1603,
    "lat": 36.2021,
    "radius": 5000.0,
    "limit": 20,
    "fetch": 20 + nearby.KNN_EXTRA,
    "nth": 19,
    "body": None,
    "crews": None,
    "categories": None,
}


def table_indexes():
    """{name: what it indexes and how} of every index of the request table."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, a.amname, i.indkey::text, i.indclass::text,
                   i.indisunique, i.indisprimary,
                   pg_get_expr(i.indexprs, i.indrelid), i.indpred IS NOT NULL
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_am a ON a.oid = c.relam
            WHERE i.indrelid = %s::regclass AND i.indisvalid
            """,
            [TABLE],
        )
        return {name: rest for name, *rest in cursor.fetchall()}


def table_foreign_keys():
    """{name: definition} of the request table's foreign keys."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype = 'f'",
            [TABLE],
        )
        return dict(cursor.fetchall())


def map_bins_as_counted():
    """(stored bin counts, the same counted from the requests, triggers on)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT level, i, j, sum(n) FROM geopool_mapbin GROUP BY 1, 2, 3"
            " HAVING sum(n) <> 0 ORDER BY 1, 2, 3"
        )
        stored = cursor.fetchall()
        cursor.execute(
            f"""
            SELECT l.level, floor(r.web_x / l.size_m)::bigint,
                   floor(r.web_y / l.size_m)::bigint, count(*)
            FROM {TABLE} r CROSS JOIN geopool_mapbin_level l
            WHERE r.web_x IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            """
        )
        counted = cursor.fetchall()
        cursor.execute(
            "SELECT bool_and(tgenabled = 'O') FROM pg_trigger"
            " WHERE tgrelid = %s::regclass AND tgname LIKE 'geopool_mapbin_%%'",
            [TABLE],
        )
        (enabled,) = cursor.fetchone()
    return stored, counted, enabled


@pytest.fixture
def small_rebuilds(monkeypatch):
    monkeypatch.setattr(indexes, "REBUILD_MIN_ROWS", 1)


def test_import_larger_than_the_table_rebuilds_every_index_as_it_was(
    hatay, tmp_path, small_rebuilds
):
    before = table_indexes()
    keys = table_foreign_keys()
    path = write_csv(tmp_path / "h.csv", [row(f"crm-{i}") for i in range(5)])

    summary = history_import(path, commit=True, chunk=2)

    assert "build" in summary.seconds and "foreign_keys" in summary.seconds
    # The heat map's bins counted once at the end, the triggers on again.
    stored, counted, enabled = map_bins_as_counted()
    assert "map_bins" in summary.seconds and enabled
    assert stored == counted and sum(n for *_, n in counted) == 5 * 5
    assert table_indexes() == before
    # The six foreign keys (category, owner, crew, department, key, user),
    # deferred as Django makes them, are back and hold.
    assert table_foreign_keys() == keys and len(keys) == 6
    assert all(d.endswith("DEFERRABLE INITIALLY DEFERRED") for d in keys.values())
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            f"UPDATE {TABLE} SET category_id = -1 WHERE external_id = 'crm-1'"
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # 16 indexes: the primary key, and 3 unique and 12 others built again.
    assert len(before) == 16
    assert summary.written == ServiceRequest.objects.count() == 5
    assert Decision.objects.filter(is_current=True).count() == 5
    # The nearest open requests are still found through the partial index.
    with connection.cursor() as cursor:
        # Five rows: the costs would pick any plan; the question is whether
        # the index that orders by distance exists and serves the query.
        for kind in ("seqscan", "bitmapscan", "sort"):
            cursor.execute(f"SET LOCAL enable_{kind} = off")
        body = Body.objects.get(code="ANTAKYA").pk
        plans = []
        for statement in nearby._NEAREST:  # the first try and the second
            cursor.execute("EXPLAIN " + statement, {**NEAREST, "body": body})
            plans.append("\n".join(line for (line,) in cursor.fetchall()))
    for plan in plans:
        assert "Index Scan using geopool_request_open_owner_location_gist" in plan, plan


def test_failed_large_import_keeps_the_indexes_and_writes_nothing(
    hatay, tmp_path, small_rebuilds
):
    before = table_indexes()
    path = write_csv(
        tmp_path / "h.csv",
        [row("crm-1"), row("crm-2"), row("crm-3", point=ERZIN_POINT[::-1])],
    )

    keys = table_foreign_keys()

    with pytest.raises(BadRow):
        history_import(path, commit=True, strict=True, chunk=2)

    assert table_indexes() == before
    assert table_foreign_keys() == keys
    assert map_bins_as_counted() == ([], [], True)
    assert not ServiceRequest.objects.exists()
    assert not Decision.objects.exists()


def test_import_smaller_than_the_table_keeps_its_indexes_up_as_it_goes(
    hatay, tmp_path, small_rebuilds
):
    first = write_csv(tmp_path / "a.csv", [row(f"a-{i}") for i in range(4)])
    history_import(first, commit=True)
    before = table_indexes()
    second = write_csv(tmp_path / "b.csv", [row(f"b-{i}") for i in range(3)])

    summary = history_import(second, commit=True)

    assert "build" not in summary.seconds
    assert table_indexes() == before
    assert ServiceRequest.objects.count() == 7


@pytest.mark.parametrize(
    ("incoming", "stored", "wanted"),
    [
        (9_999, 0, False),  # too small to be worth a lock
        (10_000, 0, True),
        (10_000, 3, True),  # far more rows coming than there are
        (3, 3, False),  # with the minimum lowered: as many as there are
    ],
)
def test_rebuild_is_wanted_only_for_more_rows_than_the_table_holds(
    hatay, tmp_path, monkeypatch, incoming, stored, wanted
):
    if stored:
        path = write_csv(tmp_path / "a.csv", [row(f"a-{i}") for i in range(stored)])
        history_import(path, commit=True)
    if incoming < indexes.REBUILD_MIN_ROWS and stored:
        monkeypatch.setattr(indexes, "REBUILD_MIN_ROWS", 1)
    with connection.cursor() as cursor:
        assert indexes.rebuild_wanted(cursor, TABLE, incoming) is wanted


def test_a_large_import_redraws_a_tracking_code_the_table_holds(
    hatay, tmp_path, small_rebuilds, monkeypatch
):
    import geopool.services.history as history
    from geopool.tracking import tracking_codes_new

    first = write_csv(tmp_path / "a.csv", [row("a-1")])
    history_import(first, commit=True)
    taken = ServiceRequest.objects.get().tracking_code
    # Every chunk's first draw repeats the stored code, and the second row
    # repeats the first: both are drawn again.
    monkeypatch.setattr(
        history,
        "tracking_codes_new",
        lambda n: ([taken, taken] + tracking_codes_new(n))[:n],
    )
    path = write_csv(tmp_path / "b.csv", [row(f"b-{i}") for i in range(4)])

    summary = history_import(path, commit=True, chunk=2)

    codes = list(ServiceRequest.objects.values_list("tracking_code", flat=True))
    assert "foreign_keys" in summary.seconds  # the path that holds the table
    assert summary.written == 4
    assert len(codes) == len(set(codes)) == 5


def decision_indexes():
    """{name: definition} of the decision table's indexes."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s",
            [Decision._meta.db_table],
        )
        return dict(cursor.fetchall())


def test_a_large_strict_import_of_good_rows_writes_them_all(
    hatay, tmp_path, small_rebuilds
):
    before, decisions = table_indexes(), decision_indexes()
    path = write_csv(tmp_path / "h.csv", [row(f"crm-{i}") for i in range(5)])

    summary = history_import(path, commit=True, strict=True, chunk=2)

    assert (summary.written, summary.routed, summary.skipped) == (5, 5, [])
    assert Decision.objects.filter(is_current=True).count() == 5
    stored, counted, enabled = map_bins_as_counted()
    assert stored == counted and enabled
    assert table_indexes() == before and decision_indexes() == decisions


def test_a_large_import_over_stored_history_skips_what_it_holds(
    hatay, tmp_path, small_rebuilds
):
    first = write_csv(tmp_path / "a.csv", [row("crm-0"), row("crm-1")])
    history_import(first, commit=True)
    before, decisions = table_indexes(), decision_indexes()
    rows = [row(f"crm-{i}") for i in range(6)]
    rows.append(row("crm-9", point=ERZIN_POINT[::-1]))  # outside the province
    second = write_csv(tmp_path / "b.csv", rows)

    summary = history_import(second, commit=True, chunk=3)

    assert "foreign_keys" in summary.seconds  # the path that holds the table
    assert (summary.written, summary.already_imported) == (4, 2)
    assert [line for line, _ in summary.errors] == [8]
    assert ServiceRequest.objects.count() == 6
    assert Decision.objects.filter(is_current=True).count() == 6
    stored, counted, enabled = map_bins_as_counted()
    assert stored == counted and enabled
    assert sum(n for *_, n in counted) == 6 * 5
    assert table_indexes() == before and decision_indexes() == decisions
    # The unique indexes built again hold.
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceRequest.objects.filter(external_id="crm-2").update(
            tracking_code=ServiceRequest.objects.get(external_id="crm-3").tracking_code
        )


def test_a_large_import_of_rows_all_skipped_reports_them(
    hatay, tmp_path, small_rebuilds
):
    first = write_csv(
        tmp_path / "a.csv",
        [row(f"crm-{i}", description="iki\nsatır") for i in range(3)],
    )
    history_import(first, commit=True)
    bad = write_csv(
        tmp_path / "b.csv", [row(f"x-{i}", service_code="YOK") for i in range(4)]
    )

    again = history_import(first, commit=True)  # 7 lines: more than the 3 rows
    refused = history_import(bad, commit=True)

    assert (again.written, again.already_imported, again.errors) == (0, 3, [])
    assert (refused.written, [line for line, _ in refused.errors]) == (0, [2, 3, 4, 5])
    assert ServiceRequest.objects.count() == 3
    stored, counted, enabled = map_bins_as_counted()
    assert stored == counted and enabled


def test_a_large_import_locks_the_decisions_before_the_requests(
    hatay, tmp_path, small_rebuilds, monkeypatch
):
    """A reader holding the decisions and waiting for the requests would
    otherwise deadlock with the import taking the decisions at the end."""
    import geopool.services.history as history

    held = []
    copy = history.requests_copy

    def copy_seeing_locks(cursor, *args):
        cursor.execute(
            "SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
            " WHERE l.pid = pg_backend_pid() AND l.mode = 'AccessExclusiveLock'"
            " AND c.relname IN (%s, %s)",
            [TABLE, Decision._meta.db_table],
        )
        held.append(sorted(name for (name,) in cursor.fetchall()))
        return copy(cursor, *args)

    monkeypatch.setattr(history, "requests_copy", copy_seeing_locks)
    path = write_csv(tmp_path / "h.csv", [row(f"crm-{i}") for i in range(3)])

    history_import(path, commit=True)

    assert held == [[TABLE, Decision._meta.db_table]]
