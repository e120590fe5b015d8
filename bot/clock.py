"""An injectable clock, so expiry, polling, rate limits and leases are testable without
sleeping.

`now` is the wall clock (stored times, expiry, schedules); `monotonic` and `sleep` measure and
wait out durations (rate limiters, retry backoff, lease renewal).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta, timezone

#: China Standard Time, the zone of the upstream's timestamps, of the daily call budget, of
#: quiet hours and of every time shown to a user (UTC+8 all year: no daylight saving).
CHINA_TZ = timezone(timedelta(hours=8), "CST")


class Clock:
    """Real time in UTC."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for durations)."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Wait `seconds`."""
        time.sleep(seconds)


class FakeClock(Clock):
    """A clock that only moves when told to; for tests and simulations.

    `advance` moves both clocks. `sleep` returns at once and moves only the monotonic one: a
    rate limiter or a retry that sleeps finds its time passed, while the wall-clock state a
    test set up (expiry, schedules) stays where the test put it."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._monotonic = 0.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The fake current time."""
        with self._lock:
            return self._now

    def advance(self, seconds: float = 0, **delta: float) -> datetime:
        """Move time forward by `seconds` (and/or timedelta keywords); return the new now."""
        step = timedelta(seconds=seconds, **delta)
        with self._lock:
            self._now += step
            self._monotonic += step.total_seconds()
            return self._now

    def monotonic(self) -> float:
        """The fake monotonic seconds (moved by `advance` and `sleep`)."""
        with self._lock:
            return self._monotonic

    def sleep(self, seconds: float) -> None:
        """Return at once; the monotonic clock moves by `seconds`."""
        with self._lock:
            self._monotonic += max(0.0, seconds)
