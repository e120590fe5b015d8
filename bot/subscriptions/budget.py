"""The daily upstream budget of the poller, and the shared health flags (quota, throttling).

Calls are counted per China date in `sub_usage` (shared by every worker, like the vendor's
own billing day). `pace_for` turns "calls used so far" into a slow-down factor for the
schedule: spending faster than the day passes stretches intervals, and at `RESERVE` of the
budget the poller pauses until midnight, leaving the rest for users' own lookups.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, delete, select, update

from bot.clock import CHINA_TZ, Clock
from bot.storage.db import Database
from bot.storage.sql import insert_ignore
from bot.subscriptions.schema import flags, usage

#: Share of the daily budget the poller may use; the rest is kept for interactive lookups.
RESERVE = 0.9
#: Slowest pace: intervals at most this many times longer.
MAX_PACE = 8.0

QUOTA = "quota"
THROTTLED = "throttled"


def china_day(moment: datetime) -> date:
    """The vendor's billing day of `moment`."""
    return moment.astimezone(CHINA_TZ).date()


def next_china_midnight(moment: datetime) -> datetime:
    """The start of the next China day."""
    tomorrow = china_day(moment) + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=CHINA_TZ)


def pace_for(used: int, budget: int | None, now: datetime) -> float | None:
    """The schedule's slow-down factor (1 = normal), or None when the poller must pause
    (the day's reserve is used up). No budget means no limit."""
    if budget is None or budget <= 0:
        return 1.0
    share_used = used / budget
    if share_used >= RESERVE:
        return None
    local = now.astimezone(CHINA_TZ)
    elapsed = (local.hour * 3600 + local.minute * 60 + local.second) / 86400
    elapsed = max(elapsed, 1 / 24)
    if share_used < 0.3 or share_used <= elapsed:
        return 1.0
    return min(MAX_PACE, share_used / elapsed)


def calls_left(used: int, budget: int | None) -> int | None:
    """How many more calls the poller may make today (None: unlimited)."""
    if budget is None or budget <= 0:
        return None
    return max(0, int(budget * RESERVE) - used)


@dataclass(frozen=True)
class Flag:
    """A health problem shared by every worker: since when, and until when (next probe)."""

    name: str
    since: datetime
    until: datetime | None
    detail: str


class Health:
    """Reads and writes `sub_usage` and `sub_flags`."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def count_call(self, conn: Connection, calls: int = 1) -> None:
        """Add `calls` poller calls to today's count (inside the caller's transaction)."""
        if calls <= 0:
            return
        day = china_day(self.clock.now())
        if not insert_ignore(conn, usage, {"day": day, "calls": calls}):
            stmt = update(usage).where(usage.c.day == day)
            conn.execute(stmt.values(calls=usage.c.calls + calls))

    def calls_today(self) -> int:
        """Poller calls made today by every worker."""
        query = select(usage.c.calls).where(usage.c.day == china_day(self.clock.now()))
        with self.db.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def get(self, name: str) -> Flag | None:
        """The flag `name`, if raised."""
        with self.db.engine.connect() as conn:
            row = conn.execute(select(flags).where(flags.c.name == name)).first()
        return Flag(row.name, row.since, row.until, row.detail) if row else None

    def raise_flag(self, name: str, until: datetime, detail: str = "") -> tuple[Flag, bool]:
        """Raise `name` (keeping the original `since` if already up); True when it is new."""
        now = self.clock.now()
        with self.db.engine.begin() as conn:
            fresh = insert_ignore(
                conn, flags, {"name": name, "since": now, "until": until, "detail": detail}
            )
            if not fresh:
                stmt = update(flags).where(flags.c.name == name)
                conn.execute(stmt.values(until=until, detail=detail))
            row = conn.execute(select(flags).where(flags.c.name == name)).one()
        return Flag(row.name, row.since, row.until, row.detail), fresh

    def clear(self, name: str) -> bool:
        """Lower `name`; True when it was up."""
        with self.db.engine.begin() as conn:
            return conn.execute(delete(flags).where(flags.c.name == name)).rowcount > 0
