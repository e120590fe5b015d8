"""Webhook bodies and signatures of the testing platform, and the handler behind the web app."""

from __future__ import annotations

import json
import time

from bot.models import Incoming, Reply
from tests.fakes.testing_platform import signed_headers

SECRET = "test-webhook-secret"


def answer(message: Incoming) -> list[Reply]:
    """The handler: one reply per message."""
    return [Reply(text=f"re: {message.text}")]


def update_body(update_id: str | int, text: str = "hello", chat: str = "c1") -> bytes:
    """A webhook body of the testing platform."""
    data = {"update_id": update_id, "chat_id": chat, "user_id": "u1", "text": text}
    return json.dumps(data).encode()


def signed(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Headers signing `body`."""
    return signed_headers(secret, body, int(time.time()) if timestamp is None else timestamp)
