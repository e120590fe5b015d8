"""Messages and handlers for runtime tests."""

from __future__ import annotations

from bot.models import Incoming, Reply


def echo(message: Incoming) -> list[Reply]:
    """A handler answering every message with one reply."""
    return [Reply(text=f"echo {message.text}")]


def make_message(n: int | str, chat: str = "c1", text: str | None = None) -> Incoming:
    """An incoming message of the testing platform."""
    return Incoming("testing", chat, "u1", f"m{n}", text if text is not None else f"t{n}")
