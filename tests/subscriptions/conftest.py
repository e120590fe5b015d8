"""Fixtures for subscription tests: the fake upstream and `World`s over each database."""

from __future__ import annotations

import pytest

from tests.fakes.upstream_server import FakeUpstream
from tests.support.world import ADMIN, RecordingSender, World


@pytest.fixture
def upstream():
    with FakeUpstream() as server:
        yield server


@pytest.fixture
def make_world(upstream, db_url, clock, tmp_path):
    """Build a World with optional setting overrides; closed after the test."""
    worlds: list[World] = []

    def make(**overrides) -> World:
        values = {
            "database_url": db_url,
            "data_dir": tmp_path,
            "kuaidi_retries": 0,
            "admin_users": ADMIN,
        }
        settings = upstream.settings(**{**values, **overrides})
        world = World(settings, clock, RecordingSender())
        worlds.append(world)
        return world

    yield make
    for world in worlds:
        world.close()


@pytest.fixture
def world(make_world) -> World:
    return make_world()
