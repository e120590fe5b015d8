"""Runtime tables (inbox, outbox, unreachable targets, shared tokens) on the shared metadata.

Inbox and outbox rows are claimed, not locked for the length of the work: a claim sets
`available_at` to the end of a lease and a fresh `claim_token`. A row is claimable when it is
`pending` and `available_at` has passed, which covers new rows, rows waiting out a retry delay
and rows whose worker died; finishing a row checks the token, so a worker that lost its lease
cannot finish what another worker took over.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from bot.storage.schema import RowId, UTCDateTime, metadata

PENDING = "pending"
DONE = "done"
SENT = "sent"
PARKED = "parked"
#: A delivery the adapter could not read: kept (type and error only) and never worked.
REJECTED = "rejected"

# Verified, parsed deliveries. The unique (platform, delivery_id) is the de-duplication.
inbox = Table(
    "runtime_inbox",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("delivery_id", String(191), nullable=False),
    # platform:chat, so one chat's messages are handled one after another, in order.
    Column("chat_key", String(200), nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(12), nullable=False, default=PENDING),
    Column("available_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("claim_token", String(36), nullable=True),
    Column("claimed_by", String(100), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("received_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    UniqueConstraint("platform", "delivery_id", name="uq_runtime_inbox_delivery"),
)
Index("ix_runtime_inbox_claim", inbox.c.status, inbox.c.available_at)
Index("ix_runtime_inbox_chat", inbox.c.chat_key, inbox.c.status, inbox.c.id)

# Replies and pushes waiting to be sent; `idempotency_key` makes enqueueing exactly-once.
outbox = Table(
    "runtime_outbox",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(191), nullable=False, unique=True),
    Column("platform", String(16), nullable=False),
    Column("chat_id", String(128), nullable=False),
    Column("user_id", String(128), nullable=False, default=""),
    Column("is_group", Boolean, nullable=False, default=False),
    # platform:chat, so sends to one chat leave in the order they were enqueued.
    Column("target_key", String(200), nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(12), nullable=False, default=PENDING),
    Column("available_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("claim_token", String(36), nullable=True),
    Column("claimed_by", String(100), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("message_id", String(191), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime, nullable=True),
)
Index("ix_runtime_outbox_claim", outbox.c.status, outbox.c.available_at)
Index("ix_runtime_outbox_target", outbox.c.target_key, outbox.c.status, outbox.c.id)

# Chats that refused us for good (blocked the bot, left, deleted); cleared when they write.
unreachable_targets = Table(
    "runtime_unreachable_targets",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("chat_id", String(128), primary_key=True),
    Column("user_id", String(128), nullable=False, default=""),
    Column("is_group", Boolean, nullable=False, default=False),
    Column("reason", Text, nullable=False),
    Column("since", UTCDateTime, nullable=False),
)

# Platform access tokens shared by every process when there is no Redis. `lock_owner` and
# `lock_until` make one process the refresher; the lock expires if that process dies.
shared_tokens = Table(
    "runtime_shared_tokens",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("token", Text, nullable=True),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("lock_owner", String(36), nullable=True),
    Column("lock_until", UTCDateTime, nullable=True),
)
