"""The provider interface every tracking source implements, and its thread-safe counters.

`Stats` counts upstream calls, cache hits and errors by kind; `stats` on a provider returns a
plain-dict snapshot that the gateway exports to /metrics. Keys ending in `_today` restart at
midnight China time, which is how operators read their call budget.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date
from typing import Protocol, runtime_checkable

from bot.clock import CHINA_TZ, Clock
from bot.tracking import TrackResult


@runtime_checkable
class TrackingProvider(Protocol):
    """Anything that answers tracking queries: the paid API, the demo, or a cache around one."""

    def track(
        self,
        number: str,
        carrier: str | None = None,
        phone_tail: str | None = None,
        *,
        fresh: bool = False,
    ) -> TrackResult:
        """Track `number`; `carrier` is the vendor's carrier code, `phone_tail` 4 digits."""
        ...

    def identify(self, number: str) -> list[tuple[str, str]]:
        """Candidate carriers as `(vendor code, name)`; raises NotConfigured if unavailable."""
        ...

    def carriers(self, page: int = 1, keyword: str = "") -> tuple[list[dict], int]:
        """One page of the vendor's carrier list and the page count; may raise NotConfigured."""
        ...

    @property
    def stats(self) -> dict[str, int]:
        """A snapshot of this provider's counters."""
        ...


class Stats:
    """Named counters shared by threads; `daily=True` also bumps `<name>_today`."""

    def __init__(self, clock: Clock | None = None, names: tuple[str, ...] = ()) -> None:
        """`names` are reported as 0 before their first increment, so dashboards see them."""
        self._clock = clock or Clock()
        self._lock = threading.Lock()
        self._names = names
        self._totals: Counter[str] = Counter()
        self._today: Counter[str] = Counter()
        self._day: date = self._china_date()

    def _china_date(self) -> date:
        return self._clock.now().astimezone(CHINA_TZ).date()

    def _roll_day(self) -> None:
        """Forget yesterday's daily counters (caller holds the lock)."""
        today = self._china_date()
        if today != self._day:
            self._day = today
            self._today.clear()

    def incr(self, name: str, amount: int = 1, *, daily: bool = False) -> None:
        """Add `amount` to counter `name`."""
        with self._lock:
            self._totals[name] += amount
            if daily:
                self._roll_day()
                self._today[f"{name}_today"] += amount

    def snapshot(self) -> dict[str, int]:
        """All counters as a new dict (daily ones included, zero after midnight)."""
        with self._lock:
            self._roll_day()
            return {**dict.fromkeys(self._names, 0), **self._totals, **self._today}


def merge_stats(*snapshots: dict[str, int]) -> dict[str, int]:
    """Sum several snapshots key by key (a wrapper reports its own counters and its inner's)."""
    merged: Counter[str] = Counter()
    for snapshot in snapshots:
        merged.update(snapshot)
    return dict(merged)
