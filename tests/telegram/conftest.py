"""Fixtures for the Telegram adapter: the test vector, the fake Bot API, a recording inbox,
an adapter pointed at the fake, a Flask app with the adapter's blueprint, and the adapter
inside the real web app and runtime (`stack`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from adapters.telegram import TelegramAdapter, build_adapter
from adapters.telegram.bridge import BotIdentity
from adapters.web import create_app
from bot.models import Incoming, Reply
from bot.runtime.config import NO_THREADS, RuntimePorts
from bot.runtime.runtime import Runtime
from bot.runtime.shared import SharedState
from bot.settings import Settings
from bot.storage import open_database
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


def echo_handler(message: Incoming) -> list[Reply]:
    """A stand-in engine: echo commands, refresh a card on a button press."""
    if message.action:
        return [
            Reply(
                text=f"已刷新 {message.action}",
                edit_of=message.message_id,
                callback_id=message.callback_id or "",
            )
        ]
    reply_to = message.message_id if message.is_group else None
    return [Reply(text=f"收到：{message.text}", reply_to=reply_to)]


@pytest.fixture
def stack(settings, fake_api, clock, sqlite_url) -> Iterator[tuple]:
    """(flask client, runtime, adapter) wired like production against the fake Bot API."""
    db = open_database(sqlite_url)
    shared = SharedState.create(db, clock, None)
    adapter = build_adapter(settings, shared.tokens)
    ports = RuntimePorts(db, echo_handler, {"telegram": adapter.sender()}, clock, shared=shared)
    runtime = Runtime(ports, NO_THREADS)
    app = create_app(runtime, [adapter], settings)
    yield app.test_client(), runtime, adapter
    adapter.stop()
    runtime.stop()
    db.dispose()
