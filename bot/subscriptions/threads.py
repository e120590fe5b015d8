"""Topics of subscriptions: a subscription made inside a forum topic pushes into that topic.

Recorded when someone subscribes (the latest subscribe in a chat decides, like its label) and
read when a push, or a notice about the subscription, is addressed. Outside topics nothing is
stored, and a subscribe outside any topic forgets an earlier one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, and_, delete, or_, select

from bot.models import Target
from bot.storage.sql import upsert
from bot.subscriptions.schema import threads


def remember_thread(conn: Connection, target: Target, parcel_id: int, now: datetime) -> None:
    """Record the topic `target` is in for this chat's subscription to `parcel_id`."""
    key = {"platform": target.platform, "chat_id": target.chat_id, "parcel_id": parcel_id}
    if target.thread_id:
        values = {**key, "thread_id": target.thread_id, "updated_at": now}
        upsert(conn, threads, values, tuple(key))
    else:
        conn.execute(delete(threads).where(*(threads.c[k] == v for k, v in key.items())))


def thread_of(conn: Connection, platform: str, chat_id: str, parcel_id: int) -> str:
    """The topic of one chat's subscription to `parcel_id` ("" when none)."""
    key = (platform, chat_id, parcel_id)
    return threads_of(conn, [key]).get(key, "")


def threads_of(
    conn: Connection, keys: Iterable[tuple[str, str, int]]
) -> dict[tuple[str, str, int], str]:
    """Topics by (platform, chat id, parcel id), for those that have one."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    match = or_(
        *(
            and_(threads.c.platform == p, threads.c.chat_id == c, threads.c.parcel_id == i)
            for p, c, i in wanted
        )
    )
    query = select(threads.c.platform, threads.c.chat_id, threads.c.parcel_id, threads.c.thread_id)
    return {(p, c, int(i)): t for p, c, i, t in conn.execute(query.where(match))}


def subscription_target(conn: Connection, sub) -> Target:
    """Where pushes and notices for subscription row `sub` go: its chat and topic."""
    thread = thread_of(conn, sub.platform, sub.chat_id, sub.parcel_id)
    return Target(sub.platform, sub.chat_id, sub.user_id, sub.is_group, thread)
