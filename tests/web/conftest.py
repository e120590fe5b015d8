"""Fixtures for the web app: a runtime with the testing adapter, and the Flask app over it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from adapters.testing import FakePlatformAPI, TestingAdapter, signed_headers
from adapters.web import create_app
from bot.models import Incoming, Reply
from bot.runtime.runtime import Runtime
from bot.settings import Settings

SECRET = "test-webhook-secret"


@pytest.fixture
def platform_api() -> Iterator[FakePlatformAPI]:
    """A real HTTP server on 127.0.0.1 recording the sends it accepts."""
    api = FakePlatformAPI()
    api.start()
    yield api
    api.stop()


@pytest.fixture
def adapter(platform_api) -> Iterator[TestingAdapter]:
    """The test-only platform adapter, sending to the fake platform API."""
    adapter = TestingAdapter(SECRET, platform_api.url)
    yield adapter
    adapter.stop()


def answer(message: Incoming) -> list[Reply]:
    """The handler: one reply per message."""
    return [Reply(text=f"re: {message.text}")]


@pytest.fixture
def runtime(database, clock, adapter) -> Iterator[Runtime]:
    """A runtime without threads (tests drive it with process_pending / send_pending)."""
    runtime = Runtime(
        database,
        answer,
        {"testing": adapter.sender()},
        clock,
        worker_threads=0,
        sender_threads=0,
    )
    yield runtime
    runtime.stop()


@pytest.fixture
def settings() -> Settings:
    """Settings with a small request limit."""
    return Settings(_env_file=None, max_request_bytes=4096)


@pytest.fixture
def client(runtime, adapter, settings):
    """A Flask test client of the app."""
    return create_app(runtime, [adapter], settings, lambda: True).test_client()


def update_body(update_id: str | int, text: str = "hello", chat: str = "c1") -> bytes:
    """A webhook body of the testing platform."""
    data = {"update_id": update_id, "chat_id": chat, "user_id": "u1", "text": text}
    return json.dumps(data).encode()


def signed(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Headers signing `body`."""
    return signed_headers(secret, body, int(time.time()) if timestamp is None else timestamp)
