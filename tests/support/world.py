"""A whole bot for subscription tests: the real engine, runtime, outbox and poller on a real
database, the fake upstream over HTTP, and a recording platform `Sender`.

`World.round()` is what a deployment does: one poll round (`Poller.run_once`), then the
runtime's sender drains the outbox into the recording sender. `World.restart()` builds every
object again over the same database, like a process restart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.assembly import build_application
from bot.models import Reply, Target
from bot.runtime.ports import RateLimit, SendLimits, SendResult
from tests.support.chat import Chat

YT = "YT1234567890123"
ZT = "78627000000758"
ADMIN = "test:admin"
_GENEROUS = RateLimit(10_000, 1.0)


@dataclass
class Sent:
    """One message the fake platform accepted."""

    target: Target
    reply: Reply
    key: str


@dataclass
class RecordingSender:
    """A platform `Sender` that records sends; chats in `blocked` refuse for good."""

    platform: str = "test"
    limits: SendLimits = SendLimits(_GENEROUS, _GENEROUS, _GENEROUS)
    sent: list[Sent] = field(default_factory=list)
    blocked: set[str] = field(default_factory=set)

    def send(self, target: Target, reply: Reply, idempotency_key: str) -> SendResult:
        if target.chat_id in self.blocked:
            return SendResult(ok=False, permanent=True, error="403 bot was blocked")
        self.sent.append(Sent(target, reply, idempotency_key))
        return SendResult(ok=True, message_id=str(len(self.sent)))

    def to(self, chat_id: str) -> list[Sent]:
        return [s for s in self.sent if s.target.chat_id == chat_id]


class World:
    """Core + subscription service + engine + runtime + poller, over one database."""

    def __init__(self, settings, clock, sender: RecordingSender) -> None:
        self.settings = settings
        self.clock = clock
        self.sender = sender
        self.app = build_application(
            settings,
            clock=clock,
            worker_threads=0,
            sender_threads=0,
            extra_senders={"test": sender},
            adapters=[],
        )
        self.core = self.app.core
        self.service = self.core.subscriptions
        self.engine = self.core.engine
        self.runtime = self.app.runtime
        self.poller = self.app.poller

    def chat(self, chat_id: str = "c1", user_id: str = "u1", **kw) -> Chat:
        return Chat(self.engine, chat_id=chat_id, user_id=user_id, **kw)

    def round(self, *, all_numbers: bool = False) -> list[Sent]:
        """One poll round, then send what it queued; the new sends."""
        before = len(self.sender.sent)
        self.report = self.poller.run_once(all_numbers=all_numbers)
        self.runtime.send_pending()
        return self.sender.sent[before:]

    def advance_and_round(self, hours: float) -> list[Sent]:
        """Move the clock past the parcel's next poll time (in steps) and run rounds."""
        sent: list[Sent] = []
        steps = max(1, int(hours * 2))
        for _ in range(steps):
            self.clock.advance(hours * 3600 / steps)
            sent += self.round()
        return sent

    def restart(self) -> World:
        """New objects over the same database (the recording platform survives)."""
        self.close()
        return World(self.settings, self.clock, self.sender)

    def close(self) -> None:
        self.app.stop()
