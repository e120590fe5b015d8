"""Where tracking answers are kept for a few minutes: process memory or a shared Redis.

Both backends implement `ResultCache` (get/set of a `TrackResult` by key). The Redis one
serialises results to JSON so every process of a deployment shares one cache; when Redis is
down it logs, counts `cache_errors` and behaves as a miss, because a cache outage must not
stop tracking (it only costs money). After a failure it leaves Redis alone for `pause`
seconds, so an outage costs one connect timeout, not one per lookup.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from cachetools import TTLCache

from bot.models import TrackingEvent
from bot.tracking import Status, TrackResult
from bot.upstream.base import Stats

log = logging.getLogger("bot.upstream")

_FORMAT_VERSION = 1


class ResultCache(Protocol):
    """A TTL cache of tracking results."""

    def get(self, key: str) -> TrackResult | None:
        """The cached result, or None if absent or expired."""
        ...

    def set(self, key: str, result: TrackResult) -> None:
        """Store `result` for the cache's TTL."""
        ...


class MemoryResultCache:
    """An in-process cache (cachetools TTLCache behind a lock: TTLCache is not thread-safe)."""

    def __init__(
        self, ttl: float, maxsize: int = 10_000, timer: Callable[[], float] | None = None
    ) -> None:
        kwargs: dict[str, Any] = {"timer": timer} if timer else {}
        self._cache: TTLCache[str, TrackResult] = TTLCache(maxsize, ttl, **kwargs)
        self._lock = threading.Lock()

    def get(self, key: str) -> TrackResult | None:
        """The cached result, or None."""
        with self._lock:
            return self._cache.get(key)

    def set(self, key: str, result: TrackResult) -> None:
        """Store `result`."""
        with self._lock:
            self._cache[key] = result


class RedisResultCache:
    """A cache shared by processes: one JSON string per key, expiring after `ttl` seconds."""

    def __init__(
        self,
        client: Any,
        ttl: int,
        *,
        prefix: str = "kuaidi:track:",
        pause: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`client` is a `redis.Redis` (or anything with get/set(ex=))."""
        self._redis = client
        self._ttl = max(1, int(ttl))
        self._prefix = prefix
        self._pause = pause
        self._monotonic = monotonic
        self._paused_until = 0.0
        self._stats = Stats(names=("cache_errors",))

    def _available(self) -> bool:
        return self._monotonic() >= self._paused_until

    def get(self, key: str) -> TrackResult | None:
        """The cached result; None when absent, unreadable or Redis fails."""
        if not self._available():
            return None
        try:
            raw = self._redis.get(self._prefix + key)
        except Exception as exc:  # noqa: BLE001 - any Redis failure degrades to a miss
            self._failed("read", exc)
            return None
        if raw is None:
            return None
        try:
            return result_from_json(raw)
        except (ValueError, KeyError, TypeError) as exc:
            self._failed("decode", exc)
            return None

    def set(self, key: str, result: TrackResult) -> None:
        """Store `result` with the TTL; failures are logged, not raised."""
        if not self._available():
            return
        try:
            self._redis.set(self._prefix + key, result_to_json(result), ex=self._ttl)
        except Exception as exc:  # noqa: BLE001
            self._failed("write", exc)

    @property
    def stats(self) -> dict[str, int]:
        """This cache's own counters (`cache_errors`)."""
        return self._stats.snapshot()

    def _failed(self, action: str, exc: Exception) -> None:
        self._stats.incr("cache_errors")
        if action != "decode":  # one bad entry says nothing about the server
            self._paused_until = self._monotonic() + self._pause
        log.warning(
            "redis cache %s failed (%s); pausing it for %.0fs",
            action,
            type(exc).__name__,
            self._pause,
        )


def result_to_json(result: TrackResult) -> str:
    """Serialise a `TrackResult` (datetimes as ISO 8601 with their offset)."""
    return json.dumps(
        {
            "v": _FORMAT_VERSION,
            "number": result.number,
            "carrier_code": result.carrier_code,
            "carrier_name": result.carrier_name,
            "status": int(result.status),
            "events": [
                {"time": e.time.isoformat() if e.time else None, "text": e.text}
                for e in result.events
            ],
            "message": result.message,
            "demo": result.demo,
        },
        ensure_ascii=False,
    )


def result_from_json(raw: str | bytes) -> TrackResult:
    """Rebuild a `TrackResult` written by `result_to_json`; raises ValueError if foreign."""
    data = json.loads(raw)
    if not isinstance(data, dict) or data.get("v") != _FORMAT_VERSION:
        raise ValueError("not a cached TrackResult")
    events = tuple(
        TrackingEvent(
            time=datetime.fromisoformat(e["time"]) if e.get("time") else None, text=e["text"]
        )
        for e in data["events"]
    )
    return TrackResult(
        number=data["number"],
        carrier_code=data["carrier_code"],
        carrier_name=data["carrier_name"],
        status=Status(data["status"]),
        events=events,
        message=data.get("message", ""),
        demo=bool(data.get("demo", False)),
    )
