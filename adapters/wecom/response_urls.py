"""Where the AI bot's `response_url`s wait between the webhook and the sender.

An AI-bot message can only be answered through the `response_url` it carried: usable ONCE, for
one hour. The webhook (one process) learns it; the sender (maybe another process) needs it. The
runtime persists only `Incoming` and outbox rows (Target + Reply), so the URL is kept here,
keyed by the message id (which the engine echoes as `Reply.reply_to` in groups), plus a pointer
to the newest message of each chat for replies that carry no `reply_to` (single chats).

`ResponseUrls` is the small port; `TokenCacheResponseUrls` stores entries in the runtime's
shared `TokenCache` (Redis or the database, with expiry), so it works across processes today;
`MemoryResponseUrls` serves single-process use and tests. A generic key-value port
(put with TTL / get / delete) would replace the TokenCache-backed one without other changes.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Protocol

from bot.runtime.ports import TokenCache

#: WeCom keeps a response_url valid for one hour; stop offering it two minutes early.
URL_TTL = 3600 - 120


class ResponseUrls(Protocol):
    """Unused AI-bot response URLs by message id, and each chat's newest message."""

    def remember(self, chat_id: str, msgid: str, url: str) -> None:
        """Keep `url` for message `msgid` in `chat_id` (and make it the chat's newest)."""
        ...

    def find(self, chat_id: str, msgid: str | None) -> tuple[str, str] | None:
        """(msgid, url) still unused for `msgid`, else for the chat's newest message."""
        ...

    def spend(self, msgid: str, url: str) -> None:
        """Mark the URL used (WeCom accepts one call per URL)."""
        ...


class _Missing(Exception):
    """Raised by the fetch function of a pure lookup: the entry is not there."""


def _absent() -> tuple[str, float]:
    raise _Missing


class TokenCacheResponseUrls:
    """`ResponseUrls` on the shared `TokenCache` port: entries are tokens with a one-hour life."""

    def __init__(self, tokens: TokenCache) -> None:
        self._tokens = tokens

    @staticmethod
    def _name(kind: str, key: str) -> str:
        # Hashed: bounded length and no surprising characters in whatever backs the cache.
        return f"wecom-aibot-{kind}:{hashlib.sha256(key.encode()).hexdigest()[:24]}"

    def _peek(self, name: str) -> str | None:
        try:
            return self._tokens.get(name, _absent)
        except _Missing:
            return None

    def _put(self, name: str, value: str) -> None:
        # get() stores `value` when the name is free; otherwise swap out what is there.
        current = self._tokens.get(name, lambda: (value, URL_TTL))
        if current != value:
            self._tokens.invalidate(name, current)
            self._tokens.get(name, lambda: (value, URL_TTL))

    def remember(self, chat_id: str, msgid: str, url: str) -> None:
        """See `ResponseUrls.remember`."""
        # A redelivered message keeps its first URL: get() returns it unchanged.
        self._tokens.get(self._name("url", msgid), lambda: (url, URL_TTL))
        self._put(self._name("latest", chat_id), msgid)

    def find(self, chat_id: str, msgid: str | None) -> tuple[str, str] | None:
        """See `ResponseUrls.find`."""
        latest = self._peek(self._name("latest", chat_id))
        for candidate in dict.fromkeys(m for m in (msgid, latest) if m):
            url = self._peek(self._name("url", candidate))
            if url:
                return candidate, url
        return None

    def spend(self, msgid: str, url: str) -> None:
        """See `ResponseUrls.spend`."""
        self._tokens.invalidate(self._name("url", msgid), url)


class MemoryResponseUrls:
    """`ResponseUrls` in this process's memory (single-process deployments, tests)."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._urls: dict[str, tuple[str, float]] = {}
        self._latest: dict[str, str] = {}
        self._lock = threading.Lock()

    def remember(self, chat_id: str, msgid: str, url: str) -> None:
        """See `ResponseUrls.remember`."""
        with self._lock:
            now = self._now()
            self._urls = {k: v for k, v in self._urls.items() if v[1] > now}  # drop expired
            self._urls.setdefault(msgid, (url, now + URL_TTL))
            self._latest[chat_id] = msgid

    def find(self, chat_id: str, msgid: str | None) -> tuple[str, str] | None:
        """See `ResponseUrls.find`."""
        with self._lock:
            for candidate in dict.fromkeys(m for m in (msgid, self._latest.get(chat_id)) if m):
                entry = self._urls.get(candidate)
                if entry and entry[1] > self._now():
                    return candidate, entry[0]
        return None

    def spend(self, msgid: str, url: str) -> None:
        """See `ResponseUrls.spend`."""
        with self._lock:
            if self._urls.get(msgid, ("",))[0] == url:
                del self._urls[msgid]
