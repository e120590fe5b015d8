"""Fixtures for the Feishu adapter tests: settings, fake API, inbox, Flask app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from adapters.feishu import FeishuAdapter, build_adapter
from tests.feishu.support import FakeFeishu, MemoryTokenCache, RecordingInbox, make_settings


@pytest.fixture
def fake_api() -> Iterator[FakeFeishu]:
    """A running fake Feishu open API."""
    server = FakeFeishu().start()
    yield server
    server.close()


@pytest.fixture
def tokens() -> MemoryTokenCache:
    return MemoryTokenCache()


@pytest.fixture
def inbox() -> RecordingInbox:
    return RecordingInbox()


@pytest.fixture
def adapter(fake_api, tokens) -> Iterator[FeishuAdapter]:
    """The adapter against the fake API (webhook mode, encryption on)."""
    built = build_adapter(make_settings(fake_api.base), tokens)
    yield built
    built.stop()


@pytest.fixture
def client(adapter, inbox):
    """A Flask test client with the Feishu blueprint; the bot's open_id already learned."""
    app = Flask(__name__)
    app.register_blueprint(adapter.blueprint(inbox))
    assert adapter.identity.wait(5), "bot info was not fetched from the fake API"
    return app.test_client()
