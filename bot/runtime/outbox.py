"""The durable outbox: replies and pushes waiting to be sent, exactly once per key.

Rows are enqueued by the worker (in the transaction that finishes an inbox row) and by the
subscription poller (`enqueue`). The sender claims the head row of each chat, so a chat's
messages leave in order, and finishes it as sent, rescheduled or parked. A claim counts an
attempt at once (given back when the row is released or deferred untried), so a row whose
sends keep dying before they are finished still runs out of attempts and gets parked.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, Connection, Row, Table, func, select

from bot.clock import Clock
from bot.models import Reply, Target, reply_from_dict, reply_to_dict
from bot.runtime.leases import Claim, claim_rows, eligible, extend_rows, finish_row
from bot.runtime.metrics import Metrics
from bot.runtime.schema import PARKED, PENDING, SENT, outbox, unreachable_targets
from bot.storage.db import Database
from bot.storage.sql import insert_ignore

#: Key of the target's topic inside a row's JSON payload.
THREAD_KEY = "target_thread"

#: Longest error text kept on a row.
ERROR_CHARS = 2000
#: Seconds a failed row keeps its chat's later rows waiting (see `bot.runtime.schema`).
HOLD_SECONDS = 10.0


@dataclass(frozen=True)
class OutboxItem:
    """A claimed outbox row."""

    row_id: int
    target: Target
    #: None when the stored payload could not be read; `unreadable` says why.
    reply: Reply | None
    idempotency_key: str
    #: Tries before this one (the claim counted this one in the row already).
    attempts: int
    token: str
    created_at: datetime
    #: When the claim runs out (a send must not start after it: another sender may own it).
    lease_until: datetime
    #: The target refused a send for good and has not written since (checked at claim time).
    unreachable: bool
    hold_until: datetime | None = None
    unreadable: str = ""


class DurableOutbox:
    """Enqueue, claim and finish outbox rows."""

    def __init__(
        self, db: Database, clock: Clock, metrics: Metrics, hold_seconds: float = HOLD_SECONDS
    ) -> None:
        self.db = db
        self.clock = clock
        self.metrics = metrics
        self.hold_seconds = hold_seconds
        # Set when rows were added in this process, so an idle sender wakes at once.
        self.wakeup = threading.Event()

    def enqueue(self, target: Target, reply: Reply, idempotency_key: str) -> bool:
        """Queue `reply` for `target`; False when `idempotency_key` was already enqueued."""
        with self.db.engine.begin() as conn:
            added = self.add(conn, target, reply, idempotency_key, self.clock.now())
        if added:
            self.notify()
        return added

    def add(self, conn: Connection, target: Target, reply: Reply, key: str, now: datetime) -> bool:
        """Insert a row inside the caller's transaction; False if the key exists."""
        values = {
            "idempotency_key": key,
            "platform": target.platform,
            "chat_id": target.chat_id,
            "user_id": target.user_id,
            "is_group": target.is_group,
            "target_key": f"{target.platform}:{target.chat_id}",
            "payload": json.dumps(_payload(target, reply), ensure_ascii=False),
            "status": PENDING,
            "available_at": now,
            "attempts": 0,
            "created_at": now,
        }
        return insert_ignore(conn, outbox, values)

    def notify(self) -> None:
        """Wake this process's sender threads."""
        self.wakeup.set()

    def claim(self, owner: str, limit: int, lease_seconds: float) -> list[OutboxItem]:
        """Claim up to `limit` due head rows (one per chat) for `lease_seconds`."""
        claim = Claim.new(owner, self.clock.now(), lease_seconds)
        with self.db.engine.begin() as conn:
            condition = eligible(outbox, "target_key", claim.now)
            counted = {"attempts": outbox.c.attempts + 1}
            rows = claim_rows(conn, outbox, condition, claim, limit, counted)
            # One query for the batch instead of one connection per send.
            refused = _unreachable_among(conn, rows)
        return [_item(row, claim.lease_until, refused) for row in rows]

    def extend(self, items: Sequence[OutboxItem], lease_seconds: float) -> int:
        """Renew the leases of rows still being sent; return how many were renewed."""
        until = self.clock.now() + timedelta(seconds=lease_seconds)
        with self.db.engine.begin() as conn:
            return extend_rows(conn, outbox, {i.row_id: i.token for i in items}, until)

    def release(self, item: OutboxItem) -> bool:
        """Give a claimed row back untried (no attempt counted), due at once."""
        return self._finish(item, {"available_at": self.clock.now(), "attempts": item.attempts})

    def mark_sent(self, item: OutboxItem, message_id: str | None) -> bool:
        """Record the send; False when the claim was lost (another sender has the row)."""
        values = {"status": SENT, "sent_at": self.clock.now(), "message_id": message_id}
        return self._finish(item, values)

    def reschedule(self, item: OutboxItem, delay: float, error: str = "", count: bool = True):
        """Release the row to be retried after `delay` s; `count` records a failed attempt,
        after which the chat's later rows wait for this one only until `hold_seconds` after
        its first failure (a deferral, `count=False`, holds them: they would wait too)."""
        now = self.clock.now()
        values = {"available_at": now + timedelta(seconds=max(0.0, delay))}
        values["attempts"] = item.attempts + 1 if count else item.attempts
        if count:
            values["hold_until"] = item.hold_until or now + timedelta(seconds=self.hold_seconds)
        if error:
            values["last_error"] = error[:ERROR_CHARS]
        return self._finish(item, values)

    def park(self, item: OutboxItem, error: str, reason: str = "error") -> bool:
        """Give up on the row, keeping the error and a short reason for an operator."""
        values = {
            "status": PARKED,
            "park_reason": reason,
            "last_error": error[:ERROR_CHARS],
            "attempts": item.attempts + 1,
            "sent_at": None,
        }
        return self._finish(item, values)

    def _finish(self, item: OutboxItem, values: dict) -> bool:
        def finish() -> bool:
            with self.db.engine.begin() as conn:
                return finish_row(conn, outbox, item.row_id, item.token, **values)

        # A send that happened must be recorded, or the row is sent again after its lease.
        return self.db.once_more_if_disconnected(finish)

    def counts(self) -> dict[str, int]:
        """Rows per status (for /metrics)."""
        query = select(outbox.c.status, func.count()).group_by(outbox.c.status)
        with self.db.engine.connect() as conn:
            return {status: n for status, n in conn.execute(query)}

    def lag_seconds(self) -> float:
        """How long the oldest unsent row has waited (0 when the outbox is drained)."""
        query = select(func.min(outbox.c.created_at)).where(outbox.c.status == PENDING)
        with self.db.engine.connect() as conn:
            oldest = conn.execute(query).scalar()
        if oldest is None:
            return 0.0
        return max(0.0, (self.clock.now() - oldest).total_seconds())

    def parked(self, limit: int = 50) -> list[dict]:
        """The most recent parked rows with their reasons and errors, for an operator."""
        return parked_rows(self.db, outbox, outbox.c.idempotency_key, limit)

    def parked_by_reason(self) -> dict[str, int]:
        """Parked rows per reason (for /metrics)."""
        return parked_counts(self.db, outbox)

    def purge(self, older_than_seconds: float) -> int:
        """Delete sent rows older than `older_than_seconds`."""
        cutoff = self.clock.now() - timedelta(seconds=older_than_seconds)
        stmt = outbox.delete().where(outbox.c.status == SENT, outbox.c.sent_at < cutoff)
        with self.db.engine.begin() as conn:
            return conn.execute(stmt).rowcount


def parked_rows(db: Database, table: Table, key: Column, limit: int) -> list[dict]:
    """The newest parked rows of a queue table: id, key, platform, chat ("platform:chat"),
    attempts, park_reason, last_error."""
    chat = table.c.target_key if "target_key" in table.c else table.c.chat_key
    query = (
        select(table.c.id, key.label("key"), table.c.platform, chat.label("chat"))
        .add_columns(table.c.attempts)
        .add_columns(table.c.park_reason, table.c.last_error)
        .where(table.c.status == PARKED)
        .order_by(table.c.id.desc())
        .limit(limit)
    )
    with db.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def parked_counts(db: Database, table: Table) -> dict[str, int]:
    """Parked rows of a queue table per reason (rows parked by older versions: "unknown")."""
    reason = func.coalesce(table.c.park_reason, "unknown")
    query = select(reason, func.count()).where(table.c.status == PARKED).group_by(reason)
    with db.engine.connect() as conn:
        return {name: n for name, n in conn.execute(query)}


def _item(row: Row, lease_until: datetime, refused: set[tuple[str, str]]) -> OutboxItem:
    """The claimed row as an item; without a reply when its payload cannot be read."""
    try:
        (target, reply), unreadable = _target_and_reply(row), ""
    except Exception as exc:  # noqa: BLE001 - any decoding fault makes this one row fail
        target = Target(row.platform, row.chat_id, row.user_id, row.is_group)
        reply, unreadable = None, f"unreadable payload: {type(exc).__name__}: {exc}"
    return OutboxItem(
        row.id,
        target,
        reply,
        row.idempotency_key,
        row.attempts - 1,
        row.claim_token,
        row.created_at,
        lease_until,
        (row.platform, row.chat_id) in refused,
        row.hold_until,
        unreadable,
    )


def _unreachable_among(conn: Connection, rows: Sequence[Row]) -> set[tuple[str, str]]:
    """(platform, chat id) of the claimed rows' targets that are marked unreachable."""
    if not rows:
        return set()
    table = unreachable_targets
    query = select(table.c.platform, table.c.chat_id).where(
        table.c.chat_id.in_({row.chat_id for row in rows})
    )
    wanted = {(row.platform, row.chat_id) for row in rows}
    return {(p, c) for p, c in conn.execute(query)} & wanted


def _payload(target: Target, reply: Reply) -> dict:
    """The stored reply; a topic rides along in it (`target_thread`), so the table keeps its
    shape and rows of earlier versions read as "no topic"."""
    data = reply_to_dict(reply)
    if target.thread_id:
        data[THREAD_KEY] = target.thread_id
    return data


def _target_and_reply(row) -> tuple[Target, Reply]:
    data = json.loads(row.payload)
    thread = str(data.pop(THREAD_KEY, "") or "")
    target = Target(row.platform, row.chat_id, row.user_id, row.is_group, thread)
    return target, reply_from_dict(data)
