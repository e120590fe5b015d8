"""Messages and handlers for runtime tests."""

from __future__ import annotations

import time

from bot.models import Incoming, Reply


def echo(message: Incoming) -> list[Reply]:
    """A handler answering every message with one reply."""
    return [Reply(text=f"echo {message.text}")]


def make_message(n: int | str, chat: str = "c1", text: str | None = None) -> Incoming:
    """An incoming message of the testing platform."""
    return Incoming("testing", chat, "u1", f"m{n}", text if text is not None else f"t{n}")


def process_until(runtime, count: int, seconds: float = 10.0) -> int:
    """Work the inbox until `count` messages were handled (a long-poll intake feeds it from its
    own thread) or `seconds` pass; the number handled. A bound on waiting, not an assertion."""
    processed = 0
    deadline = time.monotonic() + seconds
    while processed < count and time.monotonic() < deadline:
        processed += runtime.process_pending()
        time.sleep(0.02)
    return processed
