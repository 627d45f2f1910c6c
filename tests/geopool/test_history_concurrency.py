"""Two history imports of one file at once: it is written once, nobody crashes.

A committing import holds an advisory lock until it ends; another waits for
it, says so, and then skips what the first stored as already imported.
These tests commit (``transaction=True``), so the database is flushed after
each one: the ``hatay`` fixture reloads the pack when a flush removed it,
and ``hatay_restored`` reloads it once more after the last test here.
"""

import threading

import psycopg
import pytest
from django.db import connection, connections

from geopool.models import ServiceRequest
from geopool.services.history import IMPORT_LOCK, WAITING, history_import
from tests.geopool.test_import_requests import row, write_csv

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("hatay_restored"),
]

ROWS = 30


@pytest.fixture
def other_session():
    """A second database session, as another import's would be."""
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or None,
        password=settings["PASSWORD"] or None,
        autocommit=True,
    ) as session:
        yield session


def _import_in_thread(path, results):
    try:
        results.append(history_import(path, commit=True))
    finally:
        connections.close_all()


def test_an_import_waits_for_one_writing_then_skips_what_it_stored(
    hatay, tmp_path, other_session
):
    path = write_csv(tmp_path / "h.csv", [row(f"crm-{n}") for n in range(ROWS)])
    other_session.execute("SELECT pg_advisory_lock(%s)", [IMPORT_LOCK])
    (pid,) = other_session.execute("SELECT pg_backend_pid()").fetchone()
    told, first = [], []

    def waiting(text):
        # The holder ends; another import takes the lock and stores the file
        # before this one gets it.
        told.append(text)
        other_session.execute("SELECT pg_advisory_unlock(%s)", [IMPORT_LOCK])
        writer = threading.Thread(target=_import_in_thread, args=(path, first))
        writer.start()
        writer.join()

    summary = history_import(path, commit=True, waiting=waiting)

    assert told == [WAITING.format(pid=pid)]
    assert told[0] == (
        f"another history import (server process {pid}) is writing; waiting "
        "for it to end, then the rows it stored are skipped as already imported"
    )
    assert first[0].written == ROWS
    assert (summary.written, summary.already_imported, summary.errors) == (
        0,
        ROWS,
        [],
    )
    assert ServiceRequest.objects.count() == ROWS


def test_two_imports_of_one_file_at_once_write_it_once(hatay, tmp_path):
    path = write_csv(tmp_path / "h.csv", [row(f"crm-{n}") for n in range(ROWS)])
    results = []
    threads = [
        threading.Thread(target=_import_in_thread, args=(path, results))
        for _ in range(2)
    ]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted((s.written, s.already_imported) for s in results) == [
        (0, ROWS),
        (ROWS, 0),
    ]
    assert ServiceRequest.objects.count() == ROWS
