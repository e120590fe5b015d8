"""Pooled connections are not pinged before use: a dead one costs a retry, never a message.

The connections are cut for real: `pg_terminate_backend` on the PostgreSQL server, as a
database restart or a failover does.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError

from bot.runtime.config import NO_THREADS, RuntimePorts
from bot.runtime.runtime import Runtime
from bot.runtime.schema import inbox, outbox
from bot.storage import open_database
from tests.fakes.testing_platform import TestingSender
from tests.support.runtime import echo, make_message
from tests.support.services import PG_URL

pytestmark = pytest.mark.postgres


@pytest.fixture
def cut_connections(pg_url):
    """(database URL tagged with an application name, a function cutting its connections)."""
    name = f"reconnect_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL)

    def cut() -> int:
        query = text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = :name"
        )
        with admin.begin() as conn:
            return conn.execute(query, {"name": name}).scalar()

    yield f"{pg_url}&application_name={name}", cut
    admin.dispose()


@pytest.fixture
def runtime_on(clock, platform_api):
    built = []

    def build(url, sender=None) -> Runtime:
        db = open_database(url)
        senders = {"testing": sender or TestingSender(platform_api.url)}
        runtime = Runtime(RuntimePorts(db, echo, senders, clock), NO_THREADS)
        built.append(runtime)
        return runtime

    yield build
    for runtime in built:
        runtime.stop(timeout=5)
        runtime.db.dispose()


def _statuses(db, table):
    with db.engine.connect() as conn:
        return sorted(conn.execute(select(table.c.status)).scalars())


def test_a_webhook_accept_survives_a_cut_connection(cut_connections, runtime_on):
    url, cut = cut_connections
    runtime = runtime_on(url)
    assert runtime.inbox.accept("d1", make_message(1)) is True  # a pooled connection now
    assert cut() >= 1
    assert runtime.inbox.accept("d2", make_message(2)) is True
    assert runtime.inbox.accept("d2", make_message(2)) is False  # still de-duplicated
    assert _statuses(runtime.db, inbox) == ["pending", "pending"]


def test_a_send_is_recorded_although_the_connection_died_during_it(
    cut_connections, runtime_on, platform_api
):
    url, cut = cut_connections

    class CuttingSender(TestingSender):
        """Sends, then the database connections die before the send is recorded."""

        def send(self, target, reply, idempotency_key):
            result = super().send(target, reply, idempotency_key)
            assert cut() >= 1
            return result

    runtime = runtime_on(url, CuttingSender(platform_api.url))
    runtime.inbox.accept("d1", make_message(1))
    assert runtime.process_pending() == 1
    assert runtime.send_pending() == 1
    assert _statuses(runtime.db, outbox) == ["sent"]
    assert runtime.send_pending() == 0  # recorded: nothing left to send twice
    assert [s.idempotency_key for s in platform_api.sends] == ["testing:d1:0"]


def test_a_worker_finishes_a_message_although_its_connection_was_cut(cut_connections, runtime_on):
    url, cut = cut_connections
    runtime = runtime_on(url)
    runtime.inbox.accept("d1", make_message(1))
    items = runtime.inbox.claim("w1", 10, 60)
    assert cut() >= 1
    runtime.inbox.complete(items[0], echo(items[0].message))
    assert _statuses(runtime.db, inbox) == ["done"]
    assert _statuses(runtime.db, outbox) == ["pending"]


def test_other_database_errors_are_not_retried(database):
    calls = []

    def fails():
        calls.append(1)
        raise DBAPIError("INSERT …", {}, Exception("unique violation"))

    with pytest.raises(DBAPIError):
        database.once_more_if_disconnected(fails)
    assert calls == [1]


def test_readiness_is_not_fooled_by_a_stale_pooled_connection(cut_connections):
    url, cut = cut_connections
    db = open_database(url)
    try:
        assert db.ping() is True
        assert cut() >= 1
        assert db.ping() is True
    finally:
        db.dispose()


def test_completing_twice_under_the_same_claim_is_not_a_takeover(cut_connections, runtime_on):
    """What a retry sees when its first try committed just before the connection died."""
    url, _cut = cut_connections
    runtime = runtime_on(url)
    runtime.inbox.accept("d1", make_message(1))
    [item] = runtime.inbox.claim("w1", 10, 60)
    runtime.inbox.complete(item, echo(item.message))
    runtime.inbox.complete(item, echo(item.message))  # no LeaseLost, no second reply
    assert _statuses(runtime.db, inbox) == ["done"]
    assert _statuses(runtime.db, outbox) == ["pending"]


def test_postgres_connections_keep_alive_unless_the_url_says_otherwise(pg_url):
    for url, idle in ((pg_url, "60"), (f"{pg_url}&keepalives_idle=30", "30")):
        db = open_database(url)
        try:
            with db.engine.connect() as conn:
                dsn = conn.connection.dbapi_connection.info.dsn
            assert "keepalives=1" in dsn and f"keepalives_idle={idle}" in dsn
        finally:
            db.dispose()
