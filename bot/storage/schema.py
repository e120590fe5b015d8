"""The core tables. Other rooms (runtime, subscriptions) add theirs to the same `metadata`.

All timestamps are stored as UTC and read back timezone-aware, whatever the backend.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

#: Bump when a table changes shape; `open_database` upgrades an older database
#: (`bot.storage.migrate`) and refuses one from the future. 2: ids are TEXT; queue rows have
#: `hold_until` and `park_reason`.
SCHEMA_VERSION = 2

metadata = MetaData()

#: BIGINT on PostgreSQL; SQLite only auto-increments an INTEGER PRIMARY KEY.
RowId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator):
    """A datetime stored as naive UTC and returned timezone-aware (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        """Store as naive UTC; refuse naive input, which would be ambiguous."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        """Attach UTC to what comes back."""
        return None if value is None else value.replace(tzinfo=UTC)


schema_meta = Table(
    "schema_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(255), nullable=False),
)

# A question the bot asked and is waiting on (the SF phone tail), one per user and chat.
pending_prompts = Table(
    "pending_prompts",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("chat_id", Text, primary_key=True),
    Column("user_id", Text, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Phone tails users gave, so they are never asked twice for the same number.
phone_tails = Table(
    "phone_tails",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("user_id", Text, primary_key=True),
    Column("number", String(40), primary_key=True),
    Column("tail", String(8), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Per-chat preferences (group auto mode, language).
chat_settings = Table(
    "chat_settings",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("chat_id", Text, primary_key=True),
    Column("auto_mode", Boolean, nullable=False, default=False),
    Column("language", String(8), nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
)

# The waybill numbers each message was answered for, so that an edit of it is answered only
# for numbers it did not hold before. Kept for `EDIT_MEMORY` (bot/storage/conversation.py).
seen_numbers = Table(
    "seen_numbers",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("chat_id", Text, primary_key=True),
    Column("message_id", Text, primary_key=True),
    Column("numbers", Text, nullable=False),  # JSON list
    Column("seen_at", UTCDateTime, nullable=False),
)
Index("ix_seen_numbers_seen_at", seen_numbers.c.seen_at)
