"""Display names of group subscribers, so a push can mention them by name.

Telegram draws a mention as a link whose text the sender chooses; WeCom and Feishu mention
by id and show the name themselves. Names are recorded when someone subscribes in a group
(the platform said who they are) and looked up when a push or notice mentions them.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy import Connection, select

from bot.models import Reply
from bot.storage.sql import upsert
from bot.subscriptions.schema import names

#: Longest name kept (the renderer shortens further).
NAME_CHARS = 128


def remember_name(conn: Connection, platform: str, user_id: str, name: str, now: datetime) -> None:
    """Record (or refresh) a subscriber's display name."""
    if user_id and name.strip():
        values = {
            "platform": platform,
            "user_id": user_id,
            "name": name.strip()[:NAME_CHARS],
            "updated_at": now,
        }
        upsert(conn, names, values, ("platform", "user_id"))


def with_names(conn: Connection, platform: str, reply: Reply) -> Reply:
    """The reply with `mention_names` for each mentioned user whose name is known."""
    if not reply.mentions:
        return reply
    query = select(names.c.user_id, names.c.name).where(
        names.c.platform == platform, names.c.user_id.in_(reply.mentions)
    )
    known = dict(conn.execute(query).all())
    if not known:
        return reply
    found = tuple((user, known[user]) for user in reply.mentions if user in known)
    return dataclasses.replace(reply, mention_names=reply.mention_names + found)
