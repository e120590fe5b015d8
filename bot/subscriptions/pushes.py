"""From detected changes to outbox rows: the batching window, quiet hours and the push Reply.

The poller records each change in `sub_changes` (in the transaction that advances the
subscription's baseline), due `window` seconds later, or at the end of a group's quiet hours.
`flush` turns all due changes of one chat into one message (one per forum topic the
subscriptions were made in) and enqueues it in the same transaction that deletes them,
under a key derived from their change keys: one push per
change per chat, whatever crashes or how many workers flush at once.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import Connection, delete, select

from bot.clock import CHINA_TZ, Clock
from bot.lookup import Lookup, Outcome
from bot.models import Button, Reply, Target
from bot.storage.db import Database
from bot.storage.sql import insert_ignore, insert_ignore_many
from bot.subscriptions.changes import Change, merge
from bot.subscriptions.names import with_names
from bot.subscriptions.schema import SUB_BLOCKED, changes, parcels, subscriptions
from bot.subscriptions.threads import threads_of
from bot.texts import t
from bot.tracking import Status, TrackResult

_SPAN = re.compile(r"(\d{1,2})(?::(\d\d))?\s*-\s*(\d{1,2})(?::(\d\d))?")
#: Longest batching window (seconds) whatever the setting says: pushes must feel live.
MAX_WINDOW = 10.0


@dataclass(frozen=True)
class QuietHours:
    """A daily China-time span in which group pushes wait (e.g. 23:00–07:00)."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str | None) -> QuietHours | None:
        """`"23:00-07:00"` or `"23-7"`; None (no quiet hours) for empty or unreadable text."""
        match = _SPAN.fullmatch((text or "").strip())
        if not match:
            return None
        h1, m1, h2, m2 = match.groups()
        try:
            return cls(time(int(h1) % 24, int(m1 or 0)), time(int(h2) % 24, int(m2 or 0)))
        except ValueError:
            return None

    def defer(self, moment: datetime) -> datetime:
        """`moment`, or the end of the quiet span when `moment` falls inside it."""
        local = moment.astimezone(CHINA_TZ)
        now = local.time()
        inside = (
            self.start <= now < self.end
            if self.start <= self.end
            else (now >= self.start or now < self.end)
        )
        if not inside:
            return moment
        end = datetime.combine(local.date(), self.end, CHINA_TZ)
        return end if end > local else end + timedelta(days=1)


class PushQueue:
    """Records changes and flushes them, batched per chat, into the outbox."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        outbox,
        lookup: Lookup,
        *,
        window: float = 5.0,
        quiet: QuietHours | None = None,
    ) -> None:
        """`outbox` is the runtime's DurableOutbox (`add(conn, target, reply, key, now)`)."""
        self.db = db
        self.clock = clock
        self.outbox = outbox
        self.lookup = lookup
        self.window = max(0.0, min(MAX_WINDOW, window))
        self.quiet = quiet

    def record(self, conn: Connection, sub, change: Change, now: datetime) -> bool:
        """Queue `change` for `sub`'s chat (in the caller's transaction); False if known."""
        return insert_ignore(conn, changes, self.change_row(sub, change, now))

    def record_many(self, conn: Connection, rows: list[dict]) -> int:
        """Queue many `change_row`s in one statement; how many were not known yet."""
        return insert_ignore_many(conn, changes, rows)

    def change_row(self, sub, change: Change, now: datetime) -> dict:
        """The change row that queues `change` for `sub`'s chat."""
        due = now + timedelta(seconds=self.window)
        if sub.is_group and self.quiet is not None:
            due = self.quiet.defer(due)
        return {
            "change_key": change.key(sub.id),
            "subscription_id": sub.id,
            "platform": sub.platform,
            "chat_id": sub.chat_id,
            "payload": json.dumps(change.to_data(), ensure_ascii=False),
            "due_at": due,
            "created_at": now,
        }

    def flush(self, horizon: datetime | None = None) -> int:
        """Enqueue one message per chat for changes due by `horizon` (default now)."""
        horizon = horizon or self.clock.now()
        chats = select(changes.c.platform, changes.c.chat_id).where(changes.c.due_at <= horizon)
        with self.db.engine.connect() as conn:
            due_chats = set(conn.execute(chats.distinct()).all())
        return sum(self._flush_chat(p, c, horizon) for p, c in sorted(due_chats))

    def _flush_chat(self, platform: str, chat_id: str, horizon: datetime) -> int:
        query = (
            select(changes)
            .where(
                changes.c.platform == platform,
                changes.c.chat_id == chat_id,
                changes.c.due_at <= horizon,
            )
            .order_by(changes.c.id)
        )
        with self.db.engine.begin() as conn:
            if self.db.is_postgres:
                query = query.with_for_update(skip_locked=True)
            rows = conn.execute(query).all()
            if not rows:
                return 0
            conn.execute(delete(changes).where(changes.c.id.in_([r.id for r in rows])))
            added = 0
            for target, reply, batch in self._build(conn, rows):
                digest = hashlib.sha1(  # noqa: S324 - an id, not security
                    ",".join(sorted(r.change_key for r in batch)).encode()
                ).hexdigest()[:24]
                key = f"subpush:{digest}"
                added += int(self.outbox.add(conn, target, reply, key, self.clock.now()))
            return added

    def _build(self, conn: Connection, rows) -> list[tuple[Target, Reply, list]]:
        """The chat's messages for these change rows: one per topic the subscriptions were
        made in (usually one), each with the rows it covers; none if nobody is left."""
        by_sub: dict[int, list[Change]] = defaultdict(list)
        for row in rows:
            by_sub[row.subscription_id].append(Change.from_data(json.loads(row.payload)))
        query = select(subscriptions, parcels.c.number, parcels.c.carrier).where(
            subscriptions.c.id.in_(list(by_sub)), subscriptions.c.parcel_id == parcels.c.id
        )
        subs = [s for s in conn.execute(query).all() if s.state != SUB_BLOCKED]
        subs.sort(key=lambda s: min(r.id for r in rows if r.subscription_id == s.id))
        topics = threads_of(conn, [(s.platform, s.chat_id, s.parcel_id) for s in subs])
        by_topic: dict[str, list] = defaultdict(list)
        for sub in subs:
            by_topic[topics.get((sub.platform, sub.chat_id, sub.parcel_id), "")].append(sub)
        built = []
        for topic, members in by_topic.items():
            first = members[0]
            target = Target(first.platform, first.chat_id, first.user_id, first.is_group, topic)
            reply = self._message(members, by_sub)
            ids = {sub.id for sub in members}
            batch = [r for r in rows if r.subscription_id in ids]
            built.append((target, with_names(conn, target.platform, reply), batch))
        return built

    def _message(self, subs: list, by_sub: dict[int, list[Change]]) -> Reply:
        """One message about these subscriptions' changes (one chat, one topic)."""
        merged = [(sub, merge(by_sub[sub.id])) for sub in subs]
        # In a group, everyone whose parcel moved is mentioned (once, in parcel order).
        users = [s.user_id for s in subs if s.user_id] if subs[0].is_group else []
        mentions = tuple(dict.fromkeys(users))
        if len(merged) == 1:
            return self.single(*merged[0], mentions)
        return self.several(merged, mentions)

    def single(self, sub, change: Change, mentions: tuple[str, ...]) -> Reply:
        """One parcel's push: a summary line and the card with only the new events."""
        language = sub.language
        result = TrackResult(
            sub.number,
            sub.carrier or "",
            "",
            change.status,
            change.new_events,
            demo=self.lookup.demo,
        )
        card = self.lookup.card(Outcome(sub.number, sub.carrier, result=result), language)
        text = t(
            "sub_push",
            language,
            name=display_name(sub.label, sub.number),
            emoji=change.status.emoji,
            status=change.status.label(language),
            count=len(change.new_events),
        )
        buttons = (
            Button(t("btn_unsubscribe", language), f"unsub:{sub.number}"),
            Button(t("btn_refresh", language), f"refresh:{sub.number}"),
        )
        return Reply(text=text, card=card, buttons=buttons, mentions=mentions)

    def several(self, merged: list[tuple[object, Change]], mentions: tuple[str, ...]) -> Reply:
        """Several parcels of one chat in one message: a line each with the newest event."""
        language = merged[0][0].language
        lines = [t("sub_push_many", language, count=len(merged))]
        for sub, change in merged:
            newest = change.new_events[0].text if change.new_events else ""
            lines.append(
                f"{change.status.emoji} {display_name(sub.label, sub.number)} "
                f"{Status(change.status).label(language)}" + (f" — {newest}" if newest else "")
            )
        if self.lookup.demo:
            lines.append(t("demo_note", language))
        return Reply(text="\n".join(lines), mentions=mentions)


def display_name(label: str, number: str) -> str:
    """`label（number）`, or just the number."""
    return f"{label}（{number}）" if label else number
