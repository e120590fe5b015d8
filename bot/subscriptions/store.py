"""Who follows what: subscribe, unsubscribe, list, rename, caps, blocked chats.

A subscription belongs to a chat (in a group, to the group) and references the parcel row
the poller works on; the first follower of a number creates that row, the last one leaving
idles it. Every method is one transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, delete, func, select, update

from bot.clock import Clock
from bot.models import Target
from bot.storage.db import Database
from bot.storage.sql import insert_ignore
from bot.subscriptions.changes import Baseline, events_to_json
from bot.subscriptions.names import remember_name
from bot.subscriptions.schema import (
    ACTIVE,
    FINAL,
    IDLE,
    STOPPED,
    SUB_ACTIVE,
    SUB_BLOCKED,
    changes,
    parcels,
    subscriptions,
)
from bot.subscriptions.threads import remember_thread
from bot.tracking import Status, TrackResult


@dataclass(frozen=True)
class NewSubscription:
    """Everything `subscribe` needs besides the chat."""

    number: str
    carrier: str | None
    vendor_code: str | None
    tail: str | None
    label: str | None  # None keeps the current label
    milestones_only: bool | None  # None keeps the current choice
    language: str
    result: TrackResult | None
    user_name: str = ""  # the subscriber's display name, for mentions in group pushes


@dataclass(frozen=True)
class SubscriptionView:
    """One row of `/list`."""

    id: int
    number: str
    label: str
    state: str
    status: int
    last_event_at: datetime | None
    last_text: str
    milestones_only: bool
    user_id: str


class SubscriptionStore:
    """The subscription tables, from the commands' side."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def subscribe(self, target: Target, new: NewSubscription, cap: int) -> str:
        """Create or update the chat's subscription: "created", "updated" or "over_cap"."""
        now = self.clock.now()
        with self.db.engine.begin() as conn:
            parcel_id = self._parcel_for(conn, new, now)
            existing = conn.execute(
                select(subscriptions).where(
                    subscriptions.c.platform == target.platform,
                    subscriptions.c.chat_id == target.chat_id,
                    subscriptions.c.parcel_id == parcel_id,
                )
            ).first()
            if (existing is None or existing.state != SUB_ACTIVE) and self._over_cap(
                conn, target, cap
            ):
                return "over_cap"
            values = {
                "user_id": target.user_id,
                "language": new.language,
                "state": SUB_ACTIVE,
                "updated_at": now,
            }
            if new.label is not None:
                values["label"] = new.label[:100]
            if new.tail:
                values["tail"] = new.tail
            if new.milestones_only is not None:
                values["milestones_only"] = new.milestones_only
            if existing is not None:
                conn.execute(
                    update(subscriptions).where(subscriptions.c.id == existing.id).values(**values)
                )
            else:
                baseline = Baseline.of(new.result)
                values.update(
                    parcel_id=parcel_id,
                    platform=target.platform,
                    chat_id=target.chat_id,
                    is_group=target.is_group,
                    seen_events=baseline.seen_json(),
                    seen_status=baseline.status,
                    created_at=now,
                )
                values.setdefault("label", "")
                values.setdefault("milestones_only", False)
                conn.execute(subscriptions.insert().values(**values))
            if target.is_group:
                remember_name(conn, target.platform, target.user_id, new.user_name, now)
            remember_thread(conn, target, parcel_id, now)
            self.refresh_parcel(conn, parcel_id)
        return "updated" if existing is not None else "created"

    def _parcel_for(self, conn: Connection, new: NewSubscription, now: datetime) -> int:
        """The parcel row of `new.number`, created (due at once) when missing."""
        row = conn.execute(
            select(parcels.c.id, parcels.c.state).where(parcels.c.number == new.number)
        ).first()
        if row is not None:
            values: dict = {"tail": new.tail} if new.tail else {}
            if row.state in (IDLE, STOPPED, FINAL):
                # A new follower starts the clocks again (no-record and staleness limits); a
                # final parcel is looked at again too (a "delivered" can turn into a return).
                values.update(created_at=now, last_change_at=now, next_poll_at=now)
                if row.state == FINAL:
                    values["state"] = ACTIVE
            if values:
                conn.execute(update(parcels).where(parcels.c.id == row.id).values(**values))
            return row.id
        result = new.result
        values = {
            "number": new.number,
            "carrier": new.carrier,
            "vendor_code": new.vendor_code,
            "tail": new.tail,
            "state": ACTIVE,
            "status": int(result.status) if result else int(Status.NO_RECORD),
            "events": events_to_json(result.events) if result else "[]",
            "last_event_at": result.latest_time if result else None,
            "last_change_at": now,
            "created_at": now,
            # Known state: the schedule decides after the first poll. Unknown: poll soon.
            "next_poll_at": now,
        }
        # Two chats may subscribe to a new number at once: the loser of the insert race
        # simply follows the winner's row.
        insert_ignore(conn, parcels, values)
        return conn.execute(select(parcels.c.id).where(parcels.c.number == new.number)).scalar()

    def _over_cap(self, conn: Connection, target: Target, cap: int) -> bool:
        """True when the chat (a group) or the user already follows `cap` parcels."""
        active = subscriptions.c.state == SUB_ACTIVE
        mine = and_(subscriptions.c.platform == target.platform, active)
        who = subscriptions.c.user_id == target.user_id
        if target.is_group:
            who = subscriptions.c.chat_id == target.chat_id
        count = conn.execute(select(func.count()).where(mine, who)).scalar()
        if target.is_group and count < cap:
            user = and_(mine, subscriptions.c.user_id == target.user_id)
            count = conn.execute(select(func.count()).where(user)).scalar()
        return count >= cap

    @staticmethod
    def refresh_parcel(conn: Connection, parcel_id: int) -> None:
        """Activate a parcel someone follows; idle one nobody does (final ones stay final)."""
        followed = conn.execute(
            select(func.count()).where(
                subscriptions.c.parcel_id == parcel_id, subscriptions.c.state == SUB_ACTIVE
            )
        ).scalar()
        state = conn.execute(select(parcels.c.state).where(parcels.c.id == parcel_id)).scalar()
        if state == FINAL:
            return
        wanted = ACTIVE if followed else IDLE
        if state != wanted:
            values = {"state": wanted}
            if wanted == ACTIVE:
                values["failures"] = 0
            conn.execute(update(parcels).where(parcels.c.id == parcel_id).values(**values))

    def _chat_sub(self, platform: str, chat_id: str, number: str):
        return and_(
            subscriptions.c.platform == platform,
            subscriptions.c.chat_id == chat_id,
            subscriptions.c.parcel_id == parcels.c.id,
            parcels.c.number == number,
        )

    def unsubscribe(self, platform: str, chat_id: str, number: str) -> bool:
        """Remove the chat's subscription (and its unsent changes); False if there was none."""
        with self.db.engine.begin() as conn:
            row = conn.execute(
                select(subscriptions.c.id, subscriptions.c.parcel_id).where(
                    self._chat_sub(platform, chat_id, number)
                )
            ).first()
            if row is None:
                return False
            conn.execute(delete(changes).where(changes.c.subscription_id == row.id))
            conn.execute(delete(subscriptions).where(subscriptions.c.id == row.id))
            self.refresh_parcel(conn, row.parcel_id)
        return True

    def rename(self, platform: str, chat_id: str, number: str, label: str) -> bool:
        """Set the label; False when the chat does not follow `number`."""
        with self.db.engine.begin() as conn:
            sub_id = conn.execute(
                select(subscriptions.c.id).where(self._chat_sub(platform, chat_id, number))
            ).scalar()
            if sub_id is None:
                return False
            conn.execute(
                update(subscriptions)
                .where(subscriptions.c.id == sub_id)
                .values(label=label[:100], updated_at=self.clock.now())
            )
        return True

    def is_subscribed(self, platform: str, chat_id: str, number: str) -> bool:
        """True when the chat actively follows `number`."""
        query = select(subscriptions.c.id).where(
            self._chat_sub(platform, chat_id, number), subscriptions.c.state == SUB_ACTIVE
        )
        with self.db.engine.connect() as conn:
            return conn.execute(query).first() is not None

    def list_chat(self, platform: str, chat_id: str) -> list[SubscriptionView]:
        """The chat's subscriptions, active first, newest first."""
        query = (
            select(subscriptions, parcels.c.number, parcels.c.status, parcels.c.events)
            .add_columns(parcels.c.last_event_at)
            .where(
                subscriptions.c.platform == platform,
                subscriptions.c.chat_id == chat_id,
                subscriptions.c.parcel_id == parcels.c.id,
            )
            .order_by(subscriptions.c.created_at.desc(), subscriptions.c.id.desc())
        )
        with self.db.engine.connect() as conn:
            rows = conn.execute(query).all()
        views = [
            SubscriptionView(
                row.id,
                row.number,
                row.label,
                row.state,
                row.status,
                row.last_event_at,
                (json.loads(row.events or "[]") or [{"text": ""}])[0]["text"],
                row.milestones_only,
                row.user_id,
            )
            for row in rows
        ]
        return sorted(views, key=lambda v: v.state != SUB_ACTIVE)

    def set_chat_state(self, platform: str, chat_id: str, old: str, new: str) -> int:
        """Move the chat's subscriptions from `old` to `new` state (blocking/unblocking)."""
        where = and_(
            subscriptions.c.platform == platform,
            subscriptions.c.chat_id == chat_id,
            subscriptions.c.state == old,
        )
        with self.db.engine.begin() as conn:
            ids = list(conn.execute(select(subscriptions.c.parcel_id).where(where)).scalars())
            conn.execute(update(subscriptions).where(where).values(state=new))
            for parcel_id in set(ids):
                self.refresh_parcel(conn, parcel_id)
        return len(ids)

    def block_chat(self, platform: str, chat_id: str) -> int:
        """The chat refused us for good: stop polling for it."""
        return self.set_chat_state(platform, chat_id, SUB_ACTIVE, SUB_BLOCKED)

    def unblock_chat(self, platform: str, chat_id: str) -> int:
        """The chat talks to us again: resume its blocked subscriptions."""
        return self.set_chat_state(platform, chat_id, SUB_BLOCKED, SUB_ACTIVE)

    def counts(self) -> dict[str, int]:
        """Subscriptions per state and parcels per state (for /status)."""
        with self.db.engine.connect() as conn:
            subs = conn.execute(
                select(subscriptions.c.state, func.count()).group_by(subscriptions.c.state)
            ).all()
            followed = conn.execute(
                select(parcels.c.state, func.count()).group_by(parcels.c.state)
            ).all()
            due = conn.execute(
                select(func.count()).where(
                    parcels.c.state == ACTIVE, parcels.c.next_poll_at <= self.clock.now()
                )
            ).scalar()
        out = {f"subs_{state}": n for state, n in subs}
        out.update({f"parcels_{state}": n for state, n in followed})
        out["parcels_due"] = due
        return out
