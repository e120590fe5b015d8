"""Fixtures for the Feishu adapter tests: settings, fake API, inbox, Flask app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from adapters.feishu import FeishuAdapter, build_adapter
from bot.settings import Settings
from tests.feishu.support import FakeFeishu, MemoryTokenCache, RecordingInbox


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


def make_settings(api_base: str, **overrides) -> Settings:
    """Settings for the vector's app, reading no `.env` file."""
    values = {
        "feishu_app_id": "cli_test",
        "feishu_app_secret": "app-secret",
        "feishu_verification_token": "test-verification-token",
        "feishu_encrypt_key": "test key",
        "feishu_mode": "webhook",
        "feishu_api_base": api_base,
        **overrides,
    }
    return Settings(_env_file=None, **values)


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
