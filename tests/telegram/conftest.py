"""Fixtures for the Telegram adapter: the test vector, the fake Bot API, a recording inbox,
an adapter pointed at the fake, and a Flask app with the adapter's blueprint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from adapters.telegram import TelegramAdapter
from adapters.telegram.bridge import BotIdentity
from bot.settings import Settings
from tests.fakes.platform import RecordingInbox  # noqa: F401
from tests.telegram.fake_bot_api import TOKEN, FakeBotApi

VECTOR_PATH = Path(__file__).resolve().parents[1] / "data/vectors/telegram.json"


@pytest.fixture(scope="session")
def vector() -> dict:
    """shared/data/vectors/telegram.json."""
    return json.loads(VECTOR_PATH.read_text(encoding="utf-8"))


@pytest.fixture
def me(vector) -> BotIdentity:
    """Our identity as the vector's getMe states it."""
    return BotIdentity(vector["bot_getMe"]["id"], vector["bot_getMe"]["username"])


@pytest.fixture
def fake_api(vector) -> Iterator[FakeBotApi]:
    """The fake Bot API server, answering getMe with the vector's bot."""
    with FakeBotApi(me=vector["bot_getMe"]) as server:
        yield server


@pytest.fixture
def settings(fake_api, vector, monkeypatch) -> Settings:
    """Settings pointing at the fake (webhook URL unset: long-polling mode)."""
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    return Settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        telegram_webhook_secret=vector["secret_token"],
        telegram_api_base=fake_api.base,
    )


@pytest.fixture
def adapter(settings) -> Iterator[TelegramAdapter]:
    """The adapter under test; stopped afterwards."""
    telegram_adapter = TelegramAdapter(settings, poll_timeout=1)
    yield telegram_adapter
    telegram_adapter.stop()


@pytest.fixture
def inbox() -> RecordingInbox:
    """A fresh recording inbox."""
    return RecordingInbox()


@pytest.fixture
def client(adapter, inbox):
    """A Flask test client for an app with only the Telegram blueprint."""
    app = Flask(__name__)
    app.register_blueprint(adapter.blueprint(inbox))
    return app.test_client()
