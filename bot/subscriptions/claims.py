"""Leasing parcel rows to one worker at a time, on PostgreSQL and on SQLite.

PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED` picks due rows no other transaction holds,
then an UPDATE stamps them with a lease (`lease_until`, `lease_token`); any number of
workers claim side by side and never take the same number. SQLite: one conditional
`UPDATE … WHERE id IN (due rows) RETURNING`, atomic because SQLite serialises writers. A
worker that dies leaves its lease to expire; writes check the token, so a worker that lost
its lease cannot overwrite the one that took over.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, or_, select, update

from bot.storage.db import Database
from bot.subscriptions.schema import ACTIVE, parcels

log = logging.getLogger(__name__)


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
    pick = select(parcels.c.id).where(cond).order_by(parcels.c.next_poll_at).limit(limit)
    lease = {
        "lease_until": lease_start + timedelta(seconds=lease_seconds),
        "lease_token": str(uuid.uuid4()),
    }
    with db.engine.begin() as conn:
        if db.is_postgres:
            ids = list(conn.execute(pick.with_for_update(skip_locked=True)).scalars())
            if not ids:
                return []
            where = parcels.c.id.in_(ids)
        else:
            where = and_(parcels.c.id.in_(pick.scalar_subquery()), cond)
        stmt = update(parcels).where(where).values(**lease).returning(*parcels.c)
        return sorted(conn.execute(stmt).all(), key=lambda r: r.next_poll_at or now)


def release(db: Database, rows: list) -> None:
    """Give back leases of parcels a round will not poll (their schedule unchanged)."""
    if not rows:
        return
    with db.engine.begin() as conn:
        for row in rows:
            conn.execute(
                update(parcels)
                .where(parcels.c.id == row.id, parcels.c.lease_token == row.lease_token)
                .values(lease_until=None, lease_token=None)
            )


def write_leased(conn: Connection, row, values: dict) -> bool:
    """Update a leased parcel if the lease still holds; False when another worker has it."""
    stmt = (
        update(parcels)
        .where(parcels.c.id == row.id, parcels.c.lease_token == row.lease_token)
        .values(**values)
    )
    if conn.execute(stmt).rowcount == 1:
        return True
    log.warning("lease on %s lost; another worker polls it now", row.number)
    return False
