"""Outbox and sender against a real fake-platform HTTP server, on SQLite and PostgreSQL."""

from __future__ import annotations

import time

from sqlalchemy import select

from bot.models import Reply, Target
from bot.runtime.ports import RateLimit, SendLimits
from bot.runtime.schema import outbox
from tests.fakes.testing_platform import TestingSender
from tests.support.runtime import make_message

ALICE = Target("testing", "alice", "alice")
BOB = Target("testing", "bob", "bob")


def _row(database, key):
    with database.engine.connect() as conn:
        return conn.execute(select(outbox).where(outbox.c.idempotency_key == key)).one()


def test_enqueue_is_exactly_once_per_key(make_runtime, platform_api):
    runtime = make_runtime()
    assert runtime.outbox.enqueue(ALICE, Reply(text="parcel moved"), "push:sub1:ev7") is True
    assert runtime.outbox.enqueue(ALICE, Reply(text="parcel moved"), "push:sub1:ev7") is False
    assert runtime.send_pending() == 1
    assert runtime.send_pending() == 0
    assert [(s.chat_id, s.text, s.idempotency_key) for s in platform_api.sends] == [
        ("alice", "parcel moved", "push:sub1:ev7")
    ]


def test_a_reply_is_never_sent_twice_across_a_sender_restart(make_runtime, platform_api):
    first = make_runtime()
    for n in range(5):
        first.inbox.accept(f"d{n}", make_message(n, chat=f"chat{n}"))
    first.process_pending()
    assert first.send_pending() == 5
    first.stop()

    restarted = make_runtime()  # a new process: new sender, new HTTP client
    assert restarted.send_pending() == 0
    keys = platform_api.sent_keys()
    assert sorted(keys) == [f"testing:d{n}:0" for n in range(5)]


def test_send_cut_off_before_it_was_recorded_repeats_with_the_same_key(
    make_runtime, platform_api, clock
):
    runtime = make_runtime()
    runtime.outbox.enqueue(ALICE, Reply(text="hi"), "key-1")
    (item,) = runtime.outbox.claim("crashing-sender", 10, lease_seconds=60)
    # The platform got it, then the sender died before writing "sent".
    TestingSender(platform_api.url).send(item.target, item.reply, item.idempotency_key)
    assert runtime.send_pending() == 0  # leased
    clock.advance(seconds=61)
    assert runtime.send_pending() == 1
    # At-least-once: the repeat carries the same key, which platforms use to drop it.
    assert platform_api.sent_keys() == ["key-1", "key-1"]
    assert platform_api.visible_count() == 1  # as Feishu does with its uuid


def test_a_send_whose_lease_is_running_out_is_released_untried(
    make_runtime, platform_api, database, clock
):
    runtime = make_runtime(send_lease_seconds=60)
    runtime.outbox.enqueue(ALICE, Reply(text="a1"), "a1")
    (item,) = runtime.outbox.claim(runtime.owner, 10, lease_seconds=60)
    clock.advance(seconds=50)  # a long sequential pass: another sender may take it soon
    assert runtime.sender.deliver(item) is False
    assert platform_api.sent_keys() == []
    row = _row(database, "a1")
    assert (row.status, row.attempts) == ("pending", 0)
    assert runtime.send_pending() == 1  # due again at once, not when the lease ends
    assert platform_api.sent_keys() == ["a1"]


def test_sender_threads_send_to_different_chats_at_the_same_time(make_runtime, platform_api):
    # Answers wait until four sends are open at once: only four threads sending to four
    # different chats together get past that gate without its 10 s fallback.
    platform_api.hold_until = 4
    runtime = make_runtime(sender_threads=4, poll_interval=0.02)
    for n in range(4):
        runtime.outbox.enqueue(Target("testing", f"chat{n}", "u"), Reply(text="hi"), f"k{n}")
    runtime.outbox.enqueue(ALICE, Reply(text="a1"), "a1")
    runtime.outbox.enqueue(ALICE, Reply(text="a2"), "a2")
    started = time.monotonic()
    runtime.start()
    while len(platform_api.sent_keys()) < 6 and time.monotonic() - started < 30:
        time.sleep(0.02)
    runtime.stop()
    assert sorted(platform_api.sent_keys()) == ["a1", "a2", "k0", "k1", "k2", "k3"]
    keys = platform_api.sent_keys()
    assert keys.index("a1") < keys.index("a2")  # one chat: in order, one at a time
    assert platform_api.max_in_flight == 4
    assert platform_api.max_in_flight_per_chat == 1


def test_retry_after_reschedules_the_row_without_blocking_other_chats(
    make_runtime, platform_api, database, clock
):
    runtime = make_runtime()
    platform_api.script["alice"].append((429, 5))
    runtime.outbox.enqueue(ALICE, Reply(text="a1"), "a1")
    runtime.outbox.enqueue(ALICE, Reply(text="a2"), "a2")
    runtime.outbox.enqueue(BOB, Reply(text="b1"), "b1")
    assert runtime.send_pending() == 1
    assert platform_api.sent_keys() == ["b1"]
    row = _row(database, "a1")
    assert row.status == "pending"
    assert row.attempts == 0  # a rate limit is not a failure
    assert (row.available_at - clock.now()).total_seconds() == 5
    clock.advance(seconds=4)
    assert runtime.send_pending() == 0
    clock.advance(seconds=1)
    assert runtime.send_pending() == 2
    assert platform_api.sent_keys() == ["b1", "a1", "a2"]  # alice's order kept
    assert runtime.metrics.value("send_failures", platform="testing", reason="retry_after") == 1


def test_permanent_refusal_marks_unreachable_and_calls_back(make_runtime, platform_api, database):
    told = []
    runtime = make_runtime(on_unreachable=told.append)
    platform_api.script["alice"].append((403, None))
    runtime.outbox.enqueue(ALICE, Reply(text="a1"), "a1")
    runtime.outbox.enqueue(ALICE, Reply(text="a2"), "a2")
    assert runtime.send_pending() == 0
    assert told == [ALICE]
    assert runtime.is_unreachable(ALICE)
    assert not runtime.is_unreachable(BOB)
    assert _row(database, "a1").status == "parked"
    assert "permanent" in _row(database, "a1").last_error
    # Later sends to that chat are parked without another try.
    assert _row(database, "a2").status == "parked"
    assert platform_api.sent_keys() == []
    assert len(told) == 1

    # The chat writes to the bot again: reachable, and its reply is sent.
    runtime.inbox.accept("back", make_message(1, chat="alice"))
    runtime.process_pending()
    assert not runtime.is_unreachable(ALICE)
    assert runtime.send_pending() == 1
    assert platform_api.sent_keys() == ["testing:back:0"]


def test_failing_sends_back_off_then_park(make_runtime, platform_api, database, clock):
    runtime = make_runtime(max_send_attempts=3)
    platform_api.script["alice"].extend([(500, None)] * 3)
    runtime.outbox.enqueue(ALICE, Reply(text="a1"), "a1")
    runtime.outbox.enqueue(BOB, Reply(text="b1"), "b1")
    assert runtime.send_pending() == 1
    for _ in range(2):
        assert _row(database, "a1").status == "pending"
        clock.advance(seconds=300)
        runtime.send_pending()
    row = _row(database, "a1")
    assert (row.status, row.attempts) == ("parked", 3)
    assert row.last_error == "error: HTTP 500"
    assert platform_api.sent_keys() == ["b1"]


def test_network_failure_is_retried(make_runtime, platform_api, database, clock):
    dead = TestingSender("http://127.0.0.1:9")  # nothing listens on the discard port
    runtime = make_runtime(sender=dead)
    runtime.outbox.enqueue(ALICE, Reply(text="a1"), "a1")
    assert runtime.send_pending() == 0
    row = _row(database, "a1")
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error.startswith("error: ConnectError")


def test_own_rate_limit_defers_instead_of_sleeping(make_runtime, platform_api, clock):
    limits = SendLimits(RateLimit(1, 1.0), RateLimit(20, 60.0), RateLimit(30, 1.0))
    runtime = make_runtime(sender=TestingSender(platform_api.url, limits))
    for n in range(3):
        runtime.outbox.enqueue(ALICE, Reply(text=f"a{n}"), f"a{n}")
    runtime.outbox.enqueue(BOB, Reply(text="b0"), "b0")
    assert runtime.send_pending() == 2
    assert sorted(platform_api.sent_keys()) == ["a0", "b0"]
    clock.advance(seconds=1)
    assert runtime.send_pending() == 1
    clock.advance(seconds=1)
    assert runtime.send_pending() == 1
    assert [k for k in platform_api.sent_keys() if k.startswith("a")] == ["a0", "a1", "a2"]
