"""Stats: thread-safe counters with daily counters that restart at midnight China time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from bot.clock import FakeClock
from bot.upstream import Stats
from bot.upstream.base import merge_stats


def test_named_counters_start_at_zero_and_count_across_threads():
    stats = Stats(names=("upstream_calls", "upstream_calls_today"))
    assert stats.snapshot() == {"upstream_calls": 0, "upstream_calls_today": 0}

    def bump() -> None:
        for _ in range(1000):
            stats.incr("upstream_calls", daily=True)

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert stats.snapshot() == {"upstream_calls": 8000, "upstream_calls_today": 8000}


def test_daily_counters_restart_at_china_midnight():
    clock = FakeClock(datetime(2026, 1, 1, 15, 30, tzinfo=UTC))  # 23:30 in China
    stats = Stats(clock)
    stats.incr("upstream_calls", 3, daily=True)
    assert stats.snapshot()["upstream_calls_today"] == 3
    clock.advance(minutes=31)  # 00:01 next day in China, still 1 January in UTC
    snapshot = stats.snapshot()
    assert snapshot["upstream_calls"] == 3 and "upstream_calls_today" not in snapshot
    stats.incr("upstream_calls", daily=True)
    assert stats.snapshot()["upstream_calls_today"] == 1


def test_merge_sums_keys():
    assert merge_stats({"a": 1, "b": 2}, {"b": 3}, {}) == {"a": 1, "b": 5}
