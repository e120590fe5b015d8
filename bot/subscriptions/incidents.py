"""What a poll round does when the upstream refuses everyone: a spent quota or throttling.

Both raise a shared flag (`bot.subscriptions.budget.Health`) that pauses every worker's
rounds; a spent quota also tells each chat with active subscriptions once per incident.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.clock import Clock
from bot.models import Reply, Target
from bot.storage.db import Database
from bot.subscriptions.budget import QUOTA, THROTTLED, Health
from bot.subscriptions.schema import SUB_ACTIVE, subscriptions
from bot.texts import t
from bot.upstream import Throttled


def quota_exhausted(db: Database, clock: Clock, health: Health, outbox) -> None:
    """Pause polling everywhere; tell each chat with active subscriptions once.

    `outbox` is the runtime's DurableOutbox (`add(conn, target, reply, key, now)`)."""
    now = clock.now()
    flag = health.get(QUOTA)
    waited = (now - flag.since) if flag else timedelta(0)
    probe = min(timedelta(hours=6), max(timedelta(minutes=30), waited))
    flag, _fresh = health.raise_flag(QUOTA, now + probe, "quota exhausted")
    incident = int(flag.since.timestamp())
    query = (
        select(subscriptions.c.platform, subscriptions.c.chat_id)
        .add_columns(subscriptions.c.is_group, subscriptions.c.language)
        .where(subscriptions.c.state == SUB_ACTIVE)
        .distinct()
    )
    with db.engine.begin() as conn:
        for chat in conn.execute(query).all():
            target = Target(chat.platform, chat.chat_id, "", chat.is_group)
            key = f"subquota:{incident}:{chat.platform}:{chat.chat_id}"
            reply = Reply(text=t("sub_quota_paused", chat.language))
            outbox.add(conn, target, reply, key, now)
    outbox.notify()


def throttled(clock: Clock, health: Health, error: Throttled) -> None:
    """Back off every worker: retry-after when given, doubling while it persists."""
    now = clock.now()
    flag = health.get(THROTTLED)
    previous = (flag.until - flag.since).total_seconds() if flag and flag.until else 30.0
    seconds = min(1800.0, max(float(error.retry_after or 0), previous * 2))
    health.raise_flag(THROTTLED, now + timedelta(seconds=seconds), "throttled")
