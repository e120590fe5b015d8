"""Targets that refused us for good (bot blocked, user left, chat deleted).

A permanent refusal records the target here; sends to it are parked without trying, and the
core hears about it (to pause that chat's subscriptions). When the chat writes to the bot
again, the worker clears the record in the same transaction that handles the message.
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, delete, func, select

from bot.clock import Clock
from bot.models import Target
from bot.runtime.schema import unreachable_targets
from bot.storage.db import Database
from bot.storage.sql import upsert

# Built once: it runs with every handled message.
_CLEAR = delete(unreachable_targets).where(
    unreachable_targets.c.platform == bindparam("platform_"),
    unreachable_targets.c.chat_id == bindparam("chat_"),
)


class UnreachableTargets:
    """Read and write the `unreachable_targets` table."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def mark(self, target: Target, reason: str) -> None:
        """Record that `target` refused a send for good."""
        values = {
            "platform": target.platform,
            "chat_id": target.chat_id,
            "user_id": target.user_id,
            "is_group": target.is_group,
            "reason": reason[:500],
            "since": self.clock.now(),
        }
        with self.db.engine.begin() as conn:
            upsert(conn, unreachable_targets, values, ("platform", "chat_id"))

    def contains(self, target: Target) -> bool:
        """True when `target`'s chat refused us and has not written since."""
        query = select(unreachable_targets.c.chat_id).where(
            unreachable_targets.c.platform == target.platform,
            unreachable_targets.c.chat_id == target.chat_id,
        )
        with self.db.engine.connect() as conn:
            return conn.execute(query).first() is not None

    def clear_in(self, conn: Connection, target: Target) -> None:
        """Forget the refusal (inside the caller's transaction)."""
        conn.execute(_CLEAR, {"platform_": target.platform, "chat_": target.chat_id})

    def count(self) -> int:
        """How many chats are unreachable (for /metrics)."""
        with self.db.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(unreachable_targets)).scalar()
