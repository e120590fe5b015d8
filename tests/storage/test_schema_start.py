"""Opening the database: processes starting together, and databases of earlier versions."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, inspect, select, text

from bot.storage import open_database
from bot.storage.schema import schema_meta


@pytest.mark.postgres
def test_processes_starting_together_create_the_schema_once(pg_url):
    """gunicorn's workers and the worker processes all open the database at once."""
    barrier, errors, opened = threading.Barrier(4), [], []

    def start() -> None:
        barrier.wait()
        try:
            opened.append(open_database(pg_url))
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        with opened[0].engine.connect() as conn:
            versions = conn.execute(select(func.count()).select_from(schema_meta)).scalar()
        assert versions == 1
    finally:
        for db in opened:
            db.dispose()


def test_a_database_of_an_earlier_version_gains_new_tables(db_url):
    db = open_database(db_url)
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE sub_names"))  # as before the table existed
    db.dispose()
    db = open_database(db_url)
    try:
        assert "sub_names" in inspect(db.engine).get_table_names()
    finally:
        db.dispose()
