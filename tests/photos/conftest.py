"""Fixtures for the picture path: the whole application with every platform (tests/door's
stack) tracking against the fake upstream, and the images tests send."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.door.stack import Stack, running_stack
from tests.fakes.upstream_server import FakeUpstream


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    """The fake tracking API (a plausible answer for every number unless scripted)."""
    with FakeUpstream() as server:
        yield server


def upstream_settings(upstream: FakeUpstream) -> dict:
    """Settings keys pointing the application at the fake upstream."""
    return {
        "kuaidi_appcode": upstream.appcode,
        "kuaidi_api_base": upstream.url,
        "kuaidi_track_path": upstream.track_path,
        "kuaidi_identify_path": upstream.identify_path,
        "kuaidi_demo": False,
        "kuaidi_timeout": 2.0,
        "kuaidi_download_timeout": 1.0,
    }


@pytest.fixture
def stack(upstream, sqlite_url, tmp_path, clock) -> Iterator[Stack]:
    """Every platform's routes, worker and sender on SQLite; the platforms' fakes serve
    pictures."""
    with running_stack(
        sqlite_url, tmp_path, clock=clock, **upstream_settings(upstream)
    ) as built:
        yield built
        built.telegram_api.files.close()
