"""Fixtures for the WeCom adapter tests: vectors, settings, fake API, inbox, Flask client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from adapters.wecom import WeComAdapter
from adapters.wecom.response_urls import MemoryResponseUrls
from bot.clock import FakeClock
from bot.settings import Settings
from tests.wecom.support import SECRET, FakeWeCom, MemoryTokenCache, RecordingInbox

VECTORS = Path(__file__).resolve().parents[1] / "data/vectors/wecom.json"


@pytest.fixture(scope="session")
def vectors() -> dict:
    """The official WeCom sample vectors (A–E)."""
    return json.loads(VECTORS.read_text(encoding="utf-8"))


def make_settings(vectors: dict, api_base: str = "http://127.0.0.1:9", **overrides) -> Settings:
    """Settings for the sample corp (app and AI bot share the sample token/key), no `.env`."""
    values = {
        "wecom_corp_id": vectors["corp_id"],
        "wecom_agent_id": "1000002",
        "wecom_secret": SECRET,
        "wecom_token": vectors["token"],
        "wecom_encoding_aes_key": vectors["encoding_aes_key"],
        "wecom_aibot_token": vectors["token"],
        "wecom_aibot_encoding_aes_key": vectors["encoding_aes_key"],
        "wecom_api_base": api_base,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@pytest.fixture
def fake_api() -> Iterator[FakeWeCom]:
    """A running fake WeCom API."""
    server = FakeWeCom().start()
    yield server
    server.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


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
