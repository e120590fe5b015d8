"""Fixtures for the web app: a runtime with the testing adapter, and the Flask app over it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.web import create_app
from bot.runtime.config import NO_THREADS, RuntimePorts
from bot.runtime.runtime import Runtime
from bot.settings import Settings
from tests.fakes.testing_platform import FakePlatformAPI, TestingAdapter
from tests.support.web import SECRET, answer


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


@pytest.fixture
def runtime(database, clock, adapter) -> Iterator[Runtime]:
    """A runtime without threads (tests drive it with process_pending / send_pending)."""
    runtime = Runtime(
        RuntimePorts(database, answer, {"testing": adapter.sender()}, clock), NO_THREADS
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
