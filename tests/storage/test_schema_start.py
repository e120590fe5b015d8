"""Opening the database: processes starting together, and databases of earlier versions."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, inspect, select, text

import bot.subscriptions.schema  # noqa: F401 - sub_names is one of its tables
from bot.storage import open_database
from bot.storage.db import SCHEMA_LOCK, SCHEMA_LOCK_KEY
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


@pytest.mark.postgres
def test_the_schema_lock_is_held_per_schema(pg_url, pg_url_factory):
    """A process creating tables in one schema does not hold up one opening another (each
    test's own schema, a second deployment's), but does hold up one opening the same."""
    other_url = pg_url_factory()
    holder = open_database(pg_url)
    conn = holder.engine.connect()
    transaction = conn.begin()
    conn.execute(SCHEMA_LOCK, {"key": SCHEMA_LOCK_KEY})  # as if mid-creation in pg_url's schema
    opened: dict[str, object] = {}

    def start(name: str, url: str) -> threading.Thread:
        thread = threading.Thread(target=lambda: opened.setdefault(name, open_database(url)))
        thread.start()
        return thread

    same, other = start("same", pg_url), start("other", other_url)
    try:
        other.join(30)
        assert "other" in opened  # not queued behind pg_url's schema
        assert _waits_for_lock(conn)  # the same schema's opener queues for its lock…
        assert "same" not in opened
    finally:
        transaction.rollback()
        conn.close()
        same.join(30)
        for db in (holder, *opened.values()):
            db.dispose()
    assert "same" in opened


def _waits_for_lock(conn, seconds: float = 30.0) -> bool:
    """True once another session waits for the schema lock that `conn` holds."""
    key = conn.execute(
        text("SELECT hashtextextended(current_schema(), :key)"), {"key": SCHEMA_LOCK_KEY}
    ).scalar() & (2**64 - 1)  # pg_locks shows the 64-bit key as two unsigned halves
    waiting = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1"
    )
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if conn.execute(waiting, {"high": key >> 32, "low": key & 0xFFFFFFFF}).scalar():
            return True
        time.sleep(0.01)
    return False
