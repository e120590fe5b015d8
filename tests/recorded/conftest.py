"""Fixtures: the whole bot (`Stack`) with the fake tracking API and fake platform APIs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.upstream_server import FakeUpstream
from tests.feishu.support import FakeFeishu
from tests.recorded.harness import TELEGRAM_ME, Stack
from tests.telegram.fake_bot_api import FakeBotApi
from tests.wecom.support import FakeWeCom


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as server:
        yield server


@pytest.fixture
def telegram_api() -> Iterator[FakeBotApi]:
    with FakeBotApi(me=TELEGRAM_ME) as server:
        yield server


@pytest.fixture
def wecom_api() -> Iterator[FakeWeCom]:
    server = FakeWeCom().start()
    yield server
    server.close()


@pytest.fixture
def feishu_api() -> Iterator[FakeFeishu]:
    server = FakeFeishu().start()
    yield server
    server.close()


@pytest.fixture
def make_stack(tmp_path, upstream, telegram_api, wecom_api, feishu_api):
    """Build the bot with optional setting overrides; stopped after the test."""
    built: list[Stack] = []

    def make(**overrides) -> Stack:
        bot = Stack(tmp_path, upstream, telegram_api, wecom_api, feishu_api, **overrides)
        built.append(bot)
        return bot

    yield make
    for bot in built:
        bot.close()


@pytest.fixture
def stack(make_stack) -> Stack:
    return make_stack()
