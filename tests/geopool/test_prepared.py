"""``geopool.prepared``: a statement prepared once per connection, then executed."""

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from geopool import prepared

SQL = "SELECT $1::integer * 2, upper($2)"


def test_the_first_call_prepares_and_every_call_executes(db):
    with CaptureQueriesContext(connection) as queries:
        first = prepared.fetch("test_prepared_double", SQL, "integer, text", [21, "a"])
        second = prepared.fetch("test_prepared_double", SQL, "integer, text", [4, "b"])
    assert first == [(42, "A")]
    assert second == [(8, "B")]
    verbs = [q["sql"].split()[0] for q in queries.captured_queries]
    assert verbs == ["PREPARE", "EXECUTE", "EXECUTE"]


def test_a_rolled_back_transaction_keeps_the_statement(db):
    class Undo(Exception):
        pass

    try:
        with transaction.atomic():
            prepared.fetch("test_prepared_kept", SQL, "integer, text", [1, "x"])
            raise Undo
    except Undo:
        pass
    with CaptureQueriesContext(connection) as queries:
        rows = prepared.fetch("test_prepared_kept", SQL, "integer, text", [5, "y"])
    assert rows == [(10, "Y")]
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["EXECUTE"]
