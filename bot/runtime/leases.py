"""Claiming queue rows under a lease, on PostgreSQL and on SQLite.

Claims go through `bot.storage.sql.claim_rows_locked` (`FOR UPDATE SKIP LOCKED` on
PostgreSQL, one atomic `UPDATE … RETURNING` on SQLite), so any number of processes can claim
side by side. Eligible rows are `pending`, due (`available_at` passed) and the head of their
chat (the oldest `pending` row with the same key), so one chat is worked on in order, one at
a time. A row that failed stops counting as a head once its `hold_until` has passed: the
rows behind it go ahead (still in order among themselves), and it is retried on its own
schedule, so a row that cannot be handled or sent delays its chat by a bounded time.
Finishing a row checks the claim token, so a worker whose lease ran out cannot overwrite the
one that took over.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, Row, Table, and_, bindparam, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from bot.runtime.schema import PENDING
from bot.storage.sql import check_columns, claim_rows_locked


@dataclass(frozen=True)
class Claim:
    """Who claims, until when, and the token that proves the claim when finishing."""

    token: str
    owner: str
    now: datetime
    lease_until: datetime

    @classmethod
    def new(cls, owner: str, now: datetime, lease_seconds: float) -> Claim:
        """A fresh claim starting `now`."""
        return cls(str(uuid.uuid4()), owner, now, now + timedelta(seconds=lease_seconds))


def eligible(table: Table, key_column: str, now: datetime) -> ColumnElement[bool]:
    """Pending, due, and either the oldest holding row of its chat (the chat's head) or a
    failed row whose hold is over (retried out of order, beside the head)."""
    # One aggregate over the pending rows, not a correlated NOT EXISTS: the planner's choice
    # for the latter turns quadratic when a queue table's statistics are stale.
    head = table.alias("head")
    holding = or_(head.c.hold_until.is_(None), head.c.hold_until > now)
    heads = (
        select(func.min(head.c.id))
        .where(head.c.status == PENDING, holding)
        .group_by(head.c[key_column])
    )
    released = and_(table.c.hold_until.is_not(None), table.c.hold_until <= now)
    return and_(
        table.c.status == PENDING,
        table.c.available_at <= now,
        or_(table.c.id.in_(heads), released),
    )


def claim_rows(
    conn: Connection,
    table: Table,
    condition: ColumnElement[bool],
    claim: Claim,
    limit: int,
    extra_values: dict[str, Any] | None = None,
) -> list[Row]:
    """Claim up to `limit` rows matching `condition`, oldest first; return them as updated."""
    values = {
        "available_at": claim.lease_until,
        "claim_token": claim.token,
        "claimed_by": claim.owner,
        **(extra_values or {}),
    }
    rows = claim_rows_locked(conn, table, condition, [table.c.id], limit, values)
    return sorted(rows, key=lambda row: row.id)


def finish_row(conn: Connection, table: Table, row_id: int, token: str, **values: Any) -> bool:
    """Update a claimed row if the claim still holds; False when another worker took it."""
    check_columns(table, values)
    params = {"claimed_row_": row_id, "claim_token_": token, **values}
    return conn.execute(_finish_statement(table), params).rowcount == 1


@cache
def _finish_statement(table: Table):
    """UPDATE … WHERE id, token and pending; the SET columns come from the parameters."""
    return update(table).where(
        table.c.id == bindparam("claimed_row_"),
        table.c.claim_token == bindparam("claim_token_"),
        table.c.status == PENDING,
    )


def extend_rows(conn: Connection, table: Table, claims: dict[int, str], until: datetime) -> int:
    """Push the leases of claimed rows (row id -> claim token) to `until`; return how many."""
    if not claims:
        return 0
    stmt = (
        update(table)
        .where(
            table.c.id.in_(list(claims)),
            table.c.claim_token.in_(set(claims.values())),
            table.c.status == PENDING,
        )
        .values(available_at=until)
    )
    return conn.execute(stmt).rowcount


class LeaseLost(RuntimeError):
    """The row was taken over by another worker after this one's lease expired."""


def backoff(attempts: int) -> float:
    """Seconds before retrying after the `attempts`-th failure: 2, 4, 8 … capped at 5 min."""
    return float(min(300, 2**attempts))
