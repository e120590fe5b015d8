"""The admin's /status lists parked rows: how many per queue and reason, then the newest."""

from __future__ import annotations

from bot.models import Reply, Target
from tests.support.runtime import make_message


def test_status_lists_parked_rows_by_reason(world):
    status = world.chat("c1", "admin").say("/status")[0].text
    assert "搁置" not in status  # nothing parked, nothing said

    world.sender.blocked.add("c9")
    world.runtime.outbox.enqueue(Target("test", "c9"), Reply(text="x"), "push:1")
    assert world.runtime.send_pending() == 0  # refused for good: parked at once

    def broken(message):
        raise ValueError("cannot parse this")

    world.runtime.worker.handler = broken
    world.runtime.inbox.max_attempts = 1
    world.runtime.inbox.accept("d1", make_message(1, chat="c7"))
    world.runtime.process_pending()

    text = world.chat("c1", "admin", language="en").say("/status")[0].text
    lines = text.splitlines()
    assert "🅿️ Parked (inbox): 1 (handler_error 1); newest:" in lines
    assert "🅿️ Parked (outbox): 1 (permanent 1); newest:" in lines
    shown = [line.split(" ", 4)[4] for line in lines if line.startswith("  • #")]
    assert shown == [
        "testing:c7 handler_error ×1: ValueError: cannot parse this",
        "test:c9 permanent ×1: permanent: 403 bot was blocked",
    ]
    # Not for everyone.
    assert "Parked" not in world.chat("c1", "u1", language="en").say("/status")[0].text
