"""Runtime tables (inbox, outbox, unreachable targets, shared tokens) on the shared metadata.

Inbox and outbox rows are claimed, not locked for the length of the work: a claim sets
`available_at` to the end of a lease and a fresh `claim_token`. A row is claimable when it is
`pending` and `available_at` has passed, which covers new rows, rows waiting out a retry delay
and rows whose worker died; finishing a row checks the token, so a worker that lost its lease
cannot finish what another worker took over.

A row that failed keeps its chat's later rows waiting only until `hold_until` (set at its
first failure): after that they go ahead of it, so one row that cannot be handled or sent
delays its chat by a bounded time instead of for good. A parked row says why in
`park_reason` (a short word for metrics; the details are in `last_error`): inbox rows
`handler_error`, `store_error` (its replies could not be written), `unreadable` (a payload
this version cannot read) or `abandoned` (its lease ran out on every try); outbox rows
`error` (sends kept failing), `permanent`, `unreachable`, `no_sender`, `unreadable`,
`crashed` or `abandoned`.

Every column holding a platform's id (delivery, chat, user, message) is TEXT: platforms do
not promise lengths. The size an id may have is checked before it is stored
(`bot.models.check_ids`), below what a PostgreSQL index entry can hold.
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
    Column("delivery_id", Text, nullable=False),
    # platform:chat, so one chat's messages are handled one after another, in order.
    Column("chat_key", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(12), nullable=False, default=PENDING),
    Column("available_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("claim_token", String(36), nullable=True),
    Column("claimed_by", Text, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("park_reason", String(32), nullable=True),
    Column("hold_until", UTCDateTime, nullable=True),
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
    Column("idempotency_key", Text, nullable=False, unique=True),
    Column("platform", String(16), nullable=False),
    Column("chat_id", Text, nullable=False),
    Column("user_id", Text, nullable=False, default=""),
    Column("is_group", Boolean, nullable=False, default=False),
    # platform:chat, so sends to one chat leave in the order they were enqueued.
    Column("target_key", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(12), nullable=False, default=PENDING),
    Column("available_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("claim_token", String(36), nullable=True),
    Column("claimed_by", Text, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("park_reason", String(32), nullable=True),
    Column("hold_until", UTCDateTime, nullable=True),
    Column("message_id", Text, nullable=True),
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
    Column("chat_id", Text, primary_key=True),
    Column("user_id", Text, nullable=False, default=""),
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
