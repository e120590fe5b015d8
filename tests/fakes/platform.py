"""Test doubles of the runtime's ports that platform adapters use: an `Inbox` that records
what it accepts, and an in-memory `TokenCache`."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from datetime import timedelta

from bot.clock import Clock, FakeClock
from bot.models import Incoming
from bot.runtime.shared import refresh_margin


class RecordingInbox:
    """An `Inbox` that records accepted messages, de-duplicated by (platform, delivery id).

    `fail_times` makes the first N accept() calls raise, like a database outage."""

    def __init__(self, fail_times: int = 0) -> None:
        self.accepted: list[tuple[str, Incoming]] = []
        self.rejected: list[tuple[str, str, str]] = []  # (delivery id, kind, reason)
        self.calls = 0
        self._fail_times = fail_times
        self._seen: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def accept(self, delivery_id: str, message: Incoming) -> bool:
        """Record once per (platform, delivery id); False for a repeat."""
        with self._lock:
            self.calls += 1
            if self._fail_times > 0:
                self._fail_times -= 1
                raise ConnectionError("database unavailable")
            key = (message.platform, delivery_id)
            if key in self._seen:
                return False
            self._seen.add(key)
            self.accepted.append((delivery_id, message))
            return True

    def reject(self, platform: str, delivery_id: str, kind: str, reason: str) -> bool:
        """Record an unreadable delivery once per (platform, delivery id)."""
        with self._lock:
            key = (platform, delivery_id)
            if key in self._seen:
                return False
            self._seen.add(key)
            self.rejected.append((delivery_id, kind, reason))
            return True

    @property
    def messages(self) -> list[Incoming]:
        """The accepted messages, in order."""
        return [message for _, message in self.accepted]


class MemoryTokenCache:
    """A `TokenCache` in memory: one lock (one fetch at a time), refreshed shortly before
    expiry like the real caches; counts fetches and remembers invalidations."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or FakeClock()
        self.tokens: dict[str, str] = {}
        self.refresh_at: dict[str, object] = {}
        self.fetches = 0
        self.invalidated: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def get(self, name: str, fetch: Callable[[], tuple[str, float]]) -> str:
        """The cached token, fetched when missing or due for refresh."""
        with self._lock:
            due = self.refresh_at.get(name)  # None: put in by a test, valid until dropped
            if name in self.tokens and (due is None or self.clock.now() < due):
                return self.tokens[name]
            token, expires_in = fetch()
            assert expires_in > 0
            self.fetches += 1
            self.tokens[name] = token
            lifetime = expires_in - refresh_margin(expires_in)
            self.refresh_at[name] = self.clock.now() + timedelta(seconds=lifetime)
            return token

    def invalidate(self, name: str, bad_token: str) -> None:
        """Drop `bad_token` unless it was already replaced."""
        with self._lock:
            self.invalidated.append((name, bad_token))
            if self.tokens.get(name) == bad_token:
                del self.tokens[name]


class UnreadBody(io.RawIOBase):
    """A request body that counts the reads made of it: a check that must refuse a request
    on its headers alone leaves it at zero."""

    def __init__(self, content: bytes = b"{}" * 500) -> None:
        self.content = content
        self.reads = 0

    def environ(self) -> dict:
        """Test-client `environ_overrides` making this the request's body."""
        return {"wsgi.input": self, "CONTENT_LENGTH": str(len(self.content))}

    def readable(self) -> bool:
        """A readable stream."""
        return True

    def readinto(self, buffer) -> int:
        """Count the read and hand out the content."""
        self.reads += 1
        size = min(len(buffer), len(self.content))
        buffer[:size], self.content = self.content[:size], self.content[size:]
        return size
