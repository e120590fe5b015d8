"""The durable inbox: verified deliveries recorded once, then claimed and worked by workers.

`accept` is the only thing the webhook path does (one INSERT that ignores a repeated
`(platform, delivery_id)`). Workers `claim` rows under a lease, and `complete` writes the
replies to the outbox and marks the row done in one transaction, so a reply exists exactly
when its message is done. Failures are retried with backoff, then parked with their error
and a reason (`park_reason`). A row that cannot even be read back (a payload this version
does not understand) is handed out all the same, as an item without a message, so that it
fails like any other row instead of failing the whole claimed batch.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, select, update

from bot.clock import Clock
from bot.models import (
    UNSTORABLE,
    Incoming,
    Reply,
    incoming_from_dict,
    incoming_to_dict,
    storable,
    target_of,
)
from bot.runtime.leases import (
    Claim,
    LeaseLost,
    backoff,
    claim_rows,
    eligible,
    extend_rows,
    finish_row,
)
from bot.runtime.logs import bind_delivery
from bot.runtime.metrics import Metrics
from bot.runtime.outbox import DurableOutbox, parked_counts, parked_rows
from bot.runtime.ports import check_ids
from bot.runtime.schema import DONE, PARKED, PENDING, REJECTED, inbox
from bot.runtime.unreachable import UnreachableTargets
from bot.storage.db import Database
from bot.storage.sql import insert_ignore

log = logging.getLogger(__name__)

#: How often a claimer looks for rows abandoned on their last attempt (not on every poll).
SWEEP_INTERVAL = timedelta(seconds=5)
#: Longest error text kept on a row (the rest is in the log).
ERROR_CHARS = 2000
#: Seconds a failed row keeps its chat's later rows waiting (see `bot.runtime.schema`).
HOLD_SECONDS = 10.0


@dataclass(frozen=True)
class InboxItem:
    """A claimed inbox row: the message, and the claim that lets a worker finish it."""

    row_id: int
    platform: str
    delivery_id: str
    #: None when the stored payload could not be read; `unreadable` says why.
    message: Incoming | None
    attempts: int
    token: str
    hold_until: datetime | None = None
    unreadable: str = ""


class DurableInbox:
    """The database-backed `Inbox` port plus the worker's side of it."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        metrics: Metrics,
        outbox: DurableOutbox,
        unreachable: UnreachableTargets,
        *,
        max_attempts: int = 3,
        hold_seconds: float = HOLD_SECONDS,
        on_accept: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.metrics = metrics
        self.outbox = outbox
        self.unreachable = unreachable
        self.max_attempts = max_attempts
        self.hold_seconds = hold_seconds
        self._on_accept = on_accept
        self._next_sweep = datetime.min.replace(tzinfo=UTC)

    def accept(self, delivery_id: str, message: Incoming) -> bool:
        """Record the message under (message.platform, delivery_id); False if seen before.
        `MalformedId` (nothing stored) when an id is larger than the runtime accepts.

        Text no database can store (NUL, lone surrogates) is replaced first, so a message
        reads the same from SQLite and PostgreSQL and never fails the worker's writes."""
        check_ids(delivery_id, message)
        message = storable(message)
        delivery_id = UNSTORABLE.sub("\ufffd", delivery_id)
        now = self.clock.now()
        values = {
            "platform": message.platform,
            "delivery_id": delivery_id,
            "chat_key": f"{message.platform}:{message.chat_id}",
            "payload": json.dumps(incoming_to_dict(message), ensure_ascii=False),
            "status": PENDING,
            "available_at": now,
            "attempts": 0,
            "received_at": now,
        }
        inserted = self.db.once_more_if_disconnected(lambda: self._insert(values))
        if inserted:
            self.metrics.inc("inbound", platform=message.platform)
            if self._on_accept is not None:
                self._on_accept()
        else:
            self.metrics.inc("duplicates", platform=message.platform)
            with bind_delivery(message.platform, delivery_id):
                log.info("duplicate delivery dropped")
        return inserted

    def reject(self, platform: str, delivery_id: str, kind: str, reason: str) -> bool:
        """Record an unreadable delivery as `rejected`: workers never claim it, a re-delivery
        is a duplicate, and the row says what it was (type, error), never what it said."""
        now = self.clock.now()
        values = {
            "platform": platform,
            "delivery_id": delivery_id,
            "chat_key": f"{platform}:",
            "payload": json.dumps({"kind": kind[:64], "error": reason[:200]}),
            "status": REJECTED,
            "available_at": now,
            "attempts": 0,
            "received_at": now,
            "finished_at": now,
            "last_error": reason[:ERROR_CHARS],
        }
        inserted = self.db.once_more_if_disconnected(lambda: self._insert(values))
        if inserted:
            self.metrics.inc("rejected", platform=platform)
        return inserted

    def _insert(self, values: dict) -> bool:
        # One statement, so autocommit is its transaction: no BEGIN/COMMIT round trips on the
        # webhook's critical path.
        with self.db.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            return insert_ignore(conn, inbox, values)

    def claim(self, owner: str, limit: int, lease_seconds: float) -> list[InboxItem]:
        """Claim up to `limit` due rows (one per chat) for `lease_seconds`."""
        claim = Claim.new(owner, self.clock.now(), lease_seconds)
        condition = and_(
            eligible(inbox, "chat_key", claim.now), inbox.c.attempts < self.max_attempts
        )
        with self.db.engine.begin() as conn:
            if claim.now >= self._next_sweep:
                self._park_exhausted(conn, claim)
                self._next_sweep = claim.now + SWEEP_INTERVAL
            rows = claim_rows(
                conn, inbox, condition, claim, limit, {"attempts": inbox.c.attempts + 1}
            )
        return [_item(row) for row in rows]

    def _park_exhausted(self, conn, claim: Claim) -> None:
        """Park rows whose last allowed attempt was abandoned (the worker died mid-way)."""
        stmt = (
            update(inbox)
            .where(
                inbox.c.status == PENDING,
                inbox.c.available_at <= claim.now,
                inbox.c.attempts >= self.max_attempts,
            )
            .values(
                status=PARKED,
                finished_at=claim.now,
                last_error=func.coalesce(inbox.c.last_error, "abandoned: lease expired"),
                park_reason="abandoned",
            )
        )
        if conn.execute(stmt).rowcount:
            log.warning("parked inbox rows abandoned after %d attempts", self.max_attempts)

    def extend(self, items: Sequence[InboxItem], lease_seconds: float) -> int:
        """Renew the leases of rows still being worked on; return how many were renewed."""
        if not items:
            return 0
        until = self.clock.now() + timedelta(seconds=lease_seconds)
        with self.db.engine.begin() as conn:
            return extend_rows(conn, inbox, {i.row_id: i.token for i in items}, until)

    def complete(self, item: InboxItem, replies: Sequence[Reply]) -> None:
        """Enqueue the replies and mark the row done, atomically; LeaseLost if taken over."""
        self.db.once_more_if_disconnected(lambda: self._complete(item, replies))
        self.outbox.notify()

    def _complete(self, item: InboxItem, replies: Sequence[Reply]) -> None:
        target = target_of(item.message)
        now = self.clock.now()
        with self.db.engine.begin() as conn:
            for index, reply in enumerate(replies):
                key = f"{item.platform}:{item.delivery_id}:{index}"
                self.outbox.add(conn, target, reply, key, now)
            # A chat that writes to us is reachable again.
            self.unreachable.clear_in(conn, target)
            done = finish_row(conn, inbox, item.row_id, item.token, status=DONE, finished_at=now)
            if not done and not _done_by(conn, item):
                raise LeaseLost(f"inbox row {item.row_id} was taken over")

    def fail(self, item: InboxItem, error: str, reason: str = "handler_error") -> bool:
        """Record the error and schedule a retry with backoff, or park the row (under
        `reason`) after `max_attempts`; True when parked. The chat's later rows wait for
        this one only until `hold_seconds` after its first failure."""
        now = self.clock.now()
        error = error[:ERROR_CHARS]
        if item.attempts >= self.max_attempts:
            values = {
                "status": PARKED,
                "finished_at": now,
                "last_error": error,
                "park_reason": reason,
            }
        else:
            values = {
                "available_at": now + timedelta(seconds=backoff(item.attempts)),
                "last_error": error,
                "hold_until": item.hold_until or now + timedelta(seconds=self.hold_seconds),
            }

        def finish() -> None:
            with self.db.engine.begin() as conn:
                finish_row(conn, inbox, item.row_id, item.token, **values)

        self.db.once_more_if_disconnected(finish)
        parked = values.get("status") == PARKED
        if parked:
            self.metrics.inc("inbox_parked", platform=item.platform, reason=reason)
        return parked

    def parked(self, limit: int = 50) -> list[dict]:
        """The most recent parked rows with their reasons and errors, for an operator."""
        return parked_rows(self.db, inbox, inbox.c.delivery_id, limit)

    def parked_by_reason(self) -> dict[str, int]:
        """Parked rows per reason (for /metrics)."""
        return parked_counts(self.db, inbox)

    def counts(self) -> dict[str, int]:
        """Rows per status (for /metrics)."""
        query = select(inbox.c.status, func.count()).group_by(inbox.c.status)
        with self.db.engine.connect() as conn:
            return {status: n for status, n in conn.execute(query)}

    def oldest_pending_age(self) -> float:
        """Seconds the oldest pending delivery has waited (0 when none)."""
        query = select(func.min(inbox.c.received_at)).where(inbox.c.status == PENDING)
        with self.db.engine.connect() as conn:
            oldest = conn.execute(query).scalar()
        if oldest is None:
            return 0.0
        if oldest.tzinfo is None:  # min() bypasses the column type on some backends
            oldest = oldest.replace(tzinfo=self.clock.now().tzinfo)
        return max(0.0, (self.clock.now() - oldest).total_seconds())

    def purge(self, older_than_seconds: float) -> int:
        """Delete finished rows older than the platforms' re-delivery windows."""
        cutoff = self.clock.now() - timedelta(seconds=older_than_seconds)
        finished = inbox.c.status.in_((DONE, REJECTED))
        stmt = inbox.delete().where(finished, inbox.c.finished_at < cutoff)
        with self.db.engine.begin() as conn:
            return conn.execute(stmt).rowcount


def _item(row) -> InboxItem:
    """The claimed row as an item; without a message when its payload cannot be read."""
    try:
        message, unreadable = incoming_from_dict(json.loads(row.payload)), ""
    except Exception as exc:  # noqa: BLE001 - any decoding fault makes this one row fail
        message, unreadable = None, f"unreadable payload: {type(exc).__name__}: {exc}"
    return InboxItem(
        row.id,
        row.platform,
        row.delivery_id,
        message,
        row.attempts,
        row.claim_token,
        row.hold_until,
        unreadable,
    )


def _done_by(conn, item: InboxItem) -> bool:
    """True when the row is done under this very claim: a first try committed just before
    its connection died, and `once_more_if_disconnected` is repeating it."""
    query = select(inbox.c.status, inbox.c.claim_token).where(inbox.c.id == item.row_id)
    row = conn.execute(query).first()
    return row is not None and row.status == DONE and row.claim_token == item.token
