"""Ids for storage tests: which columns hold a platform's id, and ids that do not compress."""

from __future__ import annotations

import random
import string

#: Columns that hold a platform's id (or a key made of one), in any table.
ID_COLUMNS = frozenset(
    {
        "delivery_id",
        "chat_key",
        "idempotency_key",
        "chat_id",
        "user_id",
        "target_key",
        "message_id",
        "change_key",
        "claimed_by",
        "thread_id",
    }
)


def random_id(size: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    """`size` characters that do not compress (a compressible id would hide an index limit:
    PostgreSQL compresses long index entries before it measures them)."""
    return "".join(random.Random(size).choice(alphabet) for _ in range(size))
