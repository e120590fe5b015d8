"""The client-side token bucket, alone and in front of the real client."""

from __future__ import annotations

import threading

import pytest

from bot.upstream import Throttled, TokenBucket


class FakeTime:
    """monotonic() and sleep() that only move when slept."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def test_bucket_spends_its_burst_then_queues_callers():
    clock = FakeTime()
    bucket = TokenBucket(2, capacity=2, monotonic=clock.monotonic, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(4)]
    # Two saved tokens, then each caller reserves the next half-second slot behind the last.
    assert waits == [0, 0, pytest.approx(0.5), pytest.approx(1.0)]
    assert clock.slept == waits[2:]


def test_bucket_refills_with_time_up_to_capacity():
    clock = FakeTime()
    bucket = TokenBucket(5, monotonic=clock.monotonic, sleep=clock.sleep)
    for _ in range(5):
        bucket.acquire()
    clock.now += 100  # a long idle period saves at most `capacity` tokens
    assert [bucket.acquire() for _ in range(5)] == [0] * 5
    assert bucket.acquire() == pytest.approx(0.2)


def test_bucket_fails_fast_when_the_queue_is_too_long():
    clock = FakeTime()
    bucket = TokenBucket(1, monotonic=clock.monotonic, sleep=clock.sleep, max_wait=2)
    for _ in range(3):
        bucket.acquire()
    with pytest.raises(Throttled, match="client-side"):
        bucket.acquire()


def test_client_requests_are_paced(fake_upstream, make_client):
    clock = FakeTime()  # frozen: each caller reserves the slot after the last one's
    bucket = TokenBucket(20, capacity=1, monotonic=clock.monotonic, sleep=clock.sleep)
    client = make_client(rate_limiter=bucket)
    numbers = [f"YT10000000000{i}" for i in range(6)]
    threads = [threading.Thread(target=client.track, args=(n,)) for n in numbers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert len(fake_upstream.requests) == 6
    # One token saved, then five callers each wait one more 50 ms slot than the one before.
    assert sorted(clock.slept) == pytest.approx([0.05, 0.10, 0.15, 0.20, 0.25])
