"""Many workers on PostgreSQL: rounds run side by side claim due numbers with
`FOR UPDATE SKIP LOCKED` and never poll one number twice; pushes are enqueued once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from adapters.assembly import build_core, build_poller
from bot.runtime.metrics import Metrics
from bot.runtime.outbox import DurableOutbox
from tests.subscriptions.test_lifecycle import OUT, PICKUP, timeline
from tests.support.world import RecordingSender, World

pytestmark = pytest.mark.postgres
NUMBERS = [f"YT88800000{i:05d}" for i in range(30)]


def test_two_workers_never_poll_a_number_twice(pg_url, upstream, clock, tmp_path):
    settings = upstream.settings(database_url=pg_url, data_dir=tmp_path, kuaidi_retries=0)
    world = World(settings, clock, RecordingSender())
    for index, number in enumerate(NUMBERS):
        upstream.set_track(number, 2, timeline(PICKUP))
        world.chat(f"c{index % 7}", f"u{index % 7}").say(f"/subscribe {number}")
    upstream.latency = 0.002  # let the workers interleave

    def worker_round(results: list, barrier: threading.Barrier) -> None:
        core = build_core(settings, clock=clock)  # its own engine and connection pool
        poller = build_poller(settings, core, DurableOutbox(core.db, clock, Metrics()))
        poller.batch = 10  # claims smaller than the work, so that both workers take a share
        barrier.wait()
        results.append(poller.run_once())
        core.close()

    for round_number, status in enumerate((2, 3)):
        for number in NUMBERS:
            upstream.set_track(number, status, timeline(PICKUP, OUT)[-1 - round_number :])
        upstream.clear_requests()
        if round_number:
            clock.advance(hours=6)
        results: list = []
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=worker_round, args=(results, barrier)) for _ in "ab"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        per_number = Counter(r.number for r in upstream.requests)
        assert set(per_number) == set(NUMBERS)
        assert max(per_number.values()) == 1, per_number.most_common(3)
        assert all(r.polled > 0 for r in results)  # both took a share
        assert sum(r.polled for r in results) == len(NUMBERS)

    world.runtime.send_pending(limit=1000)
    pushes = [s for s in world.sender.sent if "新动态" in s.reply.text]
    # Each chat hears about each of its parcels' change exactly once (two workers flushing
    # at the same moment may split a chat's batch in two, never repeat a change).
    told = Counter(
        (s.target.chat_id, number) for s in pushes for number in NUMBERS if number in s.reply.text
    )
    assert len(told) == len(NUMBERS) and set(told.values()) == {1}
    assert 7 <= len(pushes) <= 14  # 7 chats
    world.close()
