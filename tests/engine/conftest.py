"""Fixtures for engine tests: a chat (`tests.support.chat`) talking to the real engine.

The engine runs for real on real SQLite (or PostgreSQL), with the real `ApiClient` talking
HTTP to the fake upstream server on 127.0.0.1.
"""

from __future__ import annotations

import pytest

from adapters.assembly import build_core
from tests.fakes.upstream_server import FakeUpstream
from tests.support.chat import SF, Chat, sf_needs_tail


@pytest.fixture
def upstream():
    with FakeUpstream() as server:
        server.set_handler(SF, sf_needs_tail)
        yield server


def engine_core(upstream, db_url, clock, tmp_path, *, subscriptions: bool):
    """The core on the fake upstream, closed when the test ends."""
    settings = upstream.settings(database_url=db_url, data_dir=tmp_path, kuaidi_retries=1)
    core = build_core(settings, clock=clock, subscriptions=subscriptions)
    yield core
    core.close()


@pytest.fixture
def core(upstream, db_url, clock, tmp_path):
    yield from engine_core(upstream, db_url, clock, tmp_path, subscriptions=False)


@pytest.fixture
def chat(core):
    return Chat(core.engine)


@pytest.fixture
def subs_core(upstream, db_url, clock, tmp_path):
    """A core with the subscription service, for commands that follow parcels."""
    yield from engine_core(upstream, db_url, clock, tmp_path, subscriptions=True)
