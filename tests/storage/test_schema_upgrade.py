"""A database written by schema 1 is brought up to date on start, rows kept, on both backends.

Schema 1 stored ids in VARCHAR(128…200) columns (PostgreSQL enforced the length; a Feishu
message id of 185 characters made the worker's writes fail) and had no `hold_until` or
`park_reason` on the queues.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import MetaData, String, Text, create_engine, insert, inspect, select, text

import bot.runtime.schema  # noqa: F401 - its tables join the metadata
import bot.subscriptions.schema  # noqa: F401
from bot.runtime.schema import inbox, outbox
from bot.storage import open_database
from bot.storage.schema import SCHEMA_VERSION, metadata, schema_meta
from tests.support.ids import ID_COLUMNS, random_id

NEW_COLUMNS = {"hold_until", "park_reason"}
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def create_version_1(url: str) -> None:
    """The tables as schema 1 made them: bounded VARCHAR ids, no new columns, version 1."""
    old = MetaData()
    for table in metadata.sorted_tables:
        copy = table.to_metadata(old)
        for column in copy.columns:
            if column.name in ID_COLUMNS:
                column.type = String(191)
    engine = create_engine(url)
    with engine.begin() as conn:
        old.create_all(conn)
        for name in ("runtime_inbox", "runtime_outbox"):
            for column in sorted(NEW_COLUMNS):
                conn.execute(text(f"ALTER TABLE {name} DROP COLUMN {column}"))
        conn.execute(insert(schema_meta).values(key="schema_version", value="1"))
        conn.execute(
            insert(inbox).values(
                platform="feishu",
                delivery_id="om_old",
                chat_key="feishu:oc_1",
                payload="{}",
                status="done",
                available_at=NOW,
                attempts=1,
                received_at=NOW,
            )
        )
    engine.dispose()


def test_version_1_is_upgraded_in_place(db_url):
    create_version_1(db_url)
    db = open_database(db_url)
    try:
        with db.engine.connect() as conn:
            version = conn.execute(select(schema_meta.c.value)).scalar()
            found = inspect(conn)
            inbox_columns = {c["name"]: c["type"] for c in found.get_columns("runtime_inbox")}
            outbox_columns = {c["name"] for c in found.get_columns("runtime_outbox")}
            old_rows = conn.execute(select(inbox.c.delivery_id)).scalars().all()
        assert version == str(SCHEMA_VERSION) == "2"
        assert set(inbox_columns) >= NEW_COLUMNS and outbox_columns >= NEW_COLUMNS
        assert old_rows == ["om_old"]
        if db.is_postgres:  # SQLite never enforced the declared lengths
            assert isinstance(inbox_columns["delivery_id"], Text)
        long_id = random_id(1024)
        with db.engine.begin() as conn:
            conn.execute(
                insert(outbox).values(
                    idempotency_key=f"feishu:{long_id}:0",
                    platform="feishu",
                    chat_id=long_id,
                    user_id=long_id,
                    target_key=f"feishu:{long_id}",
                    payload="{}",
                    status="pending",
                    available_at=NOW,
                    message_id=long_id,
                    created_at=NOW,
                )
            )
        with db.engine.connect() as conn:
            assert conn.execute(select(outbox.c.chat_id)).scalar() == long_id
    finally:
        db.dispose()


def test_a_second_start_finds_nothing_to_do(db_url, caplog):
    create_version_1(db_url)
    open_database(db_url).dispose()
    caplog.clear()
    open_database(db_url).dispose()
    assert "schema upgrade" not in caplog.text


def test_tables_are_upgraded_even_when_the_version_was_already_moved(db_url):
    """A process that registered only some layers' tables may have recorded version 2; the
    next process, with every table, still brings the rest up to date."""
    create_version_1(db_url)
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(schema_meta.update().values(value=str(SCHEMA_VERSION)))
    engine.dispose()
    db = open_database(db_url)
    try:
        with db.engine.connect() as conn:
            found = inspect(conn)
            columns = {c["name"]: c["type"] for c in found.get_columns("runtime_outbox")}
        assert set(columns) >= NEW_COLUMNS
        if db.is_postgres:
            assert isinstance(columns["chat_id"], Text)
    finally:
        db.dispose()
