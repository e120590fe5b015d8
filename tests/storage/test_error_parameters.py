"""Database errors carry the SQL but never its parameters (message text, phone tails)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError

from bot.runtime.schema import inbox

SECRET_TEXT = "尾号7391 SF1524097970481 private-canary"


def test_a_failing_statement_neither_shows_nor_logs_its_parameters(database, caplog):
    caplog.set_level(logging.DEBUG)
    row = {"platform": "telegram", "delivery_id": "1", "chat_key": "k", "payload": SECRET_TEXT}
    # NOT NULL columns left out: the insert fails.
    with pytest.raises(DBAPIError) as caught, database.engine.begin() as conn:
        conn.execute(insert(inbox).values(**row))
    logging.getLogger("test").exception("write failed", exc_info=caught.value)
    assert "INSERT INTO runtime_inbox" in str(caught.value)
    assert "hidden due to hide_parameters" in str(caught.value)
    assert SECRET_TEXT not in str(caught.value) and "7391" not in str(caught.value)
    assert caplog.records and all("7391" not in r.getMessage() for r in caplog.records)
    assert all("7391" not in (r.exc_text or "") for r in caplog.records)


@pytest.mark.parametrize(
    ("values", "server_says"),
    [
        ({"attempts": "secret-7391"}, "invalid input syntax"),  # the value ends the message
        ({"delivery_id": "secret-7391"}, "duplicate key"),  # DETAIL: Key (…)=(…) exists
    ],
)
def test_postgresql_messages_lose_the_values_they_quote(pg_url, values, server_says, caplog):
    from bot.storage import open_database

    db = open_database(pg_url)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    row = {"platform": "telegram", "delivery_id": "1", "chat_key": "k", "payload": "{}",
           "status": "pending", "available_at": now, "attempts": 0, "received_at": now,
           **values}  # fmt: skip
    try:
        with pytest.raises(DBAPIError) as caught, db.engine.begin() as conn:
            conn.execute(insert(inbox).values(**row))
            conn.execute(insert(inbox).values(**row))  # a second time: a duplicate
        logging.getLogger("test").error("write failed", exc_info=caught.value)
    finally:
        db.dispose()
    assert server_says in str(caught.value)
    assert "7391" not in str(caught.value) and "7391" not in str(caught.value.orig)
    assert all("7391" not in (r.exc_text or r.getMessage()) for r in caplog.records)
