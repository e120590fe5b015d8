"""`build_provider`: the tracking provider a deployment should use, assembled from settings.

The paid providers of `KUAIDI_PROVIDERS` whose credentials are set (the Aliyun API, Kuaidi100),
behind `FailoverProvider` in order of preference; the demo provider when none is (or demo mode
is on); either way wrapped in `CachedProvider`, with the shared Redis cache when `REDIS_URL` is set
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
from bot.upstream.failover import FailoverProvider
from bot.upstream.kuaidi100 import Kuaidi100Client
from bot.upstream.ratelimit import TokenBucket
from bot.upstream.result_cache import MemoryResultCache, RedisResultCache, ResultCache


def _same(code: str) -> str:
    return code


def build_provider(
    settings: Settings,
    carrier_name: Callable[[str], str] = _same,
    clock: Clock | None = None,
    *,
    kuaidi100_code: Callable[[str], str | None] = _same,
) -> CachedProvider:
    """The configured provider, cached and coalesced (`.inner` is the one paid provider, a
    `FailoverProvider` over several, or the demo). `kuaidi100_code` maps a caller's carrier
    code (registry or Aliyun vendor code) to Kuaidi100's."""
    clock = clock or Clock()
    inner: TrackingProvider
    if settings.demo:
        inner = DemoProvider(carrier_name, clock)
    else:
        providers: list[tuple[str, TrackingProvider]] = []
        for name in settings.configured_providers:
            if name == "aliyun":
                # The clock paces the limiter and the retries (a fake one in tests: no sleeps).
                limiter = TokenBucket(
                    settings.kuaidi_rate_limit, monotonic=clock.monotonic, sleep=clock.sleep
                )
                providers.append(
                    (
                        name,
                        ApiClient(
                            settings,
                            carrier_name=carrier_name,
                            rate_limiter=limiter,
                            sleep=clock.sleep,
                        ),
                    )
                )
            else:
                providers.append((name, Kuaidi100Client(settings, code_for=kuaidi100_code)))
        # One provider is used as it is: a deployment without a second one runs as before.
        inner = (
            providers[0][1]
            if len(providers) == 1
            else FailoverProvider(providers, clock, backoff=settings.kuaidi_failover_backoff)
        )
    return CachedProvider(inner, build_cache(settings, demo=settings.demo))


def push_provider(provider: TrackingProvider) -> Kuaidi100Client | None:
    """The Kuaidi100 client behind `provider` when it can push (callback URL and salt set)."""
    inner = getattr(provider, "inner", provider)
    if isinstance(inner, FailoverProvider):
        inner = inner.provider("kuaidi100")
    return inner if isinstance(inner, Kuaidi100Client) and inner.can_push else None


def build_cache(settings: Settings, *, demo: bool = False) -> ResultCache:
    """Redis when `settings.redis_url` is set, else process memory; TTL `kuaidi_cache_ttl`."""
    if not settings.redis_url:
        return MemoryResultCache(settings.kuaidi_cache_ttl)
    import redis  # imported here so a memory-only deployment never needs a Redis server

    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
    prefix = "kuaidi:track:demo:" if demo else "kuaidi:track:"
    return RedisResultCache(client, settings.kuaidi_cache_ttl, prefix=prefix)
