"""Inbox and worker on SQLite and PostgreSQL: de-duplication, leases, order, failures."""

from __future__ import annotations

import json
import logging
import threading
import time

import pytest
from sqlalchemy import select

from bot.clock import Clock
from bot.models import Reply, reply_from_dict
from bot.runtime.leases import LeaseLost
from bot.runtime.logs import ContextFilter
from bot.runtime.schema import inbox, outbox
from tests.support.runtime import make_message


def _rows(database, table):
    with database.engine.connect() as conn:
        return list(conn.execute(select(table).order_by(table.c.id)))


def test_duplicate_delivery_is_recorded_once_and_answered_once(make_runtime, database):
    runtime = make_runtime()
    assert runtime.inbox.accept("u-1", make_message(1)) is True
    assert runtime.inbox.accept("u-1", make_message(1)) is False
    # The same id on another platform is a different delivery.
    other = make_message(1)
    other = type(other)(**{**other.__dict__, "platform": "other"})
    assert runtime.inbox.accept("u-1", other) is True

    assert runtime.process_pending() == 2
    replies = [row for row in _rows(database, outbox) if row.platform == "testing"]
    assert [json.loads(r.payload)["text"] for r in replies] == ["echo t1"]
    assert replies[0].idempotency_key == "testing:u-1:0"
    assert runtime.metrics.value("duplicates", platform="testing") == 1


def test_replies_go_to_the_chat_the_message_came_from(make_runtime, database):
    runtime = make_runtime(handler=lambda m: [Reply(text="a"), Reply(text="b")])
    runtime.inbox.accept("d1", make_message(1, chat="group-9"))
    runtime.process_pending()
    rows = _rows(database, outbox)
    assert [(r.chat_id, r.user_id, r.idempotency_key) for r in rows] == [
        ("group-9", "u1", "testing:d1:0"),
        ("group-9", "u1", "testing:d1:1"),
    ]
    assert reply_from_dict(json.loads(rows[1].payload)) == Reply(text="b")
    assert [r.status for r in _rows(database, inbox)] == ["done"]


def test_row_of_a_killed_worker_is_taken_again_after_the_lease(make_runtime, database, clock):
    runtime = make_runtime(lease_seconds=60)
    runtime.inbox.accept("d1", make_message(1))
    # A worker claims the row and dies before finishing it.
    abandoned = runtime.inbox.claim("dead-worker", 10, lease_seconds=60)
    assert [i.delivery_id for i in abandoned] == ["d1"]

    other = make_runtime(lease_seconds=60)
    assert other.process_pending() == 0  # still leased
    clock.advance(seconds=61)
    assert other.process_pending() == 1
    assert [r.status for r in _rows(database, inbox)] == ["done"]

    # The dead worker coming back late cannot finish it a second time.
    with pytest.raises(LeaseLost):
        runtime.inbox.complete(abandoned[0], [Reply(text="late")])
    assert [json.loads(r.payload)["text"] for r in _rows(database, outbox)] == ["echo t1"]


def test_one_chat_is_handled_in_order_one_message_at_a_time(make_runtime):
    runtime = make_runtime()
    for n in range(3):
        runtime.inbox.accept(f"d{n}", make_message(n, chat="c1"))
    runtime.inbox.accept("x", make_message("x", chat="c2"))
    first = runtime.inbox.claim("w1", 10, 60)
    assert sorted(i.delivery_id for i in first) == ["d0", "x"]
    assert runtime.inbox.claim("w2", 10, 60) == []  # d1 waits for d0
    for item in first:
        runtime.inbox.complete(item, [])
    assert [i.delivery_id for i in runtime.inbox.claim("w2", 10, 60)] == ["d1"]


def test_failing_handler_is_retried_then_parked_with_its_error(
    make_runtime, database, clock, caplog
):
    calls = []

    def explode(message):
        calls.append(message.text)
        if message.text == "t1":
            raise ValueError("upstream said no")
        return [Reply(text="fine")]

    runtime = make_runtime(handler=explode, max_attempts=3)
    runtime.inbox.accept("bad-1", make_message(1))
    runtime.inbox.accept("good-2", make_message(2, chat="c2"))
    caplog.handler.addFilter(ContextFilter())
    with caplog.at_level(logging.ERROR, logger="bot.runtime.worker"):
        assert runtime.process_pending() == 2
        assert runtime.process_pending() == 0  # backing off
        clock.advance(seconds=2)
        runtime.process_pending()
        clock.advance(seconds=4)
        runtime.process_pending()
        clock.advance(seconds=600)
        assert runtime.process_pending() == 0
    assert calls.count("t1") == 3
    assert calls.count("t2") == 1
    rows = {r.delivery_id: r for r in _rows(database, inbox)}
    assert rows["bad-1"].status == "parked"
    assert rows["bad-1"].last_error == "ValueError: upstream said no"
    assert rows["good-2"].status == "done"
    failures = [r for r in caplog.records if r.getMessage().startswith("handler failed")]
    assert len(failures) == 3
    assert {r.delivery_id for r in failures} == {"testing:bad-1"}
    assert failures[0].exc_info is not None
    assert runtime.metrics.value("handled", platform="testing", outcome="parked") == 1


def test_parked_message_does_not_block_the_chat(make_runtime, clock):
    seen = []

    def handler(message):
        seen.append(message.text)
        if message.text == "t0":
            raise RuntimeError("boom")
        return []

    runtime = make_runtime(handler=handler, max_attempts=1)
    runtime.inbox.accept("d0", make_message(0))
    runtime.inbox.accept("d1", make_message(1))
    runtime.process_pending()
    assert seen == ["t0", "t1"]


def test_abandoned_on_the_last_attempt_is_parked_not_retried_forever(
    make_runtime, database, clock
):
    runtime = make_runtime(max_attempts=2)
    runtime.inbox.accept("d1", make_message(1))
    for _ in range(2):
        assert len(runtime.inbox.claim("dying", 1, 30)) == 1
        clock.advance(seconds=31)
    assert runtime.process_pending() == 0
    (row,) = _rows(database, inbox)
    assert (row.status, row.attempts) == ("parked", 2)
    assert "abandoned" in row.last_error


def test_purge_keeps_recent_and_unfinished_rows(make_runtime, database, clock):
    runtime = make_runtime()
    runtime.inbox.accept("old", make_message(1))
    runtime.process_pending()
    clock.advance(hours=49)
    runtime.inbox.accept("new", make_message(2, chat="c2"))
    assert runtime.inbox.purge(48 * 3600) == 1
    assert [r.delivery_id for r in _rows(database, inbox)] == ["new"]


def test_extend_keeps_a_slow_row_from_being_taken(make_runtime, clock):
    runtime = make_runtime()
    runtime.inbox.accept("d1", make_message(1))
    (item,) = runtime.inbox.claim("slow-worker", 10, lease_seconds=60)
    clock.advance(seconds=50)
    assert runtime.inbox.extend([item], lease_seconds=60) == 1
    clock.advance(seconds=50)
    assert runtime.inbox.claim("other", 10, 60) == []
    runtime.inbox.complete(item, [])
    assert runtime.inbox.extend([item], lease_seconds=60) == 0  # finished rows stay finished


def test_a_running_pool_renews_leases_of_slow_handlers(make_runtime, database):
    calls = []

    def slow(message):
        calls.append(message.text)
        time.sleep(1.0)  # far longer than the lease
        return [Reply(text="done")]

    real = Clock()
    pool = make_runtime(
        handler=slow, clock=real, worker_threads=1, lease_seconds=0.3, poll_interval=0.02
    )
    other = make_runtime(clock=real, lease_seconds=0.3)
    pool.inbox.accept("d1", make_message(1))
    pool.start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not calls:  # the pool has claimed the row
        time.sleep(0.01)
    while time.monotonic() < deadline and pool.inbox.counts() != {"done": 1}:
        assert other.process_pending() == 0  # never up for grabs while the handler runs
        time.sleep(0.05)
    assert pool.inbox.counts() == {"done": 1}
    assert calls == ["t1"]


def test_a_sequential_pass_claims_one_row_at_a_time(make_runtime, clock):
    """Nothing renews leases in `process_pending`: a claimed batch would expire behind slow
    answers and be taken (and answered) by another worker while still queued here."""
    seen, taken = [], []

    def slow(message):
        seen.append(message.text)
        clock.advance(seconds=20)  # two of these outlast a 30 s lease
        if len(seen) == 2:
            taken.extend(i.delivery_id for i in other.inbox.claim("other", 10, 30))
        return [Reply(text="ok")]

    runtime = make_runtime(handler=slow, lease_seconds=30)
    other = make_runtime(lease_seconds=30)
    for n in range(3):
        runtime.inbox.accept(f"d{n}", make_message(n, chat=f"c{n}"))
    assert runtime.process_pending() == 2
    assert (seen, taken) == (["t0", "t1"], ["d2"])  # d2 was never claimed here


def test_a_stopping_pool_keeps_renewing_the_lease_of_its_last_row(make_runtime):
    started = threading.Event()

    def slow(message):
        started.set()
        time.sleep(1.0)  # far longer than the lease
        return [Reply(text="done")]

    real = Clock()
    pool = make_runtime(
        handler=slow, clock=real, worker_threads=1, lease_seconds=0.3, poll_interval=0.02
    )
    other = make_runtime(clock=real, lease_seconds=0.3)
    pool.inbox.accept("d1", make_message(1))
    pool.start()
    assert started.wait(5)
    stopping = threading.Thread(target=pool.stop)  # SIGTERM while the handler runs
    stopping.start()
    while stopping.is_alive():
        assert other.process_pending() == 0  # never up for grabs while it finishes
        time.sleep(0.05)
    assert pool.inbox.counts() == {"done": 1}
