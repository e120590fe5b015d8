"""Subscription tables on the shared metadata.

`sub_parcels` holds one row per followed number: the poller's unit of work. Its
`next_poll_at` (indexed) says when it is due and `lease_until`/`lease_token` say which worker
is polling it, so many workers never poll one number twice. `sub_subscriptions` says which
chat follows which parcel, with the baseline of what that chat has already been shown.
`sub_changes` are detected changes waiting for their chat's batching window, and
`sub_flags` / `sub_usage` hold the poller's shared health (quota, throttling) and call counts.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from bot.storage.schema import RowId, UTCDateTime, metadata

# Parcel states: polled / nobody follows it / no more polling (final, given up).
ACTIVE = "active"
IDLE = "idle"
FINAL = "final"
STOPPED = "stopped"

# Subscription states: followed / finished (final status pushed) / given up / chat blocked us.
SUB_ACTIVE = "active"
SUB_DONE = "done"
SUB_STOPPED = "stopped"
SUB_BLOCKED = "blocked"

parcels = Table(
    "sub_parcels",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("number", String(40), nullable=False, unique=True),
    Column("carrier", String(64), nullable=True),  # registry code
    Column("vendor_code", String(64), nullable=True),  # the upstream's carrier code
    Column("tail", String(8), nullable=True),
    Column("state", String(12), nullable=False, default=ACTIVE),
    Column("status", Integer, nullable=False, default=1),
    Column("events", Text, nullable=False, default="[]"),  # JSON, newest first
    Column("last_event_at", UTCDateTime, nullable=True),
    Column("last_change_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("next_poll_at", UTCDateTime, nullable=True),
    Column("last_polled_at", UTCDateTime, nullable=True),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("lease_token", String(36), nullable=True),
    Column("polls", Integer, nullable=False, default=0),
    Column("failures", Integer, nullable=False, default=0),
)
Index("ix_sub_parcels_due", parcels.c.state, parcels.c.next_poll_at)

subscriptions = Table(
    "sub_subscriptions",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("parcel_id", RowId, ForeignKey("sub_parcels.id"), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("chat_id", Text, nullable=False),
    Column("user_id", Text, nullable=False),  # the subscriber (mentioned in groups)
    Column("is_group", Boolean, nullable=False, default=False),
    Column("language", String(8), nullable=False, default="zh"),
    Column("label", String(100), nullable=False, default=""),
    Column("tail", String(8), nullable=True),
    Column("milestones_only", Boolean, nullable=False, default=False),
    Column("state", String(12), nullable=False, default=SUB_ACTIVE),
    # What this chat has been shown: event fingerprints (JSON list) and the status code.
    Column("seen_events", Text, nullable=False, default="[]"),
    Column("seen_status", Integer, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("platform", "chat_id", "parcel_id", name="uq_sub_chat_parcel"),
)
Index("ix_sub_subscriptions_parcel", subscriptions.c.parcel_id, subscriptions.c.state)
Index("ix_sub_subscriptions_chat", subscriptions.c.platform, subscriptions.c.chat_id)
Index("ix_sub_subscriptions_user", subscriptions.c.platform, subscriptions.c.user_id)

changes = Table(
    "sub_changes",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    # Deterministic per (subscription, change): detecting the same change twice is a no-op.
    Column("change_key", Text, nullable=False, unique=True),
    Column("subscription_id", RowId, nullable=False),
    Column("platform", String(16), nullable=False),
    Column("chat_id", Text, nullable=False),
    Column("payload", Text, nullable=False),  # JSON: status, new events, kind
    Column("due_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
Index("ix_sub_changes_due", changes.c.due_at)

#: Subscribers' display names, for mentions in group pushes where the platform shows a link
#: text (Telegram). A table of its own, so databases of earlier versions gain it on start.
names = Table(
    "sub_names",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("user_id", Text, primary_key=True),
    Column("name", String(128), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

#: The forum topic (Telegram) or thread a subscription was made in, so its pushes go back
#: there. A table of its own, so databases of earlier versions gain it on start.
threads = Table(
    "sub_threads",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("chat_id", Text, primary_key=True),
    Column("parcel_id", RowId, primary_key=True),
    Column("thread_id", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

flags = Table(
    "sub_flags",
    metadata,
    Column("name", String(32), primary_key=True),  # "quota", "throttled"
    Column("since", UTCDateTime, nullable=False),
    Column("until", UTCDateTime, nullable=True),  # next probe / end of back-off
    Column("detail", Text, nullable=False, default=""),
)

usage = Table(
    "sub_usage",
    metadata,
    Column("day", Date, primary_key=True),  # China date, like the vendor's billing day
    Column("calls", Integer, nullable=False, default=0),
)
