"""CachedProvider: TTL cache, fresh refresh, coalescing, and the shared Redis backend."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
import redis

from bot.models import TrackingEvent
from bot.tracking import Status, TrackResult
from bot.upstream import (
    CachedProvider,
    MemoryResultCache,
    PhoneRequired,
    RedisResultCache,
    UpstreamUnavailable,
    result_from_json,
    result_to_json,
)

N = "YT7000000000001"


@pytest.fixture
def cached(client) -> CachedProvider:
    return CachedProvider(client, MemoryResultCache(300))


def test_second_ask_is_served_from_cache(fake_upstream, cached):
    first = cached.track(N)
    second = cached.track(N)
    assert second == first
    assert len(fake_upstream.requests) == 1
    stats = cached.stats
    assert (stats["cache_hits"], stats["cache_misses"], stats["upstream_calls"]) == (1, 1, 1)


def test_key_includes_carrier_and_phone_tail(fake_upstream, cached):
    cached.track(N)
    cached.track(N, "yuantong")
    cached.track(N, "yuantong", "1234")
    cached.track(N, "yuantong", "1234")
    assert len(fake_upstream.requests) == 3


def test_fresh_bypasses_the_cache_and_refreshes_it(fake_upstream, cached):
    fake_upstream.set_track(N, 2, [("2026-01-01 08:00:00", "在途")])
    cached.track(N)
    fake_upstream.set_track(N, 4, [("2026-01-01 18:00:00", "已签收")])
    assert cached.track(N).status is Status.IN_TRANSIT  # still cached
    assert cached.track(N, fresh=True).status is Status.DELIVERED
    assert cached.track(N).status is Status.DELIVERED  # the refresh replaced the entry
    assert len(fake_upstream.requests) == 2


def test_errors_are_not_cached(fake_upstream, cached):
    fake_upstream.set_failure(N, "顺丰单号需要手机尾号", once=True)
    with pytest.raises(PhoneRequired):
        cached.track(N)
    assert cached.track(N).status is Status.IN_TRANSIT
    assert len(fake_upstream.requests) == 2


def test_entries_expire_after_the_ttl(fake_upstream, client):
    now = [1000.0]
    cached = CachedProvider(client, MemoryResultCache(300, timer=lambda: now[0]))
    cached.track(N)
    now[0] += 299
    cached.track(N)
    assert len(fake_upstream.requests) == 1
    now[0] += 2
    cached.track(N)
    assert len(fake_upstream.requests) == 2


def _ask_together(provider, count: int, **kwargs) -> tuple[list, list]:
    barrier = threading.Barrier(count)
    results, errors = [], []

    def ask() -> None:
        barrier.wait()
        try:
            results.append(provider.track(N, **kwargs))
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return results, errors


def test_twenty_simultaneous_asks_make_one_call(fake_upstream, cached):
    fake_upstream.set_track(N, 3, [("2026-01-01 08:00:00", "派送中")], delay=0.3)
    results, errors = _ask_together(cached, 20)
    assert errors == [] and len(results) == 20
    assert all(r == results[0] for r in results)
    assert len(fake_upstream.requests) == 1
    assert cached.stats["coalesced"] + cached.stats["cache_hits"] == 19


def test_fresh_asks_are_coalesced_too(fake_upstream, cached):
    fake_upstream.set_track(N, 2, [], delay=0.3)
    results, errors = _ask_together(cached, 20, fresh=True)
    assert errors == [] and len(results) == 20
    assert len(fake_upstream.requests) == 1


def test_a_shared_call_shares_its_error_and_the_next_ask_retries(fake_upstream, make_client):
    cached = CachedProvider(make_client(kuaidi_retries=0), MemoryResultCache(300))
    fake_upstream.push_response(N, 504, b"", {"X-Ca-Error-Message": "Async"}, delay=0.3)
    results, errors = _ask_together(cached, 10)
    assert results == [] and len(errors) == 10
    assert all(isinstance(e, UpstreamUnavailable) for e in errors)
    assert len(fake_upstream.requests) == 1
    assert cached.track(N).status is Status.IN_TRANSIT
    assert len(fake_upstream.requests) == 2


SAMPLE = TrackResult(
    number="SF1",
    carrier_code="shunfeng",
    carrier_name="顺丰速运",
    status=Status.OUT_FOR_DELIVERY,
    events=(
        TrackingEvent(datetime(2026, 1, 1, 9, tzinfo=timezone(timedelta(hours=8))), "派送中"),
        TrackingEvent(None, "无时间"),
    ),
    message="查询成功",
    demo=True,
)


def test_json_round_trip_keeps_everything():
    assert result_from_json(result_to_json(SAMPLE)) == SAMPLE
    with pytest.raises(ValueError):
        result_from_json('{"v": 99}')


@pytest.mark.redis
def test_redis_cache_is_shared_between_two_clients(
    fake_upstream, make_client, redis_url, redis_prefix
):
    def provider() -> CachedProvider:
        connection = redis.Redis.from_url(redis_url)
        return CachedProvider(
            make_client(), RedisResultCache(connection, 300, prefix=redis_prefix)
        )

    first, second = provider(), provider()
    fake_upstream.set_track(N, 3, [("2026-01-01 09:00:00", "派送中"), (None, "无时间")])
    answer = first.track(N, "yuantong", "1234")
    assert second.track(N, "yuantong", "1234") == answer
    assert len(fake_upstream.requests) == 1
    assert second.stats["cache_hits"] == 1
    key = f"{redis_prefix}{N}|yuantong|1234"
    ttl = redis.Redis.from_url(redis_url).ttl(key)
    assert 290 <= ttl <= 300


def test_redis_outage_degrades_to_misses_and_pauses(fake_upstream, client):
    now = [0.0]
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    cached = CachedProvider(client, RedisResultCache(dead, 300, monotonic=lambda: now[0]))
    assert cached.track(N).status is Status.IN_TRANSIT
    assert cached.track(N).status is Status.IN_TRANSIT
    assert len(fake_upstream.requests) == 2
    assert cached.stats["cache_errors"] == 1  # then Redis is left alone for 30 s
    now[0] += 31
    cached.track(N)
    assert cached.stats["cache_errors"] == 2
