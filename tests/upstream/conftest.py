"""Fixtures for the upstream tests: the fake API server and clients aimed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.upstream import ApiClient
from tests.fakes.upstream_server import FakeUpstream, fake_upstream  # noqa: F401 - fixture

MakeClient = Callable[..., ApiClient]


@pytest.fixture
def make_client(fake_upstream: FakeUpstream) -> Iterator[MakeClient]:  # noqa: F811
    """Build ApiClients aimed at the fake (fast backoff; settings overridable); closed after."""
    clients: list[ApiClient] = []

    def build(*, backoff: float = 0.01, **overrides: Any) -> ApiClient:
        names = ("rate_limiter", "sleep", "carrier_name")
        client_kwargs = {k: overrides.pop(k) for k in names if k in overrides}
        client = ApiClient(fake_upstream.settings(**overrides), backoff=backoff, **client_kwargs)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: MakeClient) -> ApiClient:
    """An ApiClient with default test settings (2 retries, 2 s timeout)."""
    return make_client()
