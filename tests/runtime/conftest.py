"""Fixtures for runtime tests: a fake platform API on 127.0.0.1 and runtime builders."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from adapters.testing import FakePlatformAPI, TestingSender
from bot.models import Incoming, Reply
from bot.runtime.runtime import Runtime


@pytest.fixture
def platform_api() -> Iterator[FakePlatformAPI]:
    """A real HTTP server recording the sends it accepts."""
    api = FakePlatformAPI()
    api.start()
    yield api
    api.stop()


def echo(message: Incoming) -> list[Reply]:
    """A handler answering every message with one reply."""
    return [Reply(text=f"echo {message.text}")]


def make_message(n: int | str, chat: str = "c1", text: str | None = None) -> Incoming:
    """An incoming message of the testing platform."""
    return Incoming("testing", chat, "u1", f"m{n}", text if text is not None else f"t{n}")


@pytest.fixture
def make_runtime(database, clock, platform_api) -> Iterator[Callable[..., Runtime]]:
    """Build runtimes over the test database that send to the fake platform API."""
    built: list[Runtime] = []
    senders: list[TestingSender] = []

    def build(handler=echo, **kwargs) -> Runtime:
        sender = kwargs.pop("sender", None) or TestingSender(platform_api.url)
        senders.append(sender)
        kwargs.setdefault("worker_threads", 0)
        kwargs.setdefault("sender_threads", 0)
        runtime = Runtime(
            kwargs.pop("db", database),
            handler,
            {"testing": sender},
            kwargs.pop("clock", clock),
            **kwargs,
        )
        built.append(runtime)
        return runtime

    yield build
    for runtime in built:
        runtime.stop(timeout=5)
    for sender in senders:
        sender.close()
