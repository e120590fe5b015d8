"""Two worker "processes" (separate engines, real threads) share the queues without overlap."""

from __future__ import annotations

import threading
import time
from collections import Counter

from bot.clock import Clock
from bot.models import Reply
from bot.storage import open_database
from tests.support.runtime import make_message

MESSAGES = 240


def test_two_workers_never_process_the_same_row(db_url, make_runtime, platform_api):
    processed: Counter[str] = Counter()
    by_worker: Counter[str] = Counter()
    lock = threading.Lock()

    def handler_for(name):
        def handle(message):
            time.sleep(0.002)  # long enough for claims to interleave
            with lock:
                processed[message.text] += 1
                by_worker[name] += 1
            return [Reply(text=message.text)]

        return handle

    databases = [open_database(db_url, pool_size=8) for _ in range(2)]
    try:
        runtimes = [
            make_runtime(
                handler=handler_for(f"w{i}"),
                db=db,
                clock=Clock(),
                worker_threads=4,
                sender_threads=2,
                poll_interval=0.02,
            )
            for i, db in enumerate(databases)
        ]
        feeder = runtimes[0]
        for n in range(MESSAGES):
            feeder.inbox.accept(f"d{n}", make_message(n, chat=f"chat{n % 60}"))
        for runtime in runtimes:
            runtime.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(platform_api.sent_keys()) < MESSAGES:
            time.sleep(0.05)
        for runtime in runtimes:
            runtime.stop()
    finally:
        for db in databases:
            db.dispose()

    assert sum(processed.values()) == MESSAGES
    assert set(processed.values()) == {1}, [t for t, n in processed.items() if n > 1]
    keys = platform_api.sent_keys()
    assert sorted(keys) == sorted(f"testing:d{n}:0" for n in range(MESSAGES))
    assert feeder.inbox.counts() == {"done": MESSAGES}
    assert feeder.outbox.counts() == {"sent": MESSAGES}
    # Each chat's replies arrived in the order its messages came in.
    for chat in range(60):
        texts = [s.text for s in platform_api.sends if s.chat_id == f"chat{chat}"]
        assert texts == sorted(texts, key=lambda t: int(t[1:]))
    assert len(by_worker) == 2, by_worker  # both workers took part
