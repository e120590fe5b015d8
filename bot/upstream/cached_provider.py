"""`CachedProvider`: a TTL cache and request coalescing around any tracking provider.

Every billed call costs money, so the same question asked twice within the TTL is answered
from the cache, and many threads asking the same uncached question at once wait for one
upstream call (the "leader") and share its answer or its error. Errors are never cached.
`fresh=True` skips the cache read (the subscription poller's refresh) but still joins a call
already in flight, which is as fresh as a new one, and its answer refreshes the cache.
"""

from __future__ import annotations

import logging
import threading

from bot.tracking import TrackResult
from bot.upstream.base import Stats, TrackingProvider, merge_stats
from bot.upstream.errors import UpstreamUnavailable
from bot.upstream.result_cache import ResultCache

log = logging.getLogger("bot.upstream")


class _Flight:
    """One upstream call in progress, and what it produced."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: TrackResult | None = None
        self.error: BaseException | None = None


def cache_key(number: str, carrier: str | None, phone_tail: str | None) -> str:
    """The cache key: the number, the carrier code and the phone tail all change the answer."""
    return f"{number}|{carrier or ''}|{phone_tail or ''}"


class CachedProvider:
    """Wraps `inner` with `cache` and coalescing; identify/carriers pass straight through."""

    def __init__(
        self, inner: TrackingProvider, cache: ResultCache, *, wait_timeout: float = 120.0
    ) -> None:
        """`wait_timeout` bounds how long a follower waits for the leader's call."""
        self.inner = inner
        self._cache = cache
        self._wait_timeout = wait_timeout
        self._lock = threading.Lock()
        self._flights: dict[str, _Flight] = {}
        self._stats = Stats(names=("cache_hits", "cache_misses", "coalesced"))

    @property
    def stats(self) -> dict[str, int]:
        """The inner provider's counters plus cache hits, misses and coalesced waits."""
        cache_stats = getattr(self._cache, "stats", None)
        extra = cache_stats if isinstance(cache_stats, dict) else {}
        return merge_stats(self.inner.stats, self._stats.snapshot(), extra)

    def track(
        self,
        number: str,
        carrier: str | None = None,
        phone_tail: str | None = None,
        *,
        fresh: bool = False,
    ) -> TrackResult:
        """A cached answer when there is one (unless `fresh`), else one shared upstream call."""
        key = cache_key(number, carrier, phone_tail)
        if not fresh and (hit := self._cache.get(key)) is not None:
            self._stats.incr("cache_hits")
            return hit
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        if not leader:
            return self._follow(flight, number)
        return self._lead(flight, key, (number, carrier, phone_tail), fresh)

    def _lead(
        self, flight: _Flight, key: str, query: tuple[str, str | None, str | None], fresh: bool
    ) -> TrackResult:
        """Make the call for everyone waiting on `flight`, cache a success, wake them."""
        try:
            # A leader that finished just before we registered has filled the cache.
            hit = None if fresh else self._cache.get(key)
            if hit is not None:
                self._stats.incr("cache_hits")
                flight.result = hit
                return hit
            self._stats.incr("cache_misses")
            result = self.inner.track(*query, fresh=fresh)
            self._cache.set(key, result)
            flight.result = result
            return result
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                self._flights.pop(key, None)
            flight.done.set()

    def _follow(self, flight: _Flight, number: str) -> TrackResult:
        """Wait for the leader's answer and share it (or its error)."""
        self._stats.incr("coalesced")
        if not flight.done.wait(self._wait_timeout):
            raise UpstreamUnavailable("timed out waiting for a shared upstream call")
        if flight.error is not None:
            raise flight.error
        assert flight.result is not None  # set by the leader whenever error is None
        log.debug("shared an in-flight answer for %s", number)
        return flight.result

    def identify(self, number: str) -> list[tuple[str, str]]:
        """Passed through uncached (rarely used; the bot identifies carriers locally)."""
        return self.inner.identify(number)

    def carriers(self, page: int = 1, keyword: str = "") -> tuple[list[dict], int]:
        """Passed through uncached (an admin listing, not a hot path)."""
        return self.inner.carriers(page, keyword)
