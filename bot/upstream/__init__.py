"""The upstream tracking API (《物流快递查询》 on the Aliyun market) and its stand-ins.

`build_provider(settings)` returns what the bot should use: the paid `ApiClient` or the
`DemoProvider`, wrapped in `CachedProvider` (TTL cache, request coalescing). Failures are
`UpstreamError` subclasses whose `user_message_key` picks the sentence shown to a user.
"""

from bot.upstream.base import Stats, TrackingProvider
from bot.upstream.cached_provider import CachedProvider, cache_key
from bot.upstream.client import ApiClient
from bot.upstream.demo import DemoProvider
from bot.upstream.errors import (
    BadResponse,
    BusinessError,
    ConfigurationError,
    InvalidNumber,
    NotConfigured,
    PhoneRequired,
    QuotaExhausted,
    Throttled,
    UnexplainedRefusal,
    UpstreamError,
    UpstreamUnavailable,
)
from bot.upstream.factory import build_cache, build_provider, push_provider
from bot.upstream.parsing import parse_time, parse_track_response
from bot.upstream.ratelimit import TokenBucket
from bot.upstream.result_cache import (
    MemoryResultCache,
    RedisResultCache,
    ResultCache,
    result_from_json,
    result_to_json,
)

__all__ = [
    "ApiClient",
    "BadResponse",
    "BusinessError",
    "CachedProvider",
    "ConfigurationError",
    "DemoProvider",
    "InvalidNumber",
    "MemoryResultCache",
    "NotConfigured",
    "PhoneRequired",
    "QuotaExhausted",
    "RedisResultCache",
    "ResultCache",
    "Stats",
    "Throttled",
    "TokenBucket",
    "TrackingProvider",
    "UnexplainedRefusal",
    "UpstreamError",
    "UpstreamUnavailable",
    "build_cache",
    "build_provider",
    "cache_key",
    "parse_time",
    "push_provider",
    "parse_track_response",
    "result_from_json",
    "result_to_json",
]
