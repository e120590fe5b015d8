"""`build_provider`: the tracking provider a deployment should use, assembled from settings.

The paid API when an AppCode is configured (and demo mode is off), else the demo provider;
either way wrapped in `CachedProvider`, with the shared Redis cache when `REDIS_URL` is set
and an in-process TTL cache otherwise. Only the paid API gets the token bucket: the demo
costs nothing. Demo answers use their own Redis key prefix, so switching a deployment from
demo to real never serves an invented timeline from the shared cache.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.clock import Clock
from bot.settings import Settings
from bot.upstream.base import TrackingProvider
from bot.upstream.cached_provider import CachedProvider
from bot.upstream.client import ApiClient
from bot.upstream.demo import DemoProvider
from bot.upstream.ratelimit import TokenBucket
from bot.upstream.result_cache import MemoryResultCache, RedisResultCache, ResultCache


def _same(code: str) -> str:
    return code


def build_provider(
    settings: Settings,
    carrier_name: Callable[[str], str] = _same,
    clock: Clock | None = None,
) -> CachedProvider:
    """The configured provider, cached and coalesced (`.inner` is the Api or Demo provider)."""
    clock = clock or Clock()
    inner: TrackingProvider
    if settings.demo:
        inner = DemoProvider(carrier_name, clock)
    else:
        # The clock paces the limiter and the retries (a fake one in tests: no real sleeps).
        limiter = TokenBucket(
            settings.kuaidi_rate_limit, monotonic=clock.monotonic, sleep=clock.sleep
        )
        inner = ApiClient(
            settings, carrier_name=carrier_name, rate_limiter=limiter, sleep=clock.sleep
        )
    return CachedProvider(inner, build_cache(settings, demo=settings.demo))


def build_cache(settings: Settings, *, demo: bool = False) -> ResultCache:
    """Redis when `settings.redis_url` is set, else process memory; TTL `kuaidi_cache_ttl`."""
    if not settings.redis_url:
        return MemoryResultCache(settings.kuaidi_cache_ttl)
    import redis  # imported here so a memory-only deployment never needs a Redis server

    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
    prefix = "kuaidi:track:demo:" if demo else "kuaidi:track:"
    return RedisResultCache(client, settings.kuaidi_cache_ttl, prefix=prefix)
