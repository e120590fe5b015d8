"""Fixtures for runtime tests: a fake platform API on 127.0.0.1 and runtime builders."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import fields

import pytest

from bot.runtime.config import DeliveryPolicy, RuntimePorts, RuntimeThreads
from bot.runtime.runtime import Runtime
from tests.fakes.testing_platform import FakePlatformAPI, TestingSender
from tests.support.runtime import echo


@pytest.fixture
def platform_api() -> Iterator[FakePlatformAPI]:
    """A real HTTP server recording the sends it accepts."""
    api = FakePlatformAPI()
    api.start()
    yield api
    api.stop()


def pick(record: type, kwargs: dict) -> dict:
    """Take out of `kwargs` the keyword arguments that are fields of `record`."""
    return {f.name: kwargs.pop(f.name) for f in fields(record) if f.name in kwargs}


@pytest.fixture
def make_runtime(database, clock, platform_api) -> Iterator[Callable[..., Runtime]]:
    """Build runtimes over the test database that send to the fake platform API."""
    built: list[Runtime] = []
    senders: list[TestingSender] = []

    def build(handler=echo, **kwargs) -> Runtime:
        sender = kwargs.pop("sender", None) or TestingSender(platform_api.url)
        senders.append(sender)
        ports = RuntimePorts(
            kwargs.pop("db", database),
            handler,
            {"testing": sender},
            kwargs.pop("clock", clock),
            **pick(RuntimePorts, kwargs),
        )
        no_threads = {"worker_threads": 0, "sender_threads": 0}
        threads = RuntimeThreads(**no_threads | pick(RuntimeThreads, kwargs))
        runtime = Runtime(ports, threads, DeliveryPolicy(**pick(DeliveryPolicy, kwargs)))
        assert not kwargs, f"not a Runtime setting: {sorted(kwargs)}"
        built.append(runtime)
        return runtime

    yield build
    for runtime in built:
        runtime.stop(timeout=5)
    for sender in senders:
        sender.close()
