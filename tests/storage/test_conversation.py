"""Conversation store on SQLite and PostgreSQL: prompts, expiry, tails, auto mode."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.storage.conversation import ConversationStore
from bot.storage.db import SchemaTooNew, open_database
from bot.storage.schema import SCHEMA_VERSION, schema_meta


@pytest.fixture
def store(database, clock):
    return ConversationStore(database, clock)


def test_pending_prompt_round_trip_and_overwrite(store):
    store.set_pending("tg", "c1", "u1", "phone_tail", {"numbers": ["SF1"]})
    store.set_pending("tg", "c1", "u1", "phone_tail", {"numbers": ["SF2"]})
    assert store.get_pending("tg", "c1", "u1") == ("phone_tail", {"numbers": ["SF2"]})
    assert store.get_pending("tg", "c1", "other") is None
    store.clear_pending("tg", "c1", "u1")
    assert store.get_pending("tg", "c1", "u1") is None


def test_pending_prompt_expires_after_ten_minutes(store, clock):
    store.set_pending("tg", "c1", "u1", "phone_tail", {"numbers": ["SF1"]})
    clock.advance(minutes=9, seconds=59)
    assert store.get_pending("tg", "c1", "u1") is not None
    clock.advance(seconds=2)
    assert store.get_pending("tg", "c1", "u1") is None


def test_tails_are_per_user_and_number(store):
    store.remember_tail("tg", "u1", "SF1", "1234")
    store.remember_tail("tg", "u1", "SF1", "5678")
    assert store.tail_for("tg", "u1", "SF1") == "5678"
    assert store.tail_for("tg", "u2", "SF1") is None
    assert store.tail_for("wecom", "u1", "SF1") is None
    assert store.any_tail_for("SF1") == "5678"


def test_auto_mode_defaults_off(store):
    assert store.auto_mode("tg", "g1") is False
    store.set_auto_mode("tg", "g1", True)
    assert store.auto_mode("tg", "g1") is True
    store.set_auto_mode("tg", "g1", False)
    assert store.auto_mode("tg", "g1") is False


def test_schema_version_recorded_and_future_refused(db_url):
    db = open_database(db_url)
    with db.engine.begin() as conn:
        version = conn.execute(
            select(schema_meta.c.value).where(schema_meta.c.key == "schema_version")
        ).scalar()
        assert version == str(SCHEMA_VERSION)
        conn.execute(schema_meta.update().values(value=str(SCHEMA_VERSION + 1)))
    db.dispose()
    with pytest.raises(SchemaTooNew):
        open_database(db_url)


def test_numbers_seen_merge_per_message_and_expire_after_two_days(store, clock):
    store.add_numbers_seen("tg", "c1", "m1", ["YT1"])
    store.add_numbers_seen("tg", "c1", "m1", ["YT2", "YT1"])
    store.add_numbers_seen("tg", "c2", "m1", ["ZT9"])

    assert store.numbers_seen("tg", "c1", "m1") == {"YT1", "YT2"}
    assert store.numbers_seen("tg", "c1", "m2") == set()
    clock.advance(days=2, seconds=1)
    assert store.numbers_seen("tg", "c1", "m1") == set()
    store.add_numbers_seen("tg", "c3", "m1", ["YT3"])  # writing sweeps the expired rows
    with store.db.engine.connect() as conn:
        from bot.storage.schema import seen_numbers

        assert [r.chat_id for r in conn.execute(select(seen_numbers))] == ["c3"]
