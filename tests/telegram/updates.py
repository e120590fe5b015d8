"""Builders of Telegram update dicts (the JSON Telegram posts), for tests."""

from __future__ import annotations

from typing import Any

BOT_ID = 123456
GROUP_ID = -1001234567890
ALICE = {"id": 11111, "is_bot": False, "first_name": "Alice", "username": "alice"}


def text_update(
    update_id: int,
    text: str,
    *,
    chat_id: int = GROUP_ID,
    entities: list[dict[str, Any]] | None = None,
    sender: dict[str, Any] | None = None,
    reply_to_from: dict[str, Any] | None = None,
    message_id: int = 50,
) -> dict[str, Any]:
    """A message update; a negative chat id is a supergroup, a positive one a private chat."""
    chat = (
        {"id": chat_id, "type": "supergroup", "title": "Test Group"}
        if chat_id < 0
        else {"id": chat_id, "type": "private", "first_name": "Alice"}
    )
    message: dict[str, Any] = {
        "message_id": message_id,
        "date": 1700000000,
        "chat": chat,
        "from": sender or ALICE,
        "text": text,
    }
    if entities is None and text.startswith("/"):
        command = text.split()[0]
        entities = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    if entities:
        message["entities"] = entities
    if reply_to_from is not None:
        message["reply_to_message"] = {
            "message_id": message_id - 1,
            "date": 1699999999,
            "chat": chat,
            "from": reply_to_from,
            "text": "earlier",
        }
    return {"update_id": update_id, "message": message}


def callback_update(
    update_id: int, data: str, *, chat_id: int = 555, message_id: int = 77, language: str = "en"
) -> dict[str, Any]:
    """A button press on bot message `message_id`."""
    chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cbq-{update_id}",
            "from": {**ALICE, "language_code": language},
            "chat_instance": "-42",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": 1700000000,
                "chat": chat,
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "T"},
                "text": "📦 card",
            },
        },
    }
