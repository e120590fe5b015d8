"""Fixtures for the WeCom adapter tests: vectors, settings, fake API, inbox, Flask client."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from adapters.wecom import WeComAdapter
from adapters.wecom.response_urls import MemoryResponseUrls
from bot.clock import FakeClock
from tests.wecom.support import FakeWeCom, MemoryTokenCache, RecordingInbox, make_settings

VECTORS = Path(__file__).resolve().parents[1] / "data/vectors/wecom.json"


@pytest.fixture(scope="session")
def vectors() -> dict:
    """The official WeCom sample vectors (A–E)."""
    return json.loads(VECTORS.read_text(encoding="utf-8"))


@pytest.fixture
def fake_api() -> Iterator[FakeWeCom]:
    """A running fake WeCom API."""
    server = FakeWeCom().start()
    yield server
    server.close()


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock starting at the real time, so freshly signed requests are fresh."""
    return FakeClock(datetime.now(UTC))


@pytest.fixture
def tokens(clock) -> MemoryTokenCache:
    return MemoryTokenCache(clock)


@pytest.fixture
def urls() -> MemoryResponseUrls:
    return MemoryResponseUrls()


@pytest.fixture
def inbox() -> RecordingInbox:
    return RecordingInbox()


@pytest.fixture
def adapter(vectors, fake_api, tokens, urls, clock) -> Iterator[WeComAdapter]:
    """The adapter against the fake API, with in-memory response URLs."""
    built = WeComAdapter(make_settings(vectors, fake_api.base), tokens, urls, clock)
    yield built
    built.stop()


@pytest.fixture
def client(adapter, inbox):
    """A Flask test client with the WeCom blueprint."""
    app = Flask(__name__)
    app.register_blueprint(adapter.blueprint(inbox))
    return app.test_client()


@pytest.fixture
def client_at(vectors, fake_api, tokens, urls, inbox) -> Callable[[str], FlaskClient]:
    """A client of an adapter whose clock reads `timestamp`: the official vectors were signed
    years ago, and a replay of them is refused at any other time."""
    adapters: list[WeComAdapter] = []

    def build(timestamp: str) -> FlaskClient:
        at = FakeClock(datetime.fromtimestamp(int(timestamp), UTC))
        adapters.append(WeComAdapter(make_settings(vectors, fake_api.base), tokens, urls, at))
        app = Flask(__name__)
        app.register_blueprint(adapters[-1].blueprint(inbox))
        return app.test_client()

    yield build
    for built in adapters:
        built.stop()
