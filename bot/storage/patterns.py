"""The learned carrier table: per (prefix, length) number pattern, which carriers the upstream
named when it identified a number itself (our guess was missing, tied or refused).

One tiny table shared by every worker (SQLite or PostgreSQL): a row per pattern and carrier
with a count, incremented in one upsert. A count is one number, not one lookup: cache hits and
coalesced lookups of a number this process already counted add nothing, or one parcel asked
about three times would teach its carrier to the whole pattern. Detection reads a snapshot,
refreshed at most every ``REFRESH_SECONDS`` and after this process counts a new number.
"""

from __future__ import annotations

import threading
import time

from cachetools import TTLCache
from sqlalchemy import Column, Integer, String, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.clock import Clock
from bot.storage.db import Database
from bot.storage.schema import UTCDateTime, metadata
from bot.waybills.learned import Learned, pattern_key

waybill_patterns = Table(
    "waybill_patterns",
    metadata,
    Column("prefix", String(8), primary_key=True),
    Column("length", Integer, primary_key=True),
    Column("carrier", String(64), primary_key=True),
    Column("answers", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

#: How stale a worker's snapshot may be: answers from other workers show up within this time.
REFRESH_SECONDS = 60.0
#: Numbers this process counted recently (a parcel is asked about for days, not weeks).
_COUNTED_NUMBERS = 50_000
_COUNTED_SECONDS = 7 * 86400


class PatternStore:
    """Counts the upstream's answers per pattern and hands detection a snapshot of them."""

    def __init__(self, db: Database, clock: Clock, refresh: float = REFRESH_SECONDS) -> None:
        self.db = db
        self.clock = clock
        self.refresh = refresh
        self._lock = threading.Lock()
        self._snapshot: Learned | None = None
        self._loaded_at = 0.0
        self._counted: TTLCache[str, str] = TTLCache(
            _COUNTED_NUMBERS, _COUNTED_SECONDS, timer=clock.monotonic
        )

    def learn(self, number: str, carrier: str) -> None:
        """Count the upstream naming ``carrier`` for ``number``, once per number and carrier."""
        with self._lock:
            if self._counted.get(number) == carrier:
                return
            self._counted[number] = carrier
        self.record(number, carrier)

    def record(self, number: str, carrier: str) -> None:
        """One more answer naming ``carrier`` for numbers shaped like ``number``."""
        prefix, length = pattern_key(number)
        values = {
            "prefix": prefix,
            "length": length,
            "carrier": carrier,
            "answers": 1,
            "updated_at": self.clock.now(),
        }
        module = postgresql if self.db.is_postgres else sqlite
        stmt = module.insert(waybill_patterns).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["prefix", "length", "carrier"],
            set_={
                "answers": waybill_patterns.c.answers + 1,
                "updated_at": stmt.excluded.updated_at,
            },
        )
        with self.db.engine.begin() as conn:
            conn.execute(stmt)
        with self._lock:
            self._snapshot = None  # this process sees its own answers at once

    def load(self) -> Learned:
        """Every count, read now."""
        counts: dict[tuple[str, int], dict[str, int]] = {}
        with self.db.engine.connect() as conn:
            for row in conn.execute(select(waybill_patterns)):
                counts.setdefault((row.prefix, row.length), {})[row.carrier] = row.answers
        return Learned(counts)

    def snapshot(self) -> Learned:
        """The counts as of at most ``refresh`` seconds ago."""
        with self._lock:
            fresh = (
                self._snapshot is not None and time.monotonic() - self._loaded_at < self.refresh
            )
            if fresh:
                return self._snapshot
        learned = self.load()
        with self._lock:
            self._snapshot, self._loaded_at = learned, time.monotonic()
        return learned
