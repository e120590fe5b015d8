"""Shared tokens and rate-limit buckets: in the database, in process, and in real Redis."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import redis

from bot.runtime.ports import RateLimit
from bot.runtime.send_buckets import LocalBuckets, RedisBuckets
from bot.runtime.shared import DbTokenCache, RedisTokenCache
from bot.storage import open_database


class CountingFetch:
    """A token endpoint: each call mints a new token, slowly enough for calls to overlap."""

    def __init__(self, lifetime: float = 7200.0) -> None:
        self.calls = 0
        self.lifetime = lifetime
        self.lock = threading.Lock()

    def __call__(self) -> tuple[str, float]:
        time.sleep(0.05)
        with self.lock:
            self.calls += 1
            return f"tok{self.calls}", self.lifetime


def _in_parallel(*calls):
    results = [None] * len(calls)

    def run(i, call):
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return results


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("redis", marks=pytest.mark.redis),
    ]
)
def two_caches(request, clock):
    """Two TokenCache instances as two processes would have them (separate connections)."""
    if request.param != "redis":
        db_url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
        dbs = [open_database(db_url) for _ in range(2)]
        yield [DbTokenCache(db, clock) for db in dbs]
        for db in dbs:
            db.dispose()
    else:
        url, prefix = request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")
        clients = [redis.Redis.from_url(url, decode_responses=True) for _ in range(2)]
        yield [RedisTokenCache(client, clock, prefix) for client in clients]
        for client in clients:
            client.close()


def test_two_workers_fetch_a_token_once(two_caches):
    fetch = CountingFetch()
    a, b = two_caches
    assert _in_parallel(lambda: a.get("wecom", fetch), lambda: b.get("wecom", fetch)) == [
        "tok1",
        "tok1",
    ]
    assert fetch.calls == 1
    assert b.get("wecom", fetch) == "tok1"
    assert fetch.calls == 1


def test_a_bad_token_seen_by_two_workers_is_refetched_once(two_caches):
    fetch = CountingFetch()
    a, b = two_caches
    bad = a.get("feishu", fetch)
    # Both workers were told the token is invalid, and both invalidate and ask again.
    results = _in_parallel(
        lambda: (a.invalidate("feishu", bad), a.get("feishu", fetch))[1],
        lambda: (b.invalidate("feishu", bad), b.get("feishu", fetch))[1],
    )
    assert results == ["tok2", "tok2"]
    assert fetch.calls == 2
    # A late report about the old token does not throw away the new one.
    b.invalidate("feishu", bad)
    assert a.get("feishu", fetch) == "tok2"
    assert fetch.calls == 2


def test_token_is_refreshed_shortly_before_it_expires(two_caches, clock):
    fetch = CountingFetch(lifetime=7200)
    a, b = two_caches
    assert a.get("t", fetch) == "tok1"
    clock.advance(seconds=7200 - 301)
    assert b.get("t", fetch) == "tok1"
    clock.advance(seconds=2)  # inside the 5-minute margin
    assert b.get("t", fetch) == "tok2"
    assert a.get("t", fetch) == "tok2"
    assert fetch.calls == 2


def test_tokens_are_kept_apart_by_name(two_caches):
    fetch = CountingFetch()
    a, _ = two_caches
    assert a.get("one", fetch) == "tok1"
    assert a.get("two", fetch) == "tok2"
    assert a.get("one", fetch) == "tok1"


def _exercise_buckets(first, second, clock):
    """Shared assertions: per-chat 2/s and app-wide 3/s, drawn all-or-nothing."""
    chat_a = ("chat:a", RateLimit(2, 1.0))
    chat_b = ("chat:b", RateLimit(2, 1.0))
    app = ("app", RateLimit(3, 1.0))
    assert first.acquire([chat_a, app]) == 0
    assert second.acquire([chat_a, app]) == 0
    wait = first.acquire([chat_a, app])
    assert wait == pytest.approx(0.5)  # chat a is empty; nothing taken from the app
    assert second.acquire([chat_b, app]) == 0  # the app bucket still had its third token
    assert first.acquire([chat_b, app]) == pytest.approx(1 / 3)
    clock.advance(seconds=0.5)
    assert second.acquire([chat_a, app]) == 0


def test_local_buckets(clock):
    buckets = LocalBuckets(clock)
    _exercise_buckets(buckets, buckets, clock)


def test_redis_buckets_give_way_to_local_ones_while_redis_is_unreachable(clock, caplog):
    with socket.socket() as sock:  # a port nobody listens on: Redis is down
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
    buckets = RedisBuckets(client, clock)
    chat = ("t:chat:a", RateLimit(1, 1.0))
    with caplog.at_level("WARNING", logger="bot.runtime.send_buckets"):
        assert buckets.acquire([chat]) == 0  # sent under this process's own limit
        assert buckets.acquire([chat]) == pytest.approx(1.0)  # …which still applies
    assert len(caplog.records) == 1  # one warning per outage, not one per row
    assert "per-process limits" in caplog.records[0].getMessage()
    client.close()


@pytest.mark.redis
def test_redis_buckets_are_shared_between_processes(redis_url, redis_prefix, clock):
    clients = [redis.Redis.from_url(redis_url, decode_responses=True) for _ in range(2)]
    try:
        first, second = (RedisBuckets(c, clock, redis_prefix) for c in clients)
        _exercise_buckets(first, second, clock)
        assert clients[0].ttl(f"{redis_prefix}bucket:chat:a") > 0  # idle buckets expire
    finally:
        for client in clients:
            client.close()
