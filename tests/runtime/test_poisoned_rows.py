"""A row that cannot be handled or sent never blocks anyone, on SQLite and PostgreSQL.

Failures are recorded and retried with back-off a bounded number of times, then parked with a
reason; a failed row holds its chat's later rows only for `hold_seconds`; one unreadable row
in a claimed batch does not stop the others. Time is a fake clock moved by the tests.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select, update

from bot.models import Reply, Target
from bot.runtime.ports import RateLimit, SendLimits, SendResult
from bot.runtime.schema import PARKED, PENDING, SENT, inbox, outbox
from tests.support.runtime import make_message

_GENEROUS = RateLimit(10_000, 1.0)


@dataclass
class PoisonSender:
    """A platform that fails every send of a reply containing "poison" (a 500), and
    accepts the rest; `tries` counts every send, failed or not."""

    platform: str = "testing"
    limits: SendLimits = SendLimits(_GENEROUS, _GENEROUS, _GENEROUS)
    sent: list[str] = field(default_factory=list)
    tries: list[str] = field(default_factory=list)

    def send(self, target: Target, reply: Reply, idempotency_key: str) -> SendResult:
        self.tries.append(reply.text)
        if "poison" in reply.text:
            return SendResult(ok=False, error="500 boom")
        self.sent.append(reply.text)
        return SendResult(ok=True, message_id=str(len(self.sent)))

    def close(self) -> None:
        pass


def rows(database, table):
    with database.engine.connect() as conn:
        return list(conn.execute(select(table).order_by(table.c.id)))


def say(runtime, n: int, text: str, chat: str = "c1") -> None:
    runtime.inbox.accept(f"d{n}", make_message(n, chat=chat, text=text))


def test_a_poisoned_reply_is_parked_after_its_retries_and_the_next_one_goes(
    make_runtime, database, clock
):
    sender = PoisonSender()
    runtime = make_runtime(sender=sender, max_send_attempts=3, hold_seconds=10)
    say(runtime, 1, "poison")
    say(runtime, 2, "hello")
    assert runtime.process_pending() == 2
    assert runtime.send_pending() == 0  # the poisoned head failed; "hello" waits behind it
    assert (sender.tries, sender.sent) == (["echo poison"], [])
    first = rows(database, outbox)[0]
    assert (first.status, first.attempts, first.last_error) == (PENDING, 1, "error: 500 boom")

    clock.advance(2)  # the retry is due; the hold (10 s from the first failure) is not over
    assert runtime.send_pending() == 0
    assert (sender.tries, sender.sent) == (["echo poison"] * 2, [])

    clock.advance(8)  # hold over: "hello" goes; the poisoned row fails its last try
    assert runtime.send_pending() == 1
    assert sender.sent == ["echo hello"] and sender.tries.count("echo poison") == 3
    poisoned, answered = rows(database, outbox)
    assert (poisoned.status, poisoned.park_reason, poisoned.attempts) == (PARKED, "error", 3)
    assert answered.status == SENT
    assert 'kuaidi_parked_rows{queue="outbox",reason="error"} 1' in runtime.metrics_text()

    clock.advance(3600)  # parked for good: never tried again
    assert runtime.send_pending() == 0 and sender.tries.count("echo poison") == 3


def test_order_is_kept_among_the_rows_behind_a_held_one(make_runtime, database, clock):
    sender = PoisonSender()
    runtime = make_runtime(sender=sender, max_send_attempts=10, hold_seconds=10)
    say(runtime, 1, "poison")
    runtime.process_pending()
    runtime.send_pending()
    for n in (2, 3, 4):
        say(runtime, n, f"m{n}")
    runtime.process_pending()
    clock.advance(10)
    # Each pass claims the chat's head only: the three go one per pass, in order.
    for _ in range(3):
        runtime.sender.send_pending("one-pass")
    assert sender.sent == ["echo m2", "echo m3", "echo m4"]
    assert rows(database, outbox)[0].status == PENDING  # still retrying on its own


def test_a_deferred_row_still_holds_its_chat(make_runtime, database, clock):
    """A rate-limited row is not a failure: later rows would be limited too, so they wait."""
    sender = PoisonSender()
    runtime = make_runtime(sender=sender, hold_seconds=10)
    say(runtime, 1, "first")
    say(runtime, 2, "second")
    runtime.process_pending()
    [item] = runtime.outbox.claim("w", 10, 30)
    runtime.outbox.reschedule(item, 60, count=False)
    clock.advance(30)
    assert runtime.send_pending() == 0
    clock.advance(30)
    assert runtime.send_pending() == 2 and sender.sent == ["echo first", "echo second"]


def test_a_message_whose_handler_keeps_failing_is_parked_not_abandoned(
    make_runtime, database, clock
):
    tries = []

    def handler(message):
        tries.append(message.text)
        if message.text == "poison":
            raise RuntimeError("poisoned")
        return [Reply(text=f"echo {message.text}")]

    runtime = make_runtime(handler=handler, max_attempts=3, hold_seconds=10)
    say(runtime, 1, "poison")
    say(runtime, 2, "hello")
    assert runtime.process_pending() == 1  # the poisoned one failed; "hello" is held
    first = rows(database, inbox)[0]
    assert (first.attempts, first.last_error) == (1, "RuntimeError: poisoned")
    clock.advance(2)
    runtime.process_pending()
    assert tries == ["poison", "poison"]
    clock.advance(8)
    runtime.process_pending()
    # Both are due: the poisoned row's last try (its hold is over) and "hello".
    assert sorted(tries[2:]) == ["hello", "poison"] and len(tries) == 4
    poisoned, answered = rows(database, inbox)
    assert (poisoned.status, poisoned.park_reason) == (PARKED, "handler_error")
    assert answered.status == "done"
    assert [json.loads(r.payload)["text"] for r in rows(database, outbox)] == ["echo hello"]
    assert 'kuaidi_parked_rows{queue="inbox",reason="handler_error"} 1' in runtime.metrics_text()


def test_a_claimed_batch_with_one_unreadable_row_delivers_the_others(
    make_runtime, database, clock
):
    sender = PoisonSender()
    runtime = make_runtime(sender=sender, max_send_attempts=2)
    for n, chat in enumerate(("a", "b", "c"), 1):
        runtime.outbox.enqueue(Target("testing", chat), Reply(text=f"to {chat}"), f"k{n}")
    with database.engine.begin() as conn:
        conn.execute(update(outbox).where(outbox.c.chat_id == "b").values(payload="{not json"))
    assert runtime.send_pending() == 2  # one claim of three rows
    assert sender.sent == ["to a", "to c"]
    bad = rows(database, outbox)[1]
    assert bad.status == PENDING and bad.last_error.startswith("unreadable: unreadable payload")
    clock.advance(60)
    assert runtime.send_pending() == 0
    bad = rows(database, outbox)[1]
    assert (bad.status, bad.park_reason, bad.attempts) == (PARKED, "unreadable", 2)


def test_an_unreadable_inbox_row_fails_alone(make_runtime, database, clock):
    runtime = make_runtime(max_attempts=2)
    for n, chat in enumerate(("a", "b", "c"), 1):
        say(runtime, n, f"m{n}", chat=chat)
    with database.engine.begin() as conn:
        conn.execute(update(inbox).where(inbox.c.delivery_id == "d2").values(payload="[]"))
    items = runtime.inbox.claim("w", 10, 30)
    assert [i.message is None for i in items] == [False, True, False]
    assert [runtime.worker.handle(i) for i in items] == ["done", "retry", "done"]
    clock.advance(60)
    assert runtime.process_pending() == 1
    bad = rows(database, inbox)[1]
    assert (bad.status, bad.park_reason) == (PARKED, "unreadable")


def test_a_reply_whose_finish_fails_is_retried_not_left_on_its_lease(
    make_runtime, database, clock, mocker
):
    sender = PoisonSender()
    runtime = make_runtime(sender=sender)
    say(runtime, 1, "hello")
    runtime.process_pending()
    mocker.patch.object(runtime.outbox, "mark_sent", side_effect=RuntimeError("db refused"))
    assert runtime.send_pending() == 0
    [row] = rows(database, outbox)
    assert (row.status, row.attempts) == (PENDING, 1)
    assert row.last_error == "crashed: RuntimeError: db refused"
    # Due after the back-off (2 s), not after the lease (30 s): a failure, not a lost claim.
    assert row.available_at == clock.now() + timedelta(seconds=2)
    mocker.stopall()
    clock.advance(2)
    assert runtime.send_pending() == 1


def test_replies_that_cannot_be_stored_fail_the_message_with_a_reason(
    make_runtime, database, clock, mocker
):
    runtime = make_runtime(max_attempts=2)
    say(runtime, 1, "hello")
    mocker.patch.object(runtime.outbox, "add", side_effect=RuntimeError("value too long"))
    assert runtime.process_pending() == 1
    [row] = rows(database, inbox)
    assert (row.status, row.last_error) == (PENDING, "RuntimeError: value too long")
    assert row.available_at == clock.now() + timedelta(seconds=2)
    clock.advance(2)
    runtime.process_pending()
    [row] = rows(database, inbox)
    assert (row.status, row.park_reason) == (PARKED, "store_error")


def test_a_reply_claimed_again_and_again_without_a_finish_is_parked(make_runtime, database, clock):
    sender = PoisonSender()
    runtime = make_runtime(sender=sender, max_send_attempts=3, send_lease_seconds=30)
    say(runtime, 1, "hello")
    runtime.process_pending()
    for _ in range(3):  # a sender process dies mid-send, three times
        assert len(runtime.outbox.claim("doomed", 10, 30)) == 1
        clock.advance(31)
    assert runtime.send_pending() == 0 and sender.tries == []
    [row] = rows(database, outbox)
    assert (row.status, row.park_reason) == (PARKED, "abandoned")
