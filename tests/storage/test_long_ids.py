"""Ids of any length the runtime accepts are stored the same on SQLite and PostgreSQL.

Platforms promise no id lengths. Every column holding a platform's id is TEXT; the inbox
refuses an id over `MAX_ID_BYTES` (the webhook answers 400) before anything is stored, a
bound under what a PostgreSQL index entry holds even for keys of two ids. The schema test
writes ids of 1, 64, 255 characters and the largest accepted size, made of characters that do
not compress, into every column of every table that holds an id, and reads them back.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Boolean, Date, Integer, String, Text, func, insert, select

import bot.subscriptions.schema  # noqa: F401 - its tables join the metadata
from bot.runtime.config import NO_THREADS, RuntimePorts
from bot.runtime.ports import MAX_ID_BYTES, MalformedId
from bot.runtime.runtime import Runtime
from bot.runtime.schema import inbox
from bot.storage.conversation import ConversationStore
from bot.storage.schema import UTCDateTime, metadata
from tests.support.ids import ID_COLUMNS, random_id
from tests.support.runtime import make_message

NOW = datetime(2026, 1, 1, tzinfo=UTC)


#: 1, 64, 255 characters, the largest accepted in ASCII, and in 3-byte characters (CJK).
ID_SIZES = [
    pytest.param(random_id(1), id="1"),
    pytest.param(random_id(64), id="64"),
    pytest.param(random_id(255), id="255"),
    pytest.param(random_id(MAX_ID_BYTES), id="max-ascii"),
    pytest.param(random_id(MAX_ID_BYTES // 3, "快递运单号码查询物流"), id="max-cjk"),
]


def tables_with_ids():
    return [t for t in metadata.sorted_tables if ID_COLUMNS & set(t.c.keys())]


def test_every_id_column_is_text():
    columns = [c for t in tables_with_ids() for c in t.columns if c.name in ID_COLUMNS]
    assert len(columns) >= 20  # inbox, outbox, unreachable, prompts, tails, settings, subs…
    assert [f"{c.table.name}.{c.name}" for c in columns if not isinstance(c.type, Text)] == []


def filler(column, value: str, serial: int):
    """A valid value for `column`: the id for id columns, something plain for the rest."""
    if column.name in ID_COLUMNS:
        return value
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return NOW
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Date):
        return date(2026, 1, serial + 1)
    if isinstance(kind, Integer):
        return 1 if column.foreign_keys else serial
    if isinstance(kind, String):
        return f"v{serial}"[: kind.length or 16]
    raise AssertionError(f"no filler for {column}")


@pytest.mark.parametrize("value", ID_SIZES)
def test_ids_go_through_every_table_and_come_back_whole(database, value):
    written = {}
    with database.engine.begin() as conn:
        for serial, table in enumerate(metadata.sorted_tables):
            row = {
                c.name: filler(c, value, serial)
                for c in table.columns
                if not (c.primary_key and c.autoincrement is True and isinstance(c.type, Integer))
                and not (c.primary_key and c.name == "id")
            }
            conn.execute(insert(table).values(**row))
            written[table.name] = row
    with database.engine.connect() as conn:
        for table in tables_with_ids():
            ids = [c for c in table.columns if c.name in ID_COLUMNS]
            [row] = conn.execute(select(*ids)).all()
            assert set(row) == {value}, table.name
            # Looked up by the id, as the stores do.
            where = [c == value for c in ids]
            assert conn.execute(select(func.count()).select_from(table).where(*where)).scalar()


@pytest.mark.parametrize("value", ID_SIZES)
def test_the_stores_key_by_long_ids(database, clock, value):
    store = ConversationStore(database, clock)
    store.set_pending("feishu", value, value, "tail", {"number": "SF1"})
    store.remember_tail("feishu", value, "SF1", "1234")
    store.set_auto_mode("feishu", value, True)
    assert store.get_pending("feishu", value, value) == ("tail", {"number": "SF1"})
    assert store.tail_for("feishu", value, "SF1") == "1234"
    assert store.auto_mode("feishu", value) is True


@pytest.mark.parametrize("size", [MAX_ID_BYTES + 1, 4096])
@pytest.mark.parametrize(
    "field", ["delivery_id", "chat_id", "user_id", "message_id", "callback_id", "thread_id"]
)
def test_larger_ids_are_refused_before_anything_is_stored(database, clock, field, size):
    runtime = Runtime(RuntimePorts(database, lambda m: [], {}, clock), NO_THREADS)
    message = make_message(1)
    too_long = random_id(size)
    delivery_id = too_long if field == "delivery_id" else "d1"
    if field != "delivery_id":
        message = type(message)(**{**message.__dict__, field: too_long})
    with pytest.raises(MalformedId, match=field):
        runtime.inbox.accept(delivery_id, message)
    with database.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(inbox)).scalar() == 0
