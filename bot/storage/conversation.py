"""Conversation state: pending prompts, remembered phone tails, per-chat settings, and the
numbers each message was answered for (to answer an edit only for what it added)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, select, update

from bot.clock import Clock
from bot.storage.db import Database
from bot.storage.schema import chat_settings, pending_prompts, phone_tails, seen_numbers
from bot.storage.sql import upsert

#: A prompt nobody answered within this time is forgotten, so a later "1234" is not misread
#: (the default of `KUAIDI_TAIL_TIMEOUT`).
PROMPT_TTL = timedelta(minutes=10)
#: How long a message's numbers are remembered. An edit later than this is answered for all
#: its numbers again; most edits fix a typo within minutes.
EDIT_MEMORY = timedelta(days=2)


class ConversationStore:
    """Reads and writes the state a conversation needs between two messages."""

    def __init__(self, db: Database, clock: Clock, prompt_ttl: timedelta = PROMPT_TTL) -> None:
        self.db = db
        self.clock = clock
        self.prompt_ttl = prompt_ttl

    # --- pending prompts ------------------------------------------------------------------
    def set_pending(
        self, platform: str, chat_id: str, user_id: str, kind: str, payload: dict[str, Any]
    ) -> None:
        """Remember that the bot asked this user a question of `kind` in this chat."""
        values = {
            "platform": platform,
            "chat_id": chat_id,
            "user_id": user_id,
            "kind": kind,
            "payload": json.dumps(payload, ensure_ascii=False),
            "created_at": self.clock.now(),
        }
        with self.db.engine.begin() as conn:
            upsert(conn, pending_prompts, values, ("platform", "chat_id", "user_id"))

    def update_pending(
        self, platform: str, chat_id: str, user_id: str, payload: dict[str, Any]
    ) -> None:
        """Change an open question's payload; it keeps the time it was asked (its expiry)."""
        where = self._prompt_key(platform, chat_id, user_id)
        with self.db.engine.begin() as conn:
            conn.execute(
                update(pending_prompts)
                .where(where)
                .values(payload=json.dumps(payload, ensure_ascii=False))
            )

    def get_pending(self, platform: str, chat_id: str, user_id: str) -> tuple[str, dict] | None:
        """The open question (kind, payload), or None when there is none or it expired."""
        where = self._prompt_key(platform, chat_id, user_id)
        with self.db.engine.begin() as conn:
            row = conn.execute(select(pending_prompts).where(where)).first()
            if row is None:
                return None
            if self.clock.now() - row.created_at > self.prompt_ttl:
                conn.execute(delete(pending_prompts).where(where))
                return None
        return row.kind, json.loads(row.payload)

    def clear_pending(self, platform: str, chat_id: str, user_id: str) -> None:
        """Forget the open question."""
        with self.db.engine.begin() as conn:
            conn.execute(
                delete(pending_prompts).where(self._prompt_key(platform, chat_id, user_id))
            )

    @staticmethod
    def _prompt_key(platform: str, chat_id: str, user_id: str):
        return and_(
            pending_prompts.c.platform == platform,
            pending_prompts.c.chat_id == chat_id,
            pending_prompts.c.user_id == user_id,
        )

    # --- phone tails ----------------------------------------------------------------------
    def remember_tail(self, platform: str, user_id: str, number: str, tail: str) -> None:
        """Keep the phone tail a user gave for a number."""
        values = {
            "platform": platform,
            "user_id": user_id,
            "number": number,
            "tail": tail,
            "updated_at": self.clock.now(),
        }
        with self.db.engine.begin() as conn:
            upsert(conn, phone_tails, values, ("platform", "user_id", "number"))

    def tail_for(self, platform: str, user_id: str, number: str) -> str | None:
        """The phone tail this user gave for `number`, if any."""
        query = select(phone_tails.c.tail).where(
            phone_tails.c.platform == platform,
            phone_tails.c.user_id == user_id,
            phone_tails.c.number == number,
        )
        with self.db.engine.connect() as conn:
            return conn.execute(query).scalar()

    def any_tail_for(self, number: str) -> str | None:
        """Any remembered tail for `number` (a group's subscriber may not be the asker)."""
        query = (
            select(phone_tails.c.tail)
            .where(phone_tails.c.number == number)
            .order_by(phone_tails.c.updated_at.desc())
            .limit(1)
        )
        with self.db.engine.connect() as conn:
            return conn.execute(query).scalar()

    # --- numbers a message was answered for -----------------------------------------------
    def numbers_seen(self, platform: str, chat_id: str, message_id: str) -> set[str]:
        """The numbers message `message_id` was answered for (within `EDIT_MEMORY`)."""
        query = select(seen_numbers.c.numbers, seen_numbers.c.seen_at).where(
            self._seen_key(platform, chat_id, message_id)
        )
        with self.db.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or self.clock.now() - row.seen_at > EDIT_MEMORY:
            return set()
        return set(json.loads(row.numbers))

    def add_numbers_seen(
        self, platform: str, chat_id: str, message_id: str, numbers: list[str]
    ) -> None:
        """Add `numbers` to what the message was answered for; forget expired messages."""
        if not numbers:
            return
        now = self.clock.now()
        known = self.numbers_seen(platform, chat_id, message_id)
        values = {
            "platform": platform,
            "chat_id": chat_id,
            "message_id": message_id,
            "numbers": json.dumps(sorted(known | set(numbers))),
            "seen_at": now,
        }
        with self.db.engine.begin() as conn:
            conn.execute(delete(seen_numbers).where(seen_numbers.c.seen_at < now - EDIT_MEMORY))
            upsert(conn, seen_numbers, values, ("platform", "chat_id", "message_id"))

    @staticmethod
    def _seen_key(platform: str, chat_id: str, message_id: str):
        return and_(
            seen_numbers.c.platform == platform,
            seen_numbers.c.chat_id == chat_id,
            seen_numbers.c.message_id == message_id,
        )

    # --- chat settings --------------------------------------------------------------------
    def auto_mode(self, platform: str, chat_id: str) -> bool:
        """True when a group opted in to having every message scanned for numbers."""
        query = select(chat_settings.c.auto_mode).where(
            chat_settings.c.platform == platform, chat_settings.c.chat_id == chat_id
        )
        with self.db.engine.connect() as conn:
            return bool(conn.execute(query).scalar())

    def chat_language(self, platform: str, chat_id: str) -> tuple[str | None, str | None]:
        """(the language chosen with /lang, the language last read from the chat's messages);
        stored in one column, a detected one marked with a leading "~"."""
        query = select(chat_settings.c.language).where(
            chat_settings.c.platform == platform, chat_settings.c.chat_id == chat_id
        )
        with self.db.engine.connect() as conn:
            stored = conn.execute(query).scalar()
        if not stored:
            return None, None
        return (None, stored[1:]) if stored.startswith("~") else (stored, None)

    def set_chat_language(
        self, platform: str, chat_id: str, language: str | None, *, chosen: bool
    ) -> None:
        """Keep the chat's language: `chosen` by /lang (None = choose by the messages again),
        or detected from a message (kept only while nothing was chosen)."""
        value = language if chosen or language is None else f"~{language}"
        values = {"platform": platform, "chat_id": chat_id, "language": value}
        with self.db.engine.begin() as conn:
            upsert(conn, chat_settings, {**values, "updated_at": self.clock.now()},
                   ("platform", "chat_id"))  # fmt: skip

    def set_auto_mode(self, platform: str, chat_id: str, enabled: bool) -> None:
        """Turn a group's auto mode on or off."""
        values = {
            "platform": platform,
            "chat_id": chat_id,
            "auto_mode": enabled,
            "updated_at": self.clock.now(),
        }
        with self.db.engine.begin() as conn:
            upsert(conn, chat_settings, values, ("platform", "chat_id"))
