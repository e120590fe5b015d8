"""Parcels followed by push (Kuaidi100 callbacks) instead of polling: registration and holds.

`sub_push` has a row per parcel a push provider was asked about: `push` (it follows the
parcel and calls back), `refused` (it declined: the parcel stays polled), `aborted` (it gave
up, e.g. no scan for days: polled again) or `done` (it finished the parcel). A table of its
own, so databases of earlier versions gain it on start.

`PushRegistrar.register` asks the provider once per parcel, when the parcel is first
followed; from then on the poller leaves the parcel alone: its next poll is pushed
`SILENCE` ahead at registration, at every callback and after every check poll, so a parcel
whose push stays silent that long is polled once as a check (a lost callback, a provider
that forgot it), then waits again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Column, Connection, String, Table, func, select, update

from bot.clock import Clock
from bot.storage.db import Database
from bot.storage.schema import RowId, UTCDateTime, metadata
from bot.storage.sql import insert_ignore
from bot.subscriptions.schema import ACTIVE, parcels
from bot.upstream import UpstreamError
from bot.upstream.kuaidi100_protocol import PushRegistration

log = logging.getLogger(__name__)

PUSHING = "push"
REFUSED = "refused"
ABORTED = "aborted"
DONE = "done"
#: How long a push parcel may stay silent before one check poll. Carriers scan a moving
#: parcel at least daily; a day without a callback is worth one call to be sure.
SILENCE = timedelta(hours=24)

push_rows = Table(
    "sub_push",
    metadata,
    Column("parcel_id", RowId, primary_key=True, autoincrement=False),
    Column("provider", String(16), nullable=False),
    Column("state", String(12), nullable=False),
    Column("code", String(8), nullable=False, default=""),  # the provider's answer code
    Column("registered_at", UTCDateTime, nullable=False),
    Column("last_push_at", UTCDateTime, nullable=True),
)

#: `(number, carrier code, phone tail) -> PushRegistration`; raises `UpstreamError`.
Subscribe = Callable[[str, str | None, str | None], PushRegistration]


def push_state(conn: Connection, parcel_id: int) -> str | None:
    """The parcel's push state, None when no push provider was asked about it."""
    query = select(push_rows.c.state).where(push_rows.c.parcel_id == parcel_id)
    return conn.execute(query).scalar()


def push_counts(db: Database) -> dict[str, int]:
    """Parcels by push state ({"push": n, "refused": n, …}), for /status and /metrics."""
    query = select(push_rows.c.state, func.count()).group_by(push_rows.c.state)
    with db.engine.connect() as conn:
        return {state: int(n) for state, n in conn.execute(query)}


def hold_if_pushed(conn: Connection, parcel_id: int, now: datetime) -> datetime | None:
    """The poller's hook: the next (check) poll of a push parcel, None for polled ones."""
    return now + SILENCE if push_state(conn, parcel_id) == PUSHING else None


def set_push_state(conn: Connection, parcel_id: int, state: str, now: datetime) -> None:
    """Record a callback's effect on the parcel's push state."""
    conn.execute(
        update(push_rows)
        .where(push_rows.c.parcel_id == parcel_id)
        .values(state=state, last_push_at=now)
    )


class PushRegistrar:
    """Registers followed parcels with the push provider (`subscribe`), once per parcel."""

    def __init__(self, db: Database, clock: Clock, subscribe: Subscribe, provider: str) -> None:
        self.db = db
        self.clock = clock
        self.subscribe = subscribe
        self.provider = provider

    def register(self, number: str, carrier: str | None, tail: str | None) -> str | None:
        """Ask the provider to push `number` unless it was asked before; the parcel's push
        state afterwards (None: not asked, e.g. the provider is down: it stays polled)."""
        with self.db.engine.connect() as conn:
            row = conn.execute(
                select(parcels.c.id, parcels.c.state).where(parcels.c.number == number)
            ).first()
            if row is None or row.state != ACTIVE:
                return None
            known = push_state(conn, row.id)
        if known is not None:
            return known
        try:
            registration = self.subscribe(number, carrier, tail)
        except UpstreamError as error:
            log.warning("push registration of %s failed: %s", number, error.kind)
            return None
        state = PUSHING if registration.accepted else REFUSED
        now = self.clock.now()
        with self.db.engine.begin() as conn:
            values = {
                "parcel_id": row.id,
                "provider": self.provider,
                "state": state,
                "code": registration.code[:8],
                "registered_at": now,
            }
            if not insert_ignore(conn, push_rows, values):
                return push_state(conn, row.id)  # another worker registered it meanwhile
            if state == PUSHING:
                conn.execute(
                    update(parcels)
                    .where(parcels.c.id == row.id)
                    .values(next_poll_at=now + SILENCE)
                )
        log.info("%s follows %s by push: %s", self.provider, number, state)
        return state
