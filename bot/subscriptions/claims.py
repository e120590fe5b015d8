"""Leasing parcel rows to one worker at a time, on PostgreSQL and on SQLite.

Due rows are stamped with a lease (`lease_until`, `lease_token`) through
`bot.storage.sql.claim_rows_locked` (`FOR UPDATE SKIP LOCKED` on PostgreSQL, one atomic
`UPDATE … RETURNING` on SQLite), so any number of workers claim side by side and never take
the same number. A worker that dies leaves its lease to expire; writes check the token, so a
worker that lost its lease cannot overwrite the one that took over.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, or_, select, update

from bot.storage.db import Database
from bot.storage.sql import StatementBatch, check_columns, claim_rows_locked
from bot.subscriptions.schema import ACTIVE, parcels

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """What the upstream said of one leased parcel, written later with its batch."""

    row: Any
    result: Any = None  # the TrackResult
    failed: bool = False  # a transient failure: poll again after a back-off
    stop_key: str | None = None  # stop polling, and tell the followers this text


@dataclass
class LeasedWrites:
    """A batch's writes, sent as a few `executemany`s at the end of its transaction."""

    parcels: StatementBatch = field(default_factory=StatementBatch)
    subscriptions: StatementBatch = field(default_factory=StatementBatch)
    changes: list[dict] = field(default_factory=list)


def claim_due(
    db: Database,
    now: datetime,
    limit: int,
    lease_seconds: float,
    *,
    polled_before: datetime | None = None,
    lease_from: datetime | None = None,
) -> list:
    """Lease up to `limit` active parcels: due ones (`next_poll_at` passed, earliest first),
    or with `polled_before` every one not polled since then (`poll --once --all`).

    `now` is the due cut-off; leases run from `lease_from` (default `now`), the real time of
    the claim, so a long round never hands out leases that have already run out."""
    lease_start = lease_from or now
    free = or_(parcels.c.lease_until.is_(None), parcels.c.lease_until < lease_start)
    cond = and_(parcels.c.state == ACTIVE, free)
    if polled_before is not None:
        polled = or_(parcels.c.last_polled_at.is_(None), parcels.c.last_polled_at < polled_before)
        cond = and_(cond, polled)
    else:
        cond = and_(cond, parcels.c.next_poll_at <= now)
    lease = {
        "lease_until": lease_start + timedelta(seconds=lease_seconds),
        "lease_token": str(uuid.uuid4()),
    }
    with db.engine.begin() as conn:
        rows = claim_rows_locked(conn, parcels, cond, [parcels.c.next_poll_at], limit, lease)
    return sorted(rows, key=lambda r: r.next_poll_at or now)


def release(db: Database, rows: list) -> None:
    """Give back leases of parcels a round will not poll (their schedule unchanged)."""
    if not rows:
        return
    with db.engine.begin() as conn:
        for row in rows:
            _write_leased(conn, row, {"lease_until": None, "lease_token": None})


def write_leased(conn: Connection, row, values: dict) -> bool:
    """Update a leased parcel if the lease still holds; False when another worker has it."""
    if _write_leased(conn, row, values):
        return True
    log.warning("lease on %s lost; another worker polls it now", row.number)
    return False


def held_leases(conn: Connection, rows: list) -> set[int]:
    """Ids of these leased parcels whose leases still hold, locked until the transaction
    ends on PostgreSQL (in id order, so two writers never wait on each other in a cycle):
    their `leased_write`s cannot miss. Lost ones are logged."""
    tokens = {row.id: row.lease_token for row in rows}
    query = select(parcels.c.id, parcels.c.lease_token).where(parcels.c.id.in_(list(tokens)))
    if conn.dialect.name == "postgresql":
        query = query.order_by(parcels.c.id).with_for_update()
    held = {found.id for found in conn.execute(query) if found.lease_token == tokens[found.id]}
    for row in rows:
        if row.id not in held:
            log.warning("lease on %s lost; another worker polls it now", row.number)
    return held


def leased_write(batch: StatementBatch, row, values: dict) -> None:
    """Queue `write_leased`'s update in `batch` (for a parcel `held_leases` found held)."""
    check_columns(parcels, values)
    batch.add(_LEASED_UPDATE, {"leased_row_": row.id, "lease_held_": row.lease_token, **values})


def _write_leased(conn: Connection, row, values: dict) -> bool:
    check_columns(parcels, values)
    params = {"leased_row_": row.id, "lease_held_": row.lease_token, **values}
    return conn.execute(_LEASED_UPDATE, params).rowcount == 1


# Built once: the SET columns come from the parameters of each call.
_LEASED_UPDATE = update(parcels).where(
    parcels.c.id == bindparam("leased_row_"), parcels.c.lease_token == bindparam("lease_held_")
)
