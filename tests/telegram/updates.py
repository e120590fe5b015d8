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


def photo_update(
    update_id: int,
    file_id: str,
    *,
    caption: str | None = None,
    chat_id: int = 555,
    as_document: str | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """A photo message (three sizes; the largest is `file_id`), optionally captioned; with
    `as_document` (a MIME type) the picture is sent "as a file" instead."""
    update = text_update(update_id, caption or "", chat_id=chat_id, **kw)
    message = update["message"]
    del message["text"]
    message.pop("entities", None)
    if caption:
        message["caption"] = caption
        if caption.startswith("/"):
            command = caption.split()[0]
            message["caption_entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(command)}
            ]
    if as_document:
        message["document"] = {
            "file_id": file_id, "file_unique_id": f"u{file_id}", "mime_type": as_document,
        }  # fmt: skip
    else:
        message["photo"] = [
            {"file_id": f"{file_id}-s", "file_unique_id": "s", "width": 90, "height": 60},
            {"file_id": file_id, "file_unique_id": "l", "width": 1280, "height": 960},
            {"file_id": f"{file_id}-m", "file_unique_id": "m", "width": 320, "height": 240},
        ]
    return update
