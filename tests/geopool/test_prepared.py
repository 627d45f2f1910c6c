"""``geopool.prepared``: a statement prepared once per connection, then executed."""

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from geopool import prepared

SQL = "SELECT $1::integer * 2, upper($2), $1 + 1"


def _prepared_like(fragment):
    """How often the connection holds a prepared statement containing it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%{fragment}%"],
        )
        return cursor.fetchone()[0]


def test_the_first_call_prepares_and_every_call_executes_it(db):
    sql = SQL + " AS first_test"
    first = prepared.fetch(sql, "integer, text", [21, "a"])
    second = prepared.fetch(sql, "integer, text", [4, "b"])
    assert first == [(42, "A", 22)]
    assert second == [(8, "B", 5)]
    assert _prepared_like("AS first_test") == 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE %s",
            ["%AS first_test%"],
        )
        # Planned once, for any values (plan_cache_mode in the settings).
        assert cursor.fetchone() == (2, 0)


def test_a_rolled_back_transaction_keeps_the_statement(db):
    class Undo(Exception):
        pass

    sql = SQL + " AS kept_test"
    try:
        with transaction.atomic():
            prepared.fetch(sql, "integer, text", [1, "x"])
            raise Undo
    except Undo:
        pass
    assert prepared.fetch(sql, "integer, text", [5, "y"]) == [(10, "Y", 6)]
    assert _prepared_like("AS kept_test") == 1


def test_the_statements_are_logged_and_pass_through_execute_wrappers(db):
    seen = []

    def watch(execute, sql, params, many, context):
        seen.append(sql.split()[0])
        return execute(sql, params, many, context)

    with (
        CaptureQueriesContext(connection) as queries,
        connection.execute_wrapper(watch),
    ):
        assert prepared.fetch(SQL, "integer, text", [2, "z"]) == [(4, "Z", 3)]
    assert seen == ["SELECT"]
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT"]


def test_an_error_is_djangos(db):
    import pytest
    from django.db import DataError

    with pytest.raises(DataError), transaction.atomic():
        prepared.fetch("SELECT 1 / $1", "integer", [0])
