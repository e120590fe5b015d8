"""Shared fixtures: the network guard, databases on both backends, Redis, clocks, and the
service policy.

PostgreSQL and Redis tests skip with a visible reason when those servers are absent, unless
KUAIDI_REQUIRE_SERVICES=1 (CI), where their absence is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text

from bot.clock import FakeClock
from bot.storage import Database, open_database
from tests.support.log_scan import (  # noqa: F401 - hooks: the session's logs are scanned
    pytest_configure,
    pytest_sessionfinish,
    pytest_terminal_summary,
    pytest_testnodedown,
)
from tests.support.network import NetworkGuard, guarded
from tests.support.services import PG_URL, REDIS_URL, REQUIRE_SERVICES, service_unavailable

# CI runs the property tests on a fixed seed, so a run's verdict does not depend on luck; on
# a developer's machine they explore new examples each time (and keep failures in
# .hypothesis/, which replays them first).
hypothesis_settings.register_profile("ci", derandomize=True)
if REQUIRE_SERVICES or os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture(autouse=True)
def network_guard() -> Iterator[NetworkGuard]:
    """Fail any test that tries to connect beyond loopback (see `tests.support.network`)."""
    with guarded(NetworkGuard()) as guard:
        yield guard
    if guard.refused:
        pytest.fail(f"the test tried to reach the network: {guard.refused}", pytrace=False)


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock at 2026-01-01 00:00 UTC."""
    return FakeClock()


@pytest.fixture
def pg_url_factory() -> Iterator[Callable[[], str]]:
    """Makes PostgreSQL URLs whose search_path is a fresh schema; all dropped afterwards."""
    schemas: list[str] = []
    admin = None

    def make() -> str:
        nonlocal admin
        schema = f"t_{uuid.uuid4().hex[:12]}"
        try:
            admin = admin or create_engine(PG_URL, connect_args={"connect_timeout": 3})
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        except Exception as exc:  # noqa: BLE001 - any connection failure means "not available"
            service_unavailable("PostgreSQL", exc)
        schemas.append(schema)
        sep = "&" if "?" in PG_URL else "?"
        return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"

    yield make
    if admin is not None:
        with admin.begin() as conn:
            for schema in schemas:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_url(pg_url_factory) -> str:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    return pg_url_factory()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A SQLite file URL in the test's temporary directory."""
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request) -> str:
    """Both backends: the same test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def database(db_url) -> Iterator[Database]:
    """An opened database on each backend, schema created."""
    db = open_database(db_url)
    yield db
    db.dispose()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The Redis URL; keys written under a per-test prefix are deleted afterwards."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001
        service_unavailable("Redis", exc)
    yield REDIS_URL
    client.close()


@pytest.fixture
def redis_prefix(redis_url) -> Iterator[str]:
    """A unique key prefix for one test; its keys are removed afterwards."""
    import redis

    prefix = f"test:{uuid.uuid4().hex[:10]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()
