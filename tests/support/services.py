"""The test services (PostgreSQL, Redis): where they are, and what to do when they are not."""

from __future__ import annotations

import os

import pytest

PG_URL = os.environ.get("DATABASE_TEST_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")
REQUIRE_SERVICES = os.environ.get("KUAIDI_REQUIRE_SERVICES") == "1"


def service_unavailable(name: str, error: Exception) -> None:
    """Skip (on a user's machine) or fail (in CI) when a test service is not reachable."""
    message = f"{name} not reachable ({type(error).__name__}: {error})"
    if REQUIRE_SERVICES:
        pytest.fail(message + "; KUAIDI_REQUIRE_SERVICES=1 requires it", pytrace=False)
    pytest.skip(message)
