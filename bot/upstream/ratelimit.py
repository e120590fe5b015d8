"""A client-side token bucket that keeps this process under the upstream's request rate.

The vendor publishes no QPS limit, and the gateway throttles with 403s that would cost us
retries, so each process paces itself. A caller that finds the bucket empty reserves the next
token and sleeps until it is due (outside the lock, so other callers queue fairly behind it);
when the queue is longer than `max_wait` the call fails fast with `Throttled` instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from bot.upstream.errors import Throttled


class TokenBucket:
    """`rate` tokens per second, at most `capacity` saved up (default: one second's worth)."""

    def __init__(
        self,
        rate: float,
        capacity: float | None = None,
        *,
        max_wait: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = max(1.0, capacity if capacity is not None else rate)
        self.max_wait = max_wait
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self.capacity
        self._updated = monotonic()

    def acquire(self) -> float:
        """Take one token, sleeping until it is available; return the seconds waited."""
        with self._lock:
            now = self._monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            wait = 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate
            if wait > self.max_wait:
                raise Throttled(f"client-side rate limit: would wait {wait:.1f}s")
            # Taking the token now (possibly going negative) reserves our place in the queue.
            self._tokens -= 1
        if wait > 0:
            self._sleep(wait)
        return wait
