"""The contracts between the runtime and the platform adapters.

Inbound, an adapter verifies and parses a request, then calls `Inbox.accept`; the runtime does
everything else in the worker. Outbound, the runtime's sender hands each outbox row to the
platform's `Sender`, which renders and sends it and reports a `SendResult`. Pictures that
came with a message are fetched by the worker through the adapter's `AttachmentSource`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.models import Attachment, Incoming, Reply, Target

#: The largest id (delivery, chat, user, message, button press) accepted, in UTF-8 bytes.
#: Platforms promise no lengths (Feishu's message ids run past 180 characters), so ids are
#: stored as TEXT; this bound keeps the keys that hold two ids (a chat and a user) within
#: what a PostgreSQL index entry can hold (2,704 bytes), the same on every backend.
MAX_ID_BYTES = 1024


class MalformedId(ValueError):
    """An id larger than `MAX_ID_BYTES`: the request is refused (4xx), nothing is stored."""


def check_ids(delivery_id: str, message: Incoming) -> None:
    """Raise `MalformedId` when the delivery id or an id of `message` is too large."""
    ids = {
        "delivery_id": delivery_id,
        "chat_id": message.chat_id,
        "user_id": message.user_id,
        "message_id": message.message_id,
        "callback_id": message.callback_id or "",
        "thread_id": message.thread_id,
    }
    for name, value in ids.items():
        size = len(value.encode("utf-8"))
        if size > MAX_ID_BYTES:
            raise MalformedId(f"{name} of {size} bytes (at most {MAX_ID_BYTES})")


class Inbox(Protocol):
    """Where adapters hand off verified, parsed messages (fast: one insert, no I/O beyond it)."""

    def accept(self, delivery_id: str, message: Incoming) -> bool:
        """Record the message under (message.platform, delivery_id); False if seen before.
        Raises `MalformedId` (nothing stored) when an id is larger than `MAX_ID_BYTES`;
        webhooks answer it with 400."""
        ...

    def reject(self, platform: str, delivery_id: str, kind: str, reason: str) -> bool:
        """Record a delivery the adapter could not read (never its content): counted, kept
        for the operator, and de-duplicated like `accept`; False if seen before."""
        ...


@dataclass(frozen=True)
class SendResult:
    """What a platform said to one send.

    `retry_after`: the platform asked us to wait (rate limit); the row is retried later.
    `permanent`: the platform refused for good (bot blocked, user left, invalid user); the
    row is parked and the target recorded as unreachable, so pushes to it stop.
    """

    ok: bool
    message_id: str | None = None
    retry_after: float | None = None
    permanent: bool = False
    error: str = ""


@dataclass(frozen=True)
class RateLimit:
    """A limit of `count` sends per `seconds`."""

    count: int
    seconds: float


@dataclass(frozen=True)
class SendLimits:
    """A platform's outbound limits: per private chat, per group, and for the whole app."""

    per_chat: RateLimit
    per_group: RateLimit
    overall: RateLimit


class Sender(Protocol):
    """Renders core replies into one platform's format and sends them."""

    platform: str
    limits: SendLimits

    def send(self, target: Target, reply: Reply, idempotency_key: str) -> SendResult:
        """Send one reply. `idempotency_key` is stable across retries of the same outbox row
        (use it as Feishu `uuid` etc.). Transient network faults may raise; the runtime
        retries those with backoff."""
        ...


class TokenCache(Protocol):
    """Platform access tokens shared by every process (Redis when configured, else the DB)."""

    def get(self, name: str, fetch: Callable[[], tuple[str, float]]) -> str:
        """The cached token `name`, fetched with `fetch() -> (token, expires_in_seconds)` when
        missing or close to expiry; only one process fetches at a time."""
        ...

    def invalidate(self, name: str, bad_token: str) -> None:
        """Drop `bad_token` (the platform said it is invalid) unless already replaced."""
        ...


#: Why an attachment could not be fetched; each has its own sentence for the user.
FETCH_REASONS = frozenset({"too_large", "not_found", "timeout", "unavailable", "not_an_image"})


class AttachmentError(Exception):
    """An attachment the platform would not hand over. `reason` is one of `FETCH_REASONS`:
    too_large (past the size cap), not_found (expired or deleted), timeout, unavailable (the
    platform failed or refused), not_an_image (the platform says it is another type)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        if reason not in FETCH_REASONS:
            raise ValueError(f"unknown fetch failure {reason!r}")
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class AttachmentSource(Protocol):
    """How the core gets an attachment's bytes: each adapter implements it with its platform's
    download calls, so the core never imports an adapter."""

    def fetch_attachment(self, message: Incoming, attachment: Attachment) -> bytes:
        """The file's bytes, held in memory (at most the configured cap). Raises
        `AttachmentError` for every expected failure."""
        ...
