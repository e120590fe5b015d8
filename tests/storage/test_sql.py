"""The backend-specific helpers behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, MetaData, String, Table, select

from bot.runtime.leases import finish_row
from bot.runtime.schema import inbox
from bot.storage.schema import RowId
from bot.storage.sql import insert_ignore, upsert


def test_insert_ignore_reports_what_it_did_with_and_without_an_autoincrement_id(database):
    meta = MetaData()
    with_id = Table(
        "t_with_id",
        meta,
        Column("id", RowId, primary_key=True, autoincrement=True),
        Column("k", String(10), unique=True),
    )
    keyed = Table("t_keyed", meta, Column("k", String(10), primary_key=True))
    meta.create_all(database.engine)
    with database.engine.begin() as conn:
        for table in (with_id, keyed):
            assert insert_ignore(conn, table, {"k": "a"}) is True
            assert insert_ignore(conn, table, {"k": "a"}) is False
            assert insert_ignore(conn, table, {"k": "b"}) is True
    meta.drop_all(database.engine)


def test_upsert_updates_non_key_columns(database):
    meta = MetaData()
    table = Table("t_upsert", meta, Column("k", String(10), primary_key=True), Column("v", String))
    meta.create_all(database.engine)
    with database.engine.begin() as conn:
        upsert(conn, table, {"k": "a", "v": "1"}, ("k",))
        upsert(conn, table, {"k": "a", "v": "2"}, ("k",))
        assert conn.execute(select(table.c.v)).scalars().all() == ["2"]
    meta.drop_all(database.engine)


def test_a_misspelt_column_is_refused_before_a_prebuilt_update_ignores_it(database):
    with database.engine.begin() as conn:
        with pytest.raises(ValueError, match="statuss"):
            finish_row(conn, inbox, 1, "token", statuss="done")
        with pytest.raises(ValueError, match="no values"):
            finish_row(conn, inbox, 1, "token")
        assert finish_row(conn, inbox, 1, "token", status="done") is False  # no such row
