"""Fixtures for the Telegram adapter: the test vector, the fake Bot API, a recording inbox,
an adapter pointed at the fake, and a Flask app with the adapter's blueprint."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from adapters.telegram import TelegramAdapter
from adapters.telegram.bridge import BotIdentity
from bot.models import Incoming
from bot.settings import Settings
from tests.telegram.fake_bot_api import TOKEN, FakeBotApi

VECTOR_PATH = Path(__file__).resolve().parents[1] / "data/vectors/telegram.json"


class RecordingInbox:
    """An `Inbox` that records accepted messages and de-duplicates by delivery id.

    `fail_times` makes the first N accept() calls raise, like a database outage."""

    def __init__(self, fail_times: int = 0) -> None:
        self.accepted: list[tuple[str, Incoming]] = []
        self.calls = 0
        self._fail_times = fail_times
        self._lock = threading.Lock()

    def accept(self, delivery_id: str, message: Incoming) -> bool:
        """Record once per (platform, delivery id)."""
        with self._lock:
            self.calls += 1
            if self._fail_times > 0:
                self._fail_times -= 1
                raise ConnectionError("database unavailable")
            seen = {(m.platform, d) for d, m in self.accepted}
            if (message.platform, delivery_id) in seen:
                return False
            self.accepted.append((delivery_id, message))
            return True

    @property
    def messages(self) -> list[Incoming]:
        """The accepted messages, in order."""
        return [message for _, message in self.accepted]


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
