"""Fixtures: the whole bot (`Stack`) with the fake tracking API and fake platform APIs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.upstream_server import FakeUpstream
from tests.recorded.harness import TELEGRAM_ME, Stack
from tests.telegram.fake_bot_api import FakeBotApi


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as server:
        yield server


@pytest.fixture
def telegram_api() -> Iterator[FakeBotApi]:
    with FakeBotApi(me=TELEGRAM_ME) as server:
        yield server


@pytest.fixture
def stack(tmp_path, upstream, telegram_api) -> Iterator[Stack]:
    bot = Stack(tmp_path, upstream, telegram_api)
    yield bot
    bot.close()
